"""Public keys as text, key ids (fingerprints), and fresh key pairs.

Partner keys are X25519 (crypto_box); the administrators' key is Ed25519 (crypto_sign). Their text
forms carry different prefixes so that one can never be pasted where the other belongs.
"""

from __future__ import annotations

import binascii
import functools
from typing import Final

from nacl.encoding import RawEncoder
from nacl.hash import blake2b
from nacl.public import PrivateKey, PublicKey
from nacl.signing import SigningKey, VerifyKey

from crypto.errors import InvalidKeyText

__all__ = [
    "KEY_BYTES",
    "KEY_ID_BYTES",
    "PARTNER_KEY_PREFIX",
    "VERIFY_KEY_PREFIX",
    "PrivateKey",
    "PublicKey",
    "SigningKey",
    "VerifyKey",
    "key_id",
    "new_partner_key",
    "new_signing_key",
    "parse_key_id",
    "parse_partner_key",
    "parse_verify_key",
    "partner_key_text",
    "verify_key_text",
]

PARTNER_KEY_PREFIX: Final = "gpk1"
"""Text prefix of a partner's X25519 public key: `gpk1` + 64 lower-case hex digits."""

VERIFY_KEY_PREFIX: Final = "gvk1"
"""Text prefix of the administrators' Ed25519 verify key: `gvk1` + 64 lower-case hex digits."""

KEY_BYTES: Final = 32
KEY_ID_BYTES: Final = 16
KEY_ID_PERSON: Final = b"grievance-keyid"
"""BLAKE2b personalisation of key ids (zero-padded to 16 bytes by libsodium)."""


def key_id(public_key: bytes) -> str:
    """The fingerprint under which wraps and statements name a public key: BLAKE2b-128, hex."""
    if len(public_key) != KEY_BYTES:
        raise InvalidKeyText("a public key is 32 bytes")
    return _fingerprint(bytes(public_key))


@functools.lru_cache(maxsize=64)
def _fingerprint(public_key: bytes) -> str:
    # Cached: opening a queue asks for the same few partner keys' ids once per entry, tens of
    # thousands of times, and a key's id never changes.
    digest = blake2b(public_key, digest_size=KEY_ID_BYTES, person=KEY_ID_PERSON, encoder=RawEncoder)
    return digest.hex()


def parse_key_id(text: str) -> str:
    """Check a key id typed by a person and return it in canonical (lower-case) form."""
    cleaned = text.strip().lower()
    if len(cleaned) != 2 * KEY_ID_BYTES or not _is_hex(cleaned):
        raise InvalidKeyText(f"a key id is {2 * KEY_ID_BYTES} hexadecimal digits")
    return cleaned


def partner_key_text(public_key: PublicKey) -> str:
    """A partner public key in its text form."""
    return PARTNER_KEY_PREFIX + bytes(public_key).hex()


def parse_partner_key(text: str) -> PublicKey:
    """Read a partner public key from its text form; any other text is refused."""
    return PublicKey(_parse_prefixed(text, PARTNER_KEY_PREFIX, "partner public key"))


def verify_key_text(verify_key: VerifyKey) -> str:
    """The administrators' verify key in its text form, as pinned in the configuration."""
    return VERIFY_KEY_PREFIX + bytes(verify_key).hex()


def parse_verify_key(text: str) -> VerifyKey:
    """Read the administrators' verify key from its text form; any other text is refused."""
    return VerifyKey(_parse_prefixed(text, VERIFY_KEY_PREFIX, "administrators' verify key"))


def new_partner_key() -> PrivateKey:
    """A fresh X25519 key pair for a monitoring partner."""
    return PrivateKey.generate()


def new_signing_key() -> SigningKey:
    """A fresh Ed25519 key pair for the administrators."""
    return SigningKey.generate()


def _parse_prefixed(text: str, prefix: str, what: str) -> bytes:
    cleaned = text.strip()
    body = cleaned[len(prefix) :].lower()
    if not cleaned.startswith(prefix) or len(body) != 2 * KEY_BYTES or not _is_hex(body):
        raise InvalidKeyText(
            f"this is not a {what}: expected '{prefix}' followed by 64 hexadecimal digits"
        )
    return binascii.unhexlify(body)


def _is_hex(text: str) -> bool:
    return all(c in "0123456789abcdef" for c in text)
