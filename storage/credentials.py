"""Caseworker API credentials: each reaches one partner's queue; only the token's hash is stored.

Functions flush but never commit: the caller owns the transaction.
"""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import days
from storage.errors import AlreadyExists, NotFound
from storage.models import CaseworkerCredential, Partner
from vocabulary import CredentialRole


async def add_credential(
    session: AsyncSession,
    partner: Partner,
    label: str,
    token_hash: bytes,
    role: CredentialRole = CredentialRole.TRIAGE,
) -> CaseworkerCredential:
    """Store a credential for ``partner`` by the hash of its token (the token itself never).

    ``role`` says what it may do; the default, ``triage``, cannot purge.

    AlreadyExists if the hash is already stored (a reused token would blur which partner it
    reaches).
    """
    existing = await session.scalar(
        select(CaseworkerCredential.id).where(CaseworkerCredential.token_hash == token_hash)
    )
    if existing is not None:
        raise AlreadyExists("a credential with this token already exists")
    credential = CaseworkerCredential(
        partner=partner,
        label=label,
        token_hash=token_hash,
        role=role,
        created_day=days.today(),
    )
    session.add(credential)
    await session.flush()
    return credential


async def find_active_credential(
    session: AsyncSession, token_hash: bytes
) -> CaseworkerCredential | None:
    """Return the unrevoked credential with ``token_hash``, or None (revoked ones never match)."""
    return await session.scalar(
        select(CaseworkerCredential).where(
            CaseworkerCredential.token_hash == token_hash,
            CaseworkerCredential.revoked_day.is_(None),
        )
    )


async def list_credentials(
    session: AsyncSession, partner: Partner | None = None
) -> list[CaseworkerCredential]:
    """Return credentials (revoked ones too, partner loaded), optionally of one partner."""
    query = select(CaseworkerCredential).order_by(CaseworkerCredential.id)
    if partner is not None:
        query = query.where(CaseworkerCredential.partner_id == partner.id)
    return list(await session.scalars(query))


async def active_credentials(session: AsyncSession, partner_id: int) -> list[CaseworkerCredential]:
    """The unrevoked credentials of one partner, oldest first (whom a case can be assigned to)."""
    return list(
        await session.scalars(
            select(CaseworkerCredential)
            .where(
                CaseworkerCredential.partner_id == partner_id,
                CaseworkerCredential.revoked_day.is_(None),
            )
            .order_by(CaseworkerCredential.id)
        )
    )


async def revoke_credential(session: AsyncSession, credential_id: int) -> CaseworkerCredential:
    """Revoke a credential from today on; NotFound if unknown.

    Revoking twice keeps the first day, so the record says when access really ended.
    """
    credential = await session.get(CaseworkerCredential, credential_id)
    if credential is None:
        raise NotFound(f"credential #{credential_id} not found")
    if credential.revoked_day is None:
        credential.revoked_day = days.today()
        await session.flush()
    return credential
