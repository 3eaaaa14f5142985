"""Language names for the caseworker: the worker's language in its own name and in English.

From Babel's CLDR data, as the bot's picker shows them to the worker, so that a caseworker can
match what the worker chose; a code Babel does not know is shown as the code itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from babel import Locale, UnknownLocaleError


@dataclass(frozen=True)
class Language:
    """A language code with its names; an unknown code is shown as the code itself."""

    code: str
    native: str
    english: str

    def label(self) -> str:
        """`ไทย (Thai)`; just `English` when both names are the same."""
        return self.native if self.native == self.english else f"{self.native} ({self.english})"


@lru_cache(maxsize=64)
def language(code: str) -> Language:
    """Names of `code` (e.g. `th`, `zh_Hans`, `fil`), from Babel."""
    try:
        locale = Locale.parse(code)
    except (ValueError, TypeError, UnknownLocaleError):
        return Language(code, code, code)
    native = locale.get_display_name(locale) or code
    english = locale.get_display_name("en") or code
    return Language(code, native[:1].upper() + native[1:], english)
