"""The signed partner key directory: a partner key is used only after its statement verifies.

Verification happens at the moment of use, not when the key was stored, so a public key altered
directly in the database is refused before anything is sealed to it.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from crypto.keys import PublicKey, VerifyKey
from crypto.statements import KeyStatement, verify_statement
from storage import partners
from storage.models import Partner, PartnerKey


class NoUsablePartnerKey(Exception):
    """The partner has no active key, so nothing can be sealed to it."""


def statement_for(partner: Partner, key: PartnerKey) -> KeyStatement:
    """The statement the administrators signed for `key`, rebuilt from the stored fields."""
    return KeyStatement(
        partner=partner.slug,
        key_id=key.key_id,
        public_key=key.public_key,
        status=key.status,
        day=key.statement_day,
    )


def verify_key_row(partner: Partner, key: PartnerKey, verify_key: VerifyKey) -> None:
    """Raise UntrustedKeyStatement (naming the partner) unless the stored statement verifies."""
    verify_statement(statement_for(partner, key), key.signature, verify_key)


async def sealing_key(session: AsyncSession, partner: Partner, verify_key: VerifyKey) -> PublicKey:
    """The partner's active public key, verified against the pinned administrators' key."""
    key = await partners.active_key(session, partner)
    if key is None:
        raise NoUsablePartnerKey(f"partner '{partner.slug}' has no active key")
    verify_key_row(partner, key, verify_key)
    return PublicKey(key.public_key)
