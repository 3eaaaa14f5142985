"""The console's languages: gettext catalogs of their own domain, compiled in memory at start.

The console's words live in `locales/console.pot` and `locales/<lang>/LC_MESSAGES/console.po`,
apart from the bot's `messages` domain: the bot's catalogs are for workers, in sixteen
languages; these are for caseworkers, in the three they work in. As for the bot, only `.po`
files are kept; they are compiled when first used.
"""

from __future__ import annotations

import gettext
from collections.abc import Callable
from functools import cache
from importlib import resources
from io import BytesIO
from typing import Any, Final

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from desk.client import DeskError

SOURCE_LANGUAGE: Final = "en"
LANGUAGES: Final = ("en", "th", "zh_Hans")
"""The console's languages, each catalog complete (a test checks)."""
LANGUAGE_NAMES: Final = {"en": "English", "th": "ไทย", "zh_Hans": "中文 (简体)"}
"""Each language in its own name, for the picker."""
DOMAIN: Final = "console"

Gettext = Callable[[str], str]


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is shown."""
    return message


class ConsoleError(DeskError):
    """A mistake the console itself names, in words its catalogs translate.

    `message` is the English msgid with `{name}` placeholders; `str()` gives the English text,
    as every `DeskError` does, so that code that only knows DeskError still reads it.
    """

    def __init__(self, message: str, **params: Any) -> None:
        self.message = message
        self.params = params
        super().__init__(message.format(**params))

    def translated(self, _: Gettext) -> str:
        """The sentence in the caseworker's language."""
        return _(self.message).format(**self.params)


def sentence(error: Exception, _: Gettext) -> str:
    """One calm sentence for a page: translated when the console wrote it, else the desk's own.

    The desk's sentences (from `desk.actions` and `desk.client`) are English and start in lower
    case for the command line's "grievance: error:" prefix; a page wants a capital and a stop.
    """
    if isinstance(error, ConsoleError):
        return error.translated(_)
    text = " ".join(str(error).split()) or type(error).__name__
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The catalog of `language` (compiled once per process); English is the source itself."""
    if language == SOURCE_LANGUAGE or language not in LANGUAGES:
        return gettext.NullTranslations()
    source = resources.files("locales") / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    with source.open("rb") as handle:
        catalog = read_po(handle, locale=language, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def negotiate(accept_language: str | None) -> str:
    """The console language closest to the browser's Accept-Language header.

    Simplified Chinese is chosen for zh, zh-CN, zh-SG and zh-Hans; traditional Chinese (zh-TW,
    zh-HK, zh-Hant) falls back to English rather than show a script its reader may not want.
    """
    wanted: list[tuple[float, int, str]] = []
    for index, part in enumerate((accept_language or "").split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and quality > 0:
            wanted.append((-quality, index, tag.strip().lower().replace("_", "-")))
    for _quality, _index, tag in sorted(wanted):
        base, _, rest = tag.partition("-")
        if base == "th":
            return "th"
        if base == "en":
            return "en"
        if base == "zh" and rest in {"", "cn", "sg", "hans", "hans-cn", "hans-sg"}:
            return "zh_Hans"
    return SOURCE_LANGUAGE


def pick(choice: str | None, accept_language: str | None) -> str:
    """The caseworker's saved choice if it is one of the console's languages, else the browser's."""
    return choice if choice in LANGUAGES else negotiate(accept_language)
