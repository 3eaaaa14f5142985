"""The sixteen languages of the channel, the phone-width rule for buttons, and the one list of
catalogs that still wait for the newest messages to be translated."""

import unicodedata

import pytest

SIXTEEN = (
    "en", "zh_Hans", "th", "ms", "id", "vi", "fil", "my",
    "ne", "bn", "hi", "ta", "es", "cs", "uk", "ur",
)  # fmt: skip
"""Every language the channel speaks (issue 10): the workers' own and the factories' countries'."""

AWAITING_DELTA = ("ms", "id", "vi", "fil", "ne", "bn", "hi", "ta", "es", "cs", "uk", "ur")
"""Catalogs translated from the template before the language work added its messages (listed in
DELTA.md beside the translators' brief): those messages are still untranslated in them. Remove a
language from here when its catalog has them; the strict xfail then insists on it."""
AWAITING_DELTA_MARK = pytest.mark.xfail(
    strict=True,
    reason="the messages listed in DELTA.md (the language work's delta) are not yet translated",
)

SHARED_ROW_WIDTH = 16
"""Yes / No, and ← Back, Skip, Done, share one row of buttons."""
BUTTON_WIDTH = 37
"""A button alone on its row, on a small phone (about 360 px wide)."""
SHARED_ROW = frozenset({"Yes", "No", "← Back", "Skip", "Done"})


def each_language(languages: tuple[str, ...] = SIXTEEN) -> list:
    """The languages as pytest parameters, those awaiting the delta marked."""
    return [
        pytest.param(lang, marks=AWAITING_DELTA_MARK) if lang in AWAITING_DELTA else lang
        for lang in languages
    ]


def width(label: str) -> int:
    """What a phone shows of a label: characters, not counting the marks (General_Category Mn,
    Me: vowel signs, tone marks, the emoji variation selector) that sit on another letter."""
    return sum(1 for char in label if unicodedata.category(char) not in {"Mn", "Me"})
