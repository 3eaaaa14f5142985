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
_DIRECTION_MARKS: Final = frozenset("\u200e\u200f\u061c")
"""LRM, RLM and the Arabic letter mark: right-to-left keyboards type them around digits."""
_DECIMAL_SEPARATOR: Final = "\u066b"
"""The Arabic decimal separator: always a fraction."""
_FRACTION_SEPARATORS: Final = frozenset(",.\u066b")
_GROUP_SEPARATORS: Final = frozenset(" ,.'\u00a0\u202f_\u066b\u066c")


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


class NotWhole(ValueError):
    """A number with a fraction (12.5, 1,5): the question wants a whole number."""


def parse_number(text: str, decimal_symbol: str = ".") -> int | None:
    """A whole number typed in any script's digits, with spaces, commas or dots between groups.

    Groups after the first have three digits (two before the last in Indian grouping, 1,00,000);
    anything else after a comma or a dot, or the locale's `decimal_symbol`, is a fraction and
    raises NotWhole. RTL keyboards' direction marks are skipped. None: not a number at all.
    """
    groups, separators = [""], []
    for char in clean_text(text):
        if char in _DIRECTION_MARKS:
            continue
        if char in _GROUP_SEPARATORS or char == decimal_symbol:
            groups.append("")
            separators.append(char)
            continue
        value = unicodedata.decimal(char, None)
        if value is None:
            return None
        groups[-1] += str(value)
    if not all(groups) or len("".join(groups)) > 9:
        return None
    if (
        _is_grouped(groups)
        and decimal_symbol not in separators
        and _DECIMAL_SEPARATOR not in separators
    ):
        return int("".join(groups))
    if separators and separators[-1] in _FRACTION_SEPARATORS | {decimal_symbol}:
        raise NotWhole(text)
    return None


def _is_grouped(groups: list[str]) -> bool:
    """1 000 000 or 1,00,000: a first group of one to three digits, then groups of three (or
    of two before a last group of three)."""
    first, *rest = groups
    if not rest:
        return True
    if len(first) > 3 or len(rest[-1]) != 3:
        return False
    middle = {len(group) for group in rest[:-1]}
    return middle <= {3} or middle <= {2}
