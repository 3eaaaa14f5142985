"""Monitoring partners: register one with its first signed key, rotate and revoke keys, correct
its name and countries, set its emergency contacts, list them with every statement checked.

Every key change is signed with the administrators' key (see `bot.admin.signing`) and audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from bot.admin.checks import (
    ACTOR,
    check_countries,
    check_name,
    check_slug,
    partner_named,
    reachable_countries,
    refuse_lost_intake,
)
from bot.admin.signing import Rehearsal, Signer
from bot.errors import UserError
from bot.intake.signed_keys import verify_key_row
from crypto.errors import UntrustedKeyStatement
from crypto.keys import KEY_BYTES, PublicKey, VerifyKey, key_id, partner_key_text
from storage import audit, partners
from storage.errors import NotFound
from storage.models import EMERGENCY_CONTACTS_LENGTH, Partner, PartnerKey
from vocabulary import KeyStatus


@dataclass(frozen=True)
class PartnerAdded:
    """A partner registered with its first, active key."""

    partner: str
    key_id: str
    countries: tuple[str, ...]


@dataclass(frozen=True)
class KeyRotated:
    """The partner's new active key, and the one it retired (if it had one)."""

    partner: str
    key_id: str
    retired_key_id: str | None


@dataclass(frozen=True)
class KeyRevoked:
    """A key that is never used again; without an active key the partner receives nothing."""

    partner: str
    key_id: str
    partner_has_active_key: bool


@dataclass(frozen=True)
class PartnerEdited:
    """A partner's name and the countries it covers by default, after the change."""

    partner: str
    name: str
    countries: tuple[str, ...]


@dataclass(frozen=True)
class ContactsSet:
    """What a worker in immediate danger is shown at once, for this partner's cases."""

    partner: str
    emergency_contacts: str


@dataclass(frozen=True)
class KeyListing:
    """One key of a partner as its signed statement says, and whether that verifies."""

    key_id: str
    status: str
    public_key: str
    day: date
    verified: bool


@dataclass(frozen=True)
class PartnerListing:
    """One partner, its countries and keys."""

    slug: str
    name: str
    countries: tuple[str, ...]
    emergency_contacts: str
    keys: tuple[KeyListing, ...]


@dataclass(frozen=True)
class Partners:
    """Every partner."""

    partners: tuple[PartnerListing, ...]


async def add_partner(
    session: AsyncSession,
    signer: Signer | Rehearsal,
    slug: str,
    name: str,
    public_key: PublicKey,
    countries: list[str],
) -> PartnerAdded:
    """Register a partner with its first (active) key and the countries it covers."""
    check_slug(slug, "partner")
    cleaned = check_name(name, "partner")
    codes = check_countries(countries)
    await _refuse_known_key(session, public_key)
    partner = await partners.add_partner(session, slug, cleaned, codes)
    signature, day = signer.sign(slug, public_key, KeyStatus.ACTIVE)
    await partners.add_key(
        session,
        partner,
        key_id(bytes(public_key)),
        bytes(public_key),
        KeyStatus.ACTIVE,
        day,
        signature,
    )
    await audit.record(session, ACTOR, "partner.add", slug)
    return PartnerAdded(slug, key_id(bytes(public_key)), tuple(codes))


async def rotate_key(
    session: AsyncSession, signer: Signer | Rehearsal, slug: str, public_key: PublicKey
) -> KeyRotated:
    """The new key becomes active; the active one is retired (kept, never used for new cases)."""
    partner = await partner_named(session, slug)
    await _refuse_known_key(session, public_key)
    retired = await partners.active_key(session, partner)
    if retired is not None:
        signature, day = signer.sign(slug, PublicKey(retired.public_key), KeyStatus.RETIRED)
        await partners.set_key_statement(session, retired, KeyStatus.RETIRED, day, signature)
    signature, day = signer.sign(slug, public_key, KeyStatus.ACTIVE)
    new_id = key_id(bytes(public_key))
    await partners.add_key(
        session, partner, new_id, bytes(public_key), KeyStatus.ACTIVE, day, signature
    )
    await audit.record(session, ACTOR, "key.rotate", f"{slug} {new_id}")
    return KeyRotated(slug, new_id, retired.key_id if retired is not None else None)


