"""Partners, the countries they cover by default, and their signed public keys.

Functions flush but never commit: the caller owns the transaction (``async with session.begin():``).
"""

from collections.abc import Iterable
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from storage import days
from storage.errors import AlreadyExists, InvalidTransition, NotFound
from storage.models import Partner, PartnerCountry, PartnerKey
from vocabulary import KeyStatus


async def add_partner(
    session: AsyncSession, slug: str, name: str, countries: Iterable[str] = ()
) -> Partner:
    """Add a partner and the countries it covers by default.

    ``countries`` are ISO alpha-2 codes already validated by the caller. Raises AlreadyExists if the
    slug is taken or a country already has a default partner (one default partner per country, so
    routing is never ambiguous).
    """
    codes = sorted({country.upper() for country in countries})
    if await session.scalar(select(Partner.id).where(Partner.slug == slug)) is not None:
        raise AlreadyExists(f"partner {slug!r} already exists")
    for code in codes:
        holder = await partner_for_country(session, code)
        if holder is not None:
            raise AlreadyExists(f"country {code} is already covered by partner {holder.slug!r}")
    partner = Partner(
        slug=slug,
        name=name,
        created_day=days.today(),
        countries=[PartnerCountry(country=code) for code in codes],
        keys=[],
    )
    session.add(partner)
    await session.flush()
    return partner


async def get_partner(session: AsyncSession, slug: str) -> Partner:
    """Return the partner called ``slug`` (countries and keys loaded); NotFound if none."""
    partner = await session.scalar(select(Partner).where(Partner.slug == slug))
    if partner is None:
        raise NotFound(f"partner {slug!r} not found")
    return partner


async def get_partner_by_id(session: AsyncSession, partner_id: int) -> Partner:
    """Return the partner with ``partner_id``; NotFound if none (e.g. from a credential)."""
    partner = await session.get(Partner, partner_id)
    if partner is None:
        raise NotFound(f"partner #{partner_id} not found")
    return partner


async def list_partners(session: AsyncSession) -> list[Partner]:
    """Return every partner with its countries and keys loaded, ordered by slug."""
    result = await session.scalars(select(Partner).order_by(Partner.slug))
    return list(result)


async def partner_for_country(session: AsyncSession, country: str) -> Partner | None:
    """Return the default partner for ``country`` (alpha-2), or None if nobody covers it."""
    return await session.scalar(
        select(Partner)
        .join(PartnerCountry, PartnerCountry.partner_id == Partner.id)
        .where(PartnerCountry.country == country.upper())
    )


async def add_key(
    session: AsyncSession,
    partner: Partner,
    key_id: str,
    public_key: bytes,
    status: KeyStatus,
    statement_day: date,
    signature: bytes,
) -> PartnerKey:
    """Store a partner public key with the administrators' signed statement about it.

    Storage does not verify the signature (crypto/ does, before calling); it keeps it so the key
    can be re-verified on every use. AlreadyExists if ``key_id`` is known or if ``status`` is
    active while the partner already has an active key (retire that one first).
    """
    if await session.scalar(select(PartnerKey.id).where(PartnerKey.key_id == key_id)) is not None:
        raise AlreadyExists(f"key {key_id} already exists")
    if status == KeyStatus.ACTIVE and await active_key(session, partner) is not None:
        raise AlreadyExists(f"partner {partner.slug!r} already has an active key")
    # Through the relationship, so an already-loaded ``partner.keys`` stays in step (no query).
    key = PartnerKey(
        partner=partner,
        key_id=key_id,
        public_key=public_key,
        status=status,
        statement_day=statement_day,
        signature=signature,
    )
    session.add(key)
    await session.flush()
    return key


async def get_key(session: AsyncSession, partner: Partner, key_id: str) -> PartnerKey:
    """Return ``partner``'s key ``key_id``; NotFound if missing or another partner's."""
    key = await session.scalar(
        select(PartnerKey).where(PartnerKey.partner_id == partner.id, PartnerKey.key_id == key_id)
    )
    if key is None:
        raise NotFound(f"key {key_id} of partner {partner.slug!r} not found")
    return key


async def find_key(session: AsyncSession, key_id: str) -> PartnerKey | None:
    """Return the key ``key_id`` of any partner (its partner loaded), or None.

    For administrators: a key pair belongs to one partner, once, so a known key is refused.
    """
    return await session.scalar(
        select(PartnerKey)
        .where(PartnerKey.key_id == key_id)
        .options(joinedload(PartnerKey.partner))
    )


async def active_key(session: AsyncSession, partner: Partner) -> PartnerKey | None:
    """Return the partner's active key (new reports are sealed to it), or None."""
    return await session.scalar(
        select(PartnerKey).where(
            PartnerKey.partner_id == partner.id, PartnerKey.status == KeyStatus.ACTIVE
        )
    )


async def set_key_statement(
    session: AsyncSession,
    key: PartnerKey,
    status: KeyStatus,
    statement_day: date,
    signature: bytes,
) -> PartnerKey:
    """Change a key's status together with the new signed statement that authorises it.

    A status never changes without a fresh signature, so the stored statement always matches the
    stored status. A revoked key stays revoked (InvalidTransition): a lost laptop's key must never
    come back; issue a new key instead. Activating a key while another is active raises
    AlreadyExists; retire the old one first (in the same transaction for a rotation).
    """
    if key.status == KeyStatus.REVOKED and status != KeyStatus.REVOKED:
        raise InvalidTransition(f"key {key.key_id} is revoked and cannot become {status}")
    if status == KeyStatus.ACTIVE and key.status != KeyStatus.ACTIVE:
        current = await session.scalar(
            select(PartnerKey).where(
                PartnerKey.partner_id == key.partner_id, PartnerKey.status == KeyStatus.ACTIVE
            )
        )
        if current is not None:
            raise AlreadyExists(f"partner already has an active key ({current.key_id})")
    key.status = status
    key.statement_day = statement_day
    key.signature = signature
    # Flush now: a rotation retires the old key before inserting the new active one, and the
    # one-active-key index is checked row by row.
    await session.flush()
    return key


async def set_emergency_contacts(session: AsyncSession, partner: Partner, contacts: str) -> None:
    """Replace what a worker in danger is shown for this partner."""
    partner.emergency_contacts = contacts
    await session.flush()


async def rename_partner(session: AsyncSession, partner: Partner, name: str) -> None:
    """Replace the partner's full name (its slug, used in signed statements, stays)."""
    partner.name = name
    await session.flush()


async def set_countries(session: AsyncSession, partner: Partner, countries: Iterable[str]) -> None:
    """Make ``countries`` (alpha-2, validated by the caller) exactly the ones the partner covers
    by default.

    AlreadyExists if one of them already has another default partner: one default partner per
    country, so routing is never ambiguous.
    """
    codes = sorted({country.upper() for country in countries})
    for code in codes:
        holder = await partner_for_country(session, code)
        if holder is not None and holder.id != partner.id:
            raise AlreadyExists(f"country {code} is already covered by partner {holder.slug!r}")
    kept = {c.country: c for c in partner.countries}
    partner.countries = [kept.get(code) or PartnerCountry(country=code) for code in codes]
    await session.flush()
