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

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, get_decimal_symbol

SOURCE_LANGUAGE: Final = "en"
OFFERED_LANGUAGES: Final = ("en", "th", "my", "zh_Hans")
"""Languages the worker can pick, in the order shown: each catalog is complete (a test checks)."""
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


def preselect(profile_language: str | None, offered: Iterable[str] = OFFERED_LANGUAGES) -> str:
    """The offered language closest to the phone's language (used only to order the picker).

    Telegram gives IETF tags such as "th", "zh-hans" or "pt-br"; traditional Chinese (zh-hant,
    zh-tw, zh-hk) is not simplified Chinese, so it falls back to English rather than mislead.
    """
    if not profile_language:
        return SOURCE_LANGUAGE
    wanted = profile_language.replace("-", "_").lower()
    by_lower = {language.lower(): language for language in offered}
    if wanted in by_lower:
        return by_lower[wanted]
    base, _, rest = wanted.partition("_")
    if base == "zh":
        return (
            by_lower.get("zh_hans", SOURCE_LANGUAGE)
            if rest in {"", "cn", "sg"}
            else SOURCE_LANGUAGE
        )
    return next(
        (lang for low, lang in by_lower.items() if low.split("_")[0] == base), SOURCE_LANGUAGE
    )


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
