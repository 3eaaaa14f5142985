"""The language picker's order: the phone's language, then the languages of the deployment's
countries (official ones, then their migrant workers'), then English, then the rest.

Sixteen names do not fit one small phone screen, so the picker is paged (Screens): this order
decides what the worker sees without pressing "More".
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import zip_longest
from typing import Final

from babel.languages import get_official_languages

from handlers.i18n import OFFERED_LANGUAGES, SOURCE_LANGUAGE, canonical_language, preselect

MIGRANT_LANGUAGES: Final = {
    "TH": ("my",),
    "MY": ("ne", "bn", "my", "id", "ur", "ta", "hi", "vi"),
    "CZ": ("uk", "vi"),
    "TW": ("id", "vi", "fil", "th"),
}
"""Languages of migrant workers in a country's electronics factories, most common first (from
the workforces the project serves: Myanmar workers in Thailand; Nepali, Bangladeshi, Burmese,
Indonesian, Pakistani and Indian workers in Malaysia; Ukrainian and Vietnamese workers in Czechia;
Indonesian, Vietnamese, Filipino and Thai workers in Taiwan)."""


def official_languages(country: str) -> list[str]:
    """The country's official (and de-facto official) languages, from Babel's CLDR data."""
    codes = (canonical_language(code) for code in get_official_languages(country, de_facto=True))
    return [code for code in codes if code is not None]


def picker_order(
    profile_language: str | None,
    countries: Iterable[str],
    offered: Iterable[str] = OFFERED_LANGUAGES,
) -> list[str]:
    """Every offered language once, in the order the picker shows them: the phone's, the
    countries' official ones, their migrant workers', English, then the rest in `offered` order."""
    offered = list(offered)
    countries = list(countries)
    official = [code for country in countries for code in official_languages(country)]
    # Each country's most common migrant language before any country's second one.
    by_rank = zip_longest(*(MIGRANT_LANGUAGES.get(country, ()) for country in countries))
    migrant = [code for rank in by_rank for code in rank if code is not None]
    first = preselect(profile_language, offered)
    ordered = _unique([first, *official, *migrant, SOURCE_LANGUAGE, *offered])
    return [code for code in ordered if code in offered]


def _unique(codes: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(codes))
