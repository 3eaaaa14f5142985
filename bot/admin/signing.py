"""The administrators' signature on a partner key's statement, or its stand-in for a rehearsal.

A command that signs is first tried with a `Rehearsal` in a transaction that is rolled back, so
that every check runs before the administrator is asked for the signing key's passphrase.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final

from bot.errors import UserError
from crypto.keys import PublicKey, SigningKey, VerifyKey, key_id
from crypto.statements import KeyStatement, sign_statement
from storage.days import today
from vocabulary import KeyStatus

SIGNATURE_BYTES: Final = 64


@dataclass(frozen=True)
class Signer:
    """The administrators' signing key, opened for one command, checked against the pin."""

    signing_key: SigningKey

    @classmethod
    def checked(cls, signing_key: SigningKey, pinned: VerifyKey) -> Signer:
        """Refuse a signing key whose signatures the server would not accept."""
        if bytes(signing_key.verify_key) != bytes(pinned):
            raise UserError(
                "this signing key does not match GRIEVANCE_ADMIN_VERIFY_KEY; "
                "the server would refuse what it signs"
            )
        return cls(signing_key)

    def sign(self, partner: str, public_key: PublicKey, status: KeyStatus) -> tuple[bytes, date]:
        """A signature over a fresh statement dated today, and that day."""
        day = today()
        raw = bytes(public_key)
        statement = KeyStatement(partner, key_id(raw), raw, status, day)
        return sign_statement(statement, self.signing_key), day


class Rehearsal:
    """Stands in for the signing key while a command is tried in a transaction that is rolled
    back. Its "signatures" are zeros, which verify against nothing; they are never committed.
    """

    def sign(self, partner: str, public_key: PublicKey, status: KeyStatus) -> tuple[bytes, date]:
        """Zeros and today."""
        return bytes(SIGNATURE_BYTES), today()
