"""Keyed BLAKE2b for values that must be recognisable but not reversible (chat ids, tokens)."""

from __future__ import annotations

from nacl.encoding import RawEncoder
from nacl.hash import blake2b

KEYED_HASH_BYTES = 16


def keyed_hash(key: bytes, message: bytes) -> str:
    """Hex BLAKE2b-128 of `message` under `key`: without the key it cannot be linked back."""
    return blake2b(message, digest_size=KEYED_HASH_BYTES, key=key, encoder=RawEncoder).hex()
