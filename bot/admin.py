"""What the administrators do: register partners and their signed keys, and route sites.

Each function takes an open session and returns plain data for the command line to print. Every
key change is signed with the administrators' key and recorded in the audit log (actor, action,
day: never anything about workers).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import UserError
from crypto.errors import UntrustedKeyStatement
from crypto.keys import KEY_BYTES, PublicKey, SigningKey, VerifyKey, key_id, partner_key_text
from crypto.statements import SLUG_PATTERN, KeyStatement, KeyStatus, sign_statement
from handlers.countries import UnknownCountry, parse_country
from handlers.directory import verify_key_row
from storage import audit, partners, sites
from storage.days import today
from storage.errors import NotFound
from storage.models import EMERGENCY_CONTACTS_LENGTH, Partner, PartnerKey
from storage.models import KeyStatus as StoredKeyStatus

ACTOR = "admin"


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


def check_slug(slug: str, what: str) -> str:
    """Slugs name partners and sites in commands, statements and the audit log."""
    if not SLUG_PATTERN.fullmatch(slug):
        raise UserError(
            f"'{slug}' is not a valid {what} name: use 1 to 64 lower-case letters, digits "
            "and dashes, not starting or ending with a dash"
        )
    return slug


def check_countries(codes: list[str]) -> list[str]:
    """Upper-case ISO codes, each once; a wrong one is named."""
    try:
        parsed = [parse_country(code) for code in codes]
    except UnknownCountry as exc:
        raise UserError(str(exc)) from exc
    return list(dict.fromkeys(parsed))


async def add_partner(
    session: AsyncSession,
    signer: Signer,
    slug: str,
    name: str,
    public_key: PublicKey,
    countries: list[str],
) -> dict[str, Any]:
    """Register a partner with its first (active) key and the countries it covers."""
    check_slug(slug, "partner")
    if not name.strip():
        raise UserError("a partner needs a name (--name)")
    codes = check_countries(countries)
    await _refuse_known_key(session, public_key)
    partner = await partners.add_partner(session, slug, name.strip(), codes)
    signature, day = signer.sign(slug, public_key, KeyStatus.ACTIVE)
    await partners.add_key(
        session,
        partner,
        key_id(bytes(public_key)),
        bytes(public_key),
        StoredKeyStatus.ACTIVE,
        day,
        signature,
    )
    await audit.record(session, ACTOR, "partner.add", slug)
    return {"partner": slug, "key_id": key_id(bytes(public_key)), "countries": codes}


async def rotate_key(
    session: AsyncSession, signer: Signer, slug: str, public_key: PublicKey
) -> dict[str, Any]:
    """The new key becomes active; the active one is retired (kept, never used for new cases)."""
    partner = await _partner(session, slug)
    await _refuse_known_key(session, public_key)
    retired = await partners.active_key(session, partner)
    if retired is not None:
        signature, day = signer.sign(slug, PublicKey(retired.public_key), KeyStatus.RETIRED)
        await partners.set_key_statement(session, retired, StoredKeyStatus.RETIRED, day, signature)
    signature, day = signer.sign(slug, public_key, KeyStatus.ACTIVE)
    new_id = key_id(bytes(public_key))
    await partners.add_key(
        session, partner, new_id, bytes(public_key), StoredKeyStatus.ACTIVE, day, signature
    )
    await audit.record(session, ACTOR, "key.rotate", f"{slug} {new_id}")
    return {
        "partner": slug,
        "key_id": new_id,
        "retired_key_id": retired.key_id if retired is not None else None,
    }


async def revoke_key(
    session: AsyncSession, signer: Signer, slug: str, revoked_id: str
) -> dict[str, Any]:
    """A revoked key is never used again, whatever its status was."""
    partner = await _partner(session, slug)
    try:
        key = await partners.get_key(session, partner, revoked_id)
    except NotFound as exc:
        raise UserError(f"partner '{slug}' has no key {revoked_id}") from exc
    if key.status == StoredKeyStatus.REVOKED:
        raise UserError(f"key {revoked_id} of partner '{slug}' is already revoked")
    was_active = key.status == StoredKeyStatus.ACTIVE
    signature, day = signer.sign(slug, PublicKey(key.public_key), KeyStatus.REVOKED)
    await partners.set_key_statement(session, key, StoredKeyStatus.REVOKED, day, signature)
    await audit.record(session, ACTOR, "key.revoke", f"{slug} {revoked_id}")
    return {"partner": slug, "key_id": revoked_id, "partner_has_active_key": not was_active}


async def set_emergency_contacts(session: AsyncSession, slug: str, text: str) -> dict[str, Any]:
    """What a worker who reports immediate danger is shown at once, for this partner's cases."""
    partner = await _partner(session, slug)
    contacts = text.strip()
    if len(contacts) > EMERGENCY_CONTACTS_LENGTH:
        raise UserError(f"emergency contacts are at most {EMERGENCY_CONTACTS_LENGTH} characters")
    await partners.set_emergency_contacts(session, partner, contacts)
    await audit.record(session, ACTOR, "partner.emergency_contacts", slug)
    return {"partner": slug, "emergency_contacts": contacts}


async def list_partners(session: AsyncSession, verify_key: VerifyKey) -> list[dict[str, Any]]:
    """Every partner with its countries and keys, each key's statement checked against the pin."""
    listed = []
    for partner in await partners.list_partners(session):
        keys = [_describe_key(partner, key, verify_key) for key in partner.keys]
        listed.append(
            {
                "slug": partner.slug,
                "name": partner.name,
                "countries": sorted(c.country for c in partner.countries),
                "emergency_contacts": partner.emergency_contacts,
                "keys": keys,
            }
        )
    return listed


async def add_site(
    session: AsyncSession, slug: str, name: str, country: str, partner_slug: str
) -> dict[str, Any]:
    """A workplace a worker can pick; its cases go to `partner_slug`."""
    check_slug(slug, "site")
    if not name.strip():
        raise UserError("a site needs a name (--name)")
    (code,) = check_countries([country])
    partner = await _partner(session, partner_slug)
    await sites.add_site(session, slug, name.strip(), code, partner)
    await audit.record(session, ACTOR, "site.add", slug)
    return {"site": slug, "name": name.strip(), "country": code, "partner": partner_slug}


async def list_sites(session: AsyncSession) -> list[dict[str, Any]]:
    """Every site with its country and partner."""
    return [
        {"slug": s.slug, "name": s.name, "country": s.country, "partner": s.partner.slug}
        for s in await sites.list_sites(session)
    ]


def _describe_key(partner: Partner, key: PartnerKey, verify_key: VerifyKey) -> dict[str, Any]:
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
    return {
        "key_id": key.key_id,
        "status": key.status.value,
        "public_key": shown,
        "day": key.statement_day.isoformat(),
        "verified": verified,
    }


async def _partner(session: AsyncSession, slug: str) -> Partner:
    try:
        return await partners.get_partner(session, slug)
    except NotFound as exc:
        raise UserError(f"no partner named '{slug}'") from exc


async def _refuse_known_key(session: AsyncSession, public_key: PublicKey) -> None:
    existing = await partners.find_key(session, key_id(bytes(public_key)))
    if existing is not None:
        raise UserError(
            f"key {existing.key_id} is already registered (partner '{existing.partner.slug}'); "
            "each key pair belongs to one partner, once"
        )
