"""Language names for the caseworker: the worker's language in its own name and in English.

A table rather than Babel: the desk keeps to the standard library and crypto/, and the set of
worker languages is short and fixed (DESIGN.md). The names are Babel's, as the bot shows them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

_NAMES: Final = {
    "en": ("English", "English"),
    "zh_Hans": ("中文 (简体)", "Chinese (Simplified)"),
    "th": ("ไทย", "Thai"),
    "ms": ("Melayu", "Malay"),
    "id": ("Indonesia", "Indonesian"),
    "vi": ("Tiếng Việt", "Vietnamese"),
    "tl": ("Filipino", "Filipino"),
    "my": ("မြန်မာ", "Burmese"),
    "ne": ("नेपाली", "Nepali"),
    "bn": ("বাংলা", "Bangla"),
    "hi": ("हिन्दी", "Hindi"),
    "ta": ("தமிழ்", "Tamil"),
    "es": ("Español", "Spanish"),
    "cs": ("Čeština", "Czech"),
    "uk": ("Українська", "Ukrainian"),
    "ur": ("اردو", "Urdu"),
}


@dataclass(frozen=True)
class Language:
    """A language code with its names; an unknown code is shown as the code itself."""

    code: str
    native: str
    english: str

    def label(self) -> str:
        """`ไทย (Thai)`; just `English` when both names are the same."""
        return self.native if self.native == self.english else f"{self.native} ({self.english})"


def language(code: str) -> Language:
    """Names of `code` (e.g. `th`, `zh_Hans`)."""
    native, english = _NAMES.get(code, (code, code))
    return Language(code, native, english)