async def revoke_key(
    session: AsyncSession,
    signer: Signer | Rehearsal,
    slug: str,
    revoked_id: str,
    *,
    force: bool = False,
) -> KeyRevoked:
    """A revoked key is never used again, whatever its status was.

    Revoking the active key stops the partner's intake at once (its workers are told that no
    organisation can take their report) until a rotation gives it a new key: that needs `force`.
    """
    partner = await partner_named(session, slug)
    try:
        key = await partners.get_key(session, partner, revoked_id)
    except NotFound as exc:
        raise UserError(f"partner '{slug}' has no key {revoked_id}") from exc
    if key.status == KeyStatus.REVOKED:
        raise UserError(f"key {revoked_id} of partner '{slug}' is already revoked")
    was_active = key.status == KeyStatus.ACTIVE
    if was_active and not force:
        raise UserError(
            f"key {revoked_id} is the active key of partner '{slug}': revoking it stops all new "
            "reports to that partner until it has a new key; run 'partner rotate' first, or "
            "add --force to revoke it now"
        )
    signature, day = signer.sign(slug, PublicKey(key.public_key), KeyStatus.REVOKED)
    await partners.set_key_statement(session, key, KeyStatus.REVOKED, day, signature)
    await audit.record(session, ACTOR, "key.revoke", f"{slug} {revoked_id}")
    return KeyRevoked(slug, revoked_id, partner_has_active_key=not was_active)


async def set_emergency_contacts(session: AsyncSession, slug: str, text: str) -> ContactsSet:
    """What a worker who reports immediate danger is shown at once, for this partner's cases."""
    partner = await partner_named(session, slug)
    contacts = text.strip()
    if len(contacts) > EMERGENCY_CONTACTS_LENGTH:
        raise UserError(f"emergency contacts are at most {EMERGENCY_CONTACTS_LENGTH} characters")
    await partners.set_emergency_contacts(session, partner, contacts)
    await audit.record(session, ACTOR, "partner.emergency_contacts", slug)
    return ContactsSet(slug, contacts)


async def edit_partner(
    session: AsyncSession,
    slug: str,
    *,
    name: str | None = None,
    add_countries: list[str] | None = None,
    remove_countries: list[str] | None = None,
    force: bool = False,
) -> PartnerEdited:
    """Correct a partner's name or the countries it covers by default.

    A country that another partner covers is refused (one default partner a country); losing a
    country that would then have nobody to report to needs `force`. Keys are not touched here:
    their statements are signed ('partner rotate', 'revoke-key').
    """
    if name is None and not add_countries and not remove_countries:
        raise UserError("say what changes: --name, --add-country or --remove-country")
    partner = await partner_named(session, slug)
    added = check_countries(add_countries or [])
    removed = check_countries(remove_countries or [])
    current = {c.country for c in partner.countries}
    for code in removed:
        if code not in current:
            raise UserError(f"partner '{slug}' does not cover {code}")
    for code in added:
        if code in removed:
            raise UserError(f"{code} is both added and removed")
    before = await reachable_countries(session)
    if name is not None:
        await partners.rename_partner(session, partner, check_name(name, "partner"))
    await partners.set_countries(session, partner, (current | set(added)) - set(removed))
    await refuse_lost_intake(session, before, force, f"this change to partner '{slug}'")
    await audit.record(session, ACTOR, "partner.edit", slug)
    return PartnerEdited(slug, partner.name, _countries(partner))


async def list_partners(session: AsyncSession, verify_key: VerifyKey) -> Partners:
    """Every partner with its countries and keys, each key's statement checked against the pin."""
    return Partners(
        tuple(
            PartnerListing(
                partner.slug,
                partner.name,
                _countries(partner),
                partner.emergency_contacts,
                tuple(_describe_key(partner, key, verify_key) for key in partner.keys),
            )
            for partner in await partners.list_partners(session)
        )
    )


def _countries(partner: Partner) -> tuple[str, ...]:
    return tuple(sorted(c.country for c in partner.countries))


def _describe_key(partner: Partner, key: PartnerKey, verify_key: VerifyKey) -> KeyListing:
    try:
        verify_key_row(partner, key, verify_key)
        verified = True
    except UntrustedKeyStatement:
        verified = False
    shown = (
        partner_key_text(PublicKey(key.public_key))
        if len(key.public_key) == KEY_BYTES
        else "(damaged: not a 32-byte key)"
    )
    return KeyListing(key.key_id, key.status.value, shown, key.statement_day, verified)


async def _refuse_known_key(session: AsyncSession, public_key: PublicKey) -> None:
    existing = await partners.find_key(session, key_id(bytes(public_key)))
    if existing is not None:
        raise UserError(
            f"key {existing.key_id} is already registered (partner '{existing.partner.slug}'); "
            "each key pair belongs to one partner, once"
        )
