"""The sixteen languages of the channel, and the phone-width rule for buttons."""

import unicodedata

SIXTEEN = (
    "en", "zh_Hans", "th", "ms", "id", "vi", "fil", "my",
    "ne", "bn", "hi", "ta", "es", "cs", "uk", "ur",
)  # fmt: skip
"""Every language the channel speaks (issue 10): the workers' own and the factories' countries'."""

SHARED_ROW_WIDTH = 16
"""Yes / No, and ← Back, Skip, Done, share one row of buttons."""
BUTTON_WIDTH = 37
"""A button alone on its row, on a small phone (about 360 px wide)."""
SHARED_ROW = frozenset({"Yes", "No", "← Back", "Skip", "Done"})


def width(label: str) -> int:
    """What a phone shows of a label: characters, not counting the marks (General_Category Mn,
    Me: vowel signs, tone marks, the emoji variation selector) that sit on another letter."""
    return sum(1 for char in label if unicodedata.category(char) not in {"Mn", "Me"})
