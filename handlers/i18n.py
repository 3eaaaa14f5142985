"""Worker-facing languages: gettext catalogs compiled in memory on load; Babel for names.

The `.po` files under `locales/` are the only catalogs; no compiled `.mo` is committed or needed.
"""

from __future__ import annotations

import gettext
from collections.abc import Iterable
from functools import cache
from importlib import resources
from io import BytesIO
from typing import Final

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, get_decimal_symbol

SOURCE_LANGUAGE: Final = "en"
OFFERED_LANGUAGES: Final = (
    "en", "zh_Hans", "th", "ms", "id", "vi", "fil", "my",
    "ne", "bn", "hi", "ta", "es", "cs", "uk", "ur",
)  # fmt: skip
"""Languages the worker can pick, each with a catalog in locales/ (tests check them all). The
picker shows the deployment's languages first (handlers.picker), then these in this order."""
DOMAIN: Final = "messages"


def N_(message: str) -> str:
    """Mark a string for extraction without translating it here (it is translated when shown)."""
    return message


class Translator:
    """gettext and ngettext for one language."""

    def __init__(self, language: str, catalog: gettext.NullTranslations) -> None:
        self.language = language
        self._catalog = catalog

    def gettext(self, message: str) -> str:
        """The translation of `message`, or `message` itself when the catalog lacks it."""
        return self._catalog.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """The plural form for `n`, by the language's own plural rule."""
        return self._catalog.ngettext(singular, plural, n)

    def number(self, n: int) -> str:
        """`n` as the language writes it (1,000,000; 1.000.000; 10,00,000), in Latin digits."""
        return format_decimal(n, locale=self.language)

    @property
    def decimal_symbol(self) -> str:
        """What separates a fraction in this language ("." or ","): a number typed with it is
        not whole."""
        return get_decimal_symbol(self.language)


@cache
def translator(language: str) -> Translator:
    """The translator for `language` (compiled once per process)."""
    if language == SOURCE_LANGUAGE or language not in OFFERED_LANGUAGES:
        return Translator(SOURCE_LANGUAGE, gettext.NullTranslations())
    return Translator(language, _compile(language))


def language_name(language: str) -> str:
    """The language's name in its own script, e.g. ไทย, မြန်မာ, 中文 (简体)."""
    locale = Locale.parse(language)
    name = locale.get_display_name(locale) or language
    return name[:1].upper() + name[1:]


def canonical_language(tag: str) -> str | None:
    """The project's name for an IETF or CLDR language tag, or None if it names no language.

    "th-TH" is th, "tl" is fil, "zh-CN" and "zh" are zh_Hans, but "zh-TW" is zh_Hant: traditional
    Chinese is not simplified Chinese."""
    try:
        locale = Locale.parse(tag.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return None
    if locale.language == "zh":
        return f"zh_{locale.script or 'Hans'}"
    return str(locale.language)


def preselect(profile_language: str | None, offered: Iterable[str] = OFFERED_LANGUAGES) -> str:
    """The offered language of the phone's language, else English (only to order the picker).

    `profile_language` is what Telegram says (an IETF tag such as "th", "zh-hans" or "pt-br");
    it is used for this and nothing else, and never stored.
    """
    code = canonical_language(profile_language) if profile_language else None
    return code if code is not None and code in set(offered) else SOURCE_LANGUAGE


def catalog_path(language: str) -> resources.abc.Traversable:
    """Where the language's `.po` file lives inside the installed `locales` package."""
    return resources.files("locales") / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def _compile(language: str) -> gettext.GNUTranslations:
    with catalog_path(language).open("rb") as source:
        catalog = read_po(source, locale=language)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)
