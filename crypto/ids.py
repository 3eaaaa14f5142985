"""Random identifiers for cases and entries. They carry no time and no order on purpose."""

from __future__ import annotations

import secrets

from vocabulary import CASE_ID_CHARS, ENTRY_ID_CHARS, ID_ALPHABET


def new_case_id() -> str:
    """60 random bits, e.g. `7KQ2M9XD4H1A`: unguessable, short enough to read over the phone."""
    return _random_id(CASE_ID_CHARS)


def new_entry_id() -> str:
    """100 random bits: entries are never typed, only bound into the envelope's context."""
    return _random_id(ENTRY_ID_CHARS)


def _random_id(length: int) -> str:
    return "".join(secrets.choice(ID_ALPHABET) for _ in range(length))
