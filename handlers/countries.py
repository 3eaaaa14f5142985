"""Countries as ISO 3166-1 alpha-2 codes, with names from Babel's CLDR data in any language."""

from __future__ import annotations

from typing import Final

from babel import Locale

_NOT_ISO_3166_1: Final = frozenset(
    {"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "XK", "ZZ"}
)
"""Two-letter CLDR territories that are not assigned ISO 3166-1 country codes."""

COUNTRY_CODES: Final = frozenset(
    code
    for code in map(str, Locale("en").territories)
    if len(code) == 2 and code.isalpha() and code not in _NOT_ISO_3166_1
)


class UnknownCountry(ValueError):
    """Not an ISO 3166-1 alpha-2 country code."""


def parse_country(text: str) -> str:
    """The upper-case code for `text`, or UnknownCountry naming what was given."""
    code = text.strip().upper()
    if code not in COUNTRY_CODES:
        raise UnknownCountry(f"'{text}' is not an ISO 3166-1 alpha-2 country code (e.g. TH, MY)")
    return code


def country_name(code: str, language: str = "en") -> str:
    """The country's name in `language` (a Babel locale identifier), falling back to English."""
    try:
        names = Locale.parse(language).territories
    except (ValueError, LookupError):
        names = Locale("en").territories
    return str(names.get(code, code))
