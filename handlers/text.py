"""Cleaning what a worker types: keep every script and emoji, drop invisible tricks and controls."""

from __future__ import annotations

import unicodedata
from typing import Final

_DROPPED: Final = frozenset(
    "\u200b\u2060\ufeff"  # zero-width space, word joiner, byte-order mark
    "\u202a\u202b\u202c\u202d\u202e"  # bidirectional embeddings and overrides
    "\u2066\u2067\u2068\u2069"  # bidirectional isolates
)
"""Invisible characters that can disguise text. ZWJ/ZWNJ and the LRM/RLM marks stay: Indic,
Persian-script and emoji text need them."""
_KEPT_CONTROLS: Final = frozenset("\n\t")


def clean_text(text: str) -> str:
    """NFC text without control characters or disguising invisible characters, trimmed."""
    kept = (
        char
        for char in unicodedata.normalize("NFC", text)
        if char not in _DROPPED
        and (char in _KEPT_CONTROLS or unicodedata.category(char) not in {"Cc", "Cs", "Co"})
    )
    return "".join(kept).strip()


def has_words(text: str) -> bool:
    """At least one letter or digit? (Emoji alone tell a caseworker little.)"""
    return any(unicodedata.category(char)[0] in {"L", "N"} for char in text)


def parse_number(text: str) -> int | None:
    """A whole number typed in any script's digits, with spaces, commas or dots between groups."""
    digits = []
    for char in clean_text(text):
        if char in " ,.'\u00a0\u202f_":
            continue
        value = unicodedata.decimal(char, None)
        if value is None:
            return None
        digits.append(str(value))
    if not digits or len(digits) > 9:
        return None
    return int("".join(digits))
