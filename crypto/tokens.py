"""Caseworker API tokens: drawn at random, shown once, stored only as a hash.

A token carries 256 random bits, so nobody can guess one or search for it from its hash: unlike a
passphrase it needs no slow (Argon2) hash, and a fast BLAKE2b keeps every API request cheap.
"""

from __future__ import annotations

import secrets
from typing import Final

from nacl.encoding import RawEncoder
from nacl.hash import blake2b

TOKEN_PREFIX: Final = "gct_"  # noqa: S105 (a prefix, not a secret)
"""Marks a grievance caseworker token, so a pasted one is recognised (and found by scanners)."""
TOKEN_RANDOM_BYTES: Final = 32
TOKEN_HASH_BYTES: Final = 32  # BLAKE2b-256
TOKEN_HASH_PERSON: Final = b"grievance-token"
"""BLAKE2b personalisation: a token hash can never equal a key id or any other hash we compute."""
MAX_TOKEN_CHARS: Final = 128
"""Longer than any token we issue; longer text is refused before it is hashed."""


def new_token() -> str:
    """A fresh caseworker token: the prefix and 256 random bits in URL-safe base64."""
    return TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_RANDOM_BYTES)


def looks_like_token(text: str) -> bool:
    """Whether `text` has the shape of a token we issue (cheap check before any lookup)."""
    return (
        len(text) <= MAX_TOKEN_CHARS
        and text.startswith(TOKEN_PREFIX)
        and text.isascii()
        and text[len(TOKEN_PREFIX) :].replace("-", "").replace("_", "").isalnum()
    )


def token_hash(token: str) -> bytes:
    """BLAKE2b-256 of the token: what the server stores and looks tokens up by.

    A fast hash suffices because the token is high-entropy (see the module docstring); a slow one
    would only make every request slower.
    """
    return blake2b(
        token.encode("utf-8"),
        digest_size=TOKEN_HASH_BYTES,
        person=TOKEN_HASH_PERSON,
        encoder=RawEncoder,
    )
