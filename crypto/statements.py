"""Signed key statements: the administrators vouch that a public key belongs to a partner.

The server pins only the administrators' verify key. A partner key is used for a new case only
if its statement verifies, so a key swapped in the database is refused at the moment of use.
docs/FORMAT.md, section "Key statements", is the byte-exact description.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Final

from nacl.exceptions import BadSignatureError
from nacl.public import PublicKey
from nacl.signing import SigningKey, VerifyKey

from crypto.errors import UntrustedKeyStatement
from crypto.keys import key_id, partner_key_text
from vocabulary import KeyStatus

STATEMENT_HEADER: Final = "grievance key statement v1"
SIGNATURE_BYTES: Final = 64
SLUG_PATTERN: Final = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?")
"""Partner slugs: lower-case letters, digits and inner dashes, 1 to 64 characters."""


@dataclass(frozen=True)
class KeyStatement:
    """The administrators' word on one partner key, as it is signed."""

    partner: str
    key_id: str
    public_key: bytes
    status: KeyStatus
    day: date

    def to_bytes(self) -> bytes:
        """The exact bytes that are signed: six lines, each ending in a line feed."""
        if not SLUG_PATTERN.fullmatch(self.partner):
            raise ValueError(f"not a valid partner slug: {self.partner!r}")
        lines = [
            STATEMENT_HEADER,
            f"partner: {self.partner}",
            f"key-id: {self.key_id}",
            f"public-key: {partner_key_text(PublicKey(self.public_key))}",
            f"status: {self.status.value}",
            f"day: {self.day.isoformat()}",
        ]
        return "".join(line + "\n" for line in lines).encode("ascii")


def sign_statement(statement: KeyStatement, signing_key: SigningKey) -> bytes:
    """The detached Ed25519 signature over the statement (64 bytes)."""
    if statement.key_id != key_id(statement.public_key):
        raise ValueError("the key id does not match the public key")
    return bytes(signing_key.sign(statement.to_bytes()).signature)


def verify_statement(statement: KeyStatement, signature: bytes, verify_key: VerifyKey) -> None:
    """Raise UntrustedKeyStatement unless the statement is consistent and signed by `verify_key`."""
    problem = f"the key statement for partner '{statement.partner}' does not verify"
    if len(statement.public_key) != 32 or statement.key_id != key_id(statement.public_key):
        raise UntrustedKeyStatement(f"{problem}: its key id does not match its public key")
    try:
        verify_key.verify(statement.to_bytes(), signature)
    except (BadSignatureError, ValueError) as exc:
        raise UntrustedKeyStatement(
            f"{problem}: it is not signed by the pinned administrators' key"
        ) from exc
