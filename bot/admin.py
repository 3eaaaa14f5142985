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
from bot.intake.signed_keys import verify_key_row
from crypto.errors import UntrustedKeyStatement
from crypto.keys import KEY_BYTES, PublicKey, SigningKey, VerifyKey, key_id, partner_key_text
from crypto.statements import SLUG_PATTERN, KeyStatement, KeyStatus, sign_statement
from handlers.countries import UnknownCountry, parse_country
from storage import audit, partners, sites
from storage.days import today
from storage.errors import NotFound
from storage.models import (
    EMERGENCY_CONTACTS_LENGTH,
    NAME_MAX_LENGTH,
    SLUG_MAX_LENGTH,
    Partner,
    PartnerKey,
)
from storage.models import KeyStatus as StoredKeyStatus

ACTOR = "admin"
SIGNATURE_BYTES = 64


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
    back: every check runs before the administrator is asked for the key's passphrase.

    Its "signatures" are zeros, which verify against nothing; they are never committed.
    """

    def sign(self, partner: str, public_key: PublicKey, status: KeyStatus) -> tuple[bytes, date]:
        """Zeros and today."""
        return bytes(SIGNATURE_BYTES), today()


def check_slug(slug: str, what: str) -> str:
    """Slugs name partners and sites in commands, statements and the audit log."""
    if not SLUG_PATTERN.fullmatch(slug):
        shown = slug if len(slug) <= SLUG_MAX_LENGTH else slug[:SLUG_MAX_LENGTH] + "…"
        raise UserError(
            f"'{shown}' is not a valid {what} name: use 1 to 64 lower-case letters, digits "
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
    signer: Signer | Rehearsal,
    slug: str,
    name: str,
    public_key: PublicKey,
    countries: list[str],
) -> dict[str, Any]:
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
        StoredKeyStatus.ACTIVE,
        day,
        signature,
    )
    await audit.record(session, ACTOR, "partner.add", slug)
    return {"partner": slug, "key_id": key_id(bytes(public_key)), "countries": codes}


async def rotate_key(
    session: AsyncSession, signer: Signer | Rehearsal, slug: str, public_key: PublicKey
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
    session: AsyncSession,
    signer: Signer | Rehearsal,
    slug: str,
    revoked_id: str,
    *,
    force: bool = False,
) -> dict[str, Any]:
    """A revoked key is never used again, whatever its status was.

    Revoking the active key stops the partner's intake at once (its workers are told that no
    organisation can take their report) until a rotation gives it a new key: that needs `force`.
    """
    partner = await _partner(session, slug)
    try:
        key = await partners.get_key(session, partner, revoked_id)
    except NotFound as exc:
        raise UserError(f"partner '{slug}' has no key {revoked_id}") from exc
    if key.status == StoredKeyStatus.REVOKED:
        raise UserError(f"key {revoked_id} of partner '{slug}' is already revoked")
    was_active = key.status == StoredKeyStatus.ACTIVE
    if was_active and not force:
        raise UserError(
            f"key {revoked_id} is the active key of partner '{slug}': revoking it stops all new "
            "reports to that partner until it has a new key; run 'partner rotate' first, or "
            "add --force to revoke it now"
        )
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
    cleaned = check_name(name, "site")
    (code,) = check_countries([country])
    partner = await _partner(session, partner_slug)
    await sites.add_site(session, slug, cleaned, code, partner)
    await audit.record(session, ACTOR, "site.add", slug)
    return {
        "site": slug,
        "name": cleaned,
        "country": code,
        "partner": partner_slug,
        "partner_has_active_key": await _has_active_key(session, partner),
    }


async def rename_site(
    session: AsyncSession, slug: str, name: str | None, new_slug: str | None
) -> dict[str, Any]:
    """A new name for workers to see, or a new slug for administrators (or both)."""
    if name is None and new_slug is None:
        raise UserError("say what changes: --name NAME, --slug NEW_SLUG, or both")
    site = await _site(session, slug)
    cleaned = check_name(name, "site") if name is not None else None
    if new_slug is not None:
        check_slug(new_slug, "site")
    await sites.change_site(session, site, slug=new_slug, name=cleaned)
    subject = slug if new_slug in (None, slug) else f"{slug} -> {new_slug}"
    await audit.record(session, ACTOR, "site.rename", subject)
    return _site_result(site)


async def move_site(
    session: AsyncSession,
    slug: str,
    partner_slug: str | None,
    country: str | None,
    *,
    force: bool = False,
) -> dict[str, Any]:
    """Route a site's new cases to another partner, or file it under another country.

    Cases already received stay with the partner that has them. Refused without `force` when it
    would leave workers of some country with nobody to report to.
    """
    if partner_slug is None and country is None:
        raise UserError("say where it moves: --partner PARTNER, --country CC, or both")
    site = await _site(session, slug)
    partner = await _partner(session, partner_slug) if partner_slug is not None else None
    code = check_countries([country])[0] if country is not None else None
    before = await reachable_countries(session)
    await sites.change_site(session, site, country=code, partner=partner)
    await _refuse_lost_intake(session, before, force, f"moving site '{slug}'")
    if partner is not None and not await _has_active_key(session, partner) and not force:
        raise UserError(
            f"partner '{partner.slug}' has no active key, so reports from site '{slug}' would be "
            "refused; give it a key first ('partner rotate'), or add --force"
        )
    await audit.record(session, ACTOR, "site.move", f"{slug} -> {site.partner.slug} {site.country}")
    return _site_result(site)


async def remove_site(session: AsyncSession, slug: str, *, force: bool = False) -> dict[str, Any]:
    """Take a site off the list workers choose from; its cases stay where they are.

    Refused without `force` when workers of its country would have nobody left to report to.
    """
    site = await _site(session, slug)
    result = _site_result(site)
    before = await reachable_countries(session)
    await sites.remove_site(session, site)
    await _refuse_lost_intake(session, before, force, f"removing site '{slug}'")
    await audit.record(session, ACTOR, "site.remove", slug)
    return result


async def edit_partner(
    session: AsyncSession,
    slug: str,
    *,
    name: str | None = None,
    add_countries: list[str] | None = None,
    remove_countries: list[str] | None = None,
    force: bool = False,
) -> dict[str, Any]:
    """Correct a partner's name or the countries it covers by default.

    A country that another partner covers is refused (one default partner a country); losing a
    country that would then have nobody to report to needs `force`. Keys are not touched here:
    their statements are signed ('partner rotate', 'revoke-key').
    """
    if name is None and not add_countries and not remove_countries:
        raise UserError("say what changes: --name, --add-country or --remove-country")
    partner = await _partner(session, slug)
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
    await _refuse_lost_intake(session, before, force, f"this change to partner '{slug}'")
    await audit.record(session, ACTOR, "partner.edit", slug)
    return {
        "partner": slug,
        "name": partner.name,
        "countries": sorted(c.country for c in partner.countries),
    }


async def reachable_countries(session: AsyncSession) -> set[str]:
    """Countries where a worker's report has somewhere to go: a default partner or a site whose
    partner has an active key (what the bot offers, see handlers.routing)."""
    able = {
        p.slug
        for p in await partners.list_partners(session)
        if any(key.status == StoredKeyStatus.ACTIVE for key in p.keys)
    }
    reachable = {
        c.country
        for p in await partners.list_partners(session)
        if p.slug in able
        for c in p.countries
    }
    reachable |= {s.country for s in await sites.list_sites(session) if s.partner.slug in able}
    return reachable


async def list_sites(session: AsyncSession) -> list[dict[str, Any]]:
    """Every site with its country and partner."""
    return [
        {"slug": s.slug, "name": s.name, "country": s.country, "partner": s.partner.slug}
        for s in await sites.list_sites(session)
    ]


def check_name(name: str, what: str) -> str:
    """A name workers or administrators read: one line of printable text, not too long."""
    if not name.isprintable():
        raise UserError(f"a {what} name is one line of printable text")
    cleaned = " ".join(name.split())
    if not cleaned:
        raise UserError(f"a {what} needs a name (--name)")
    if len(cleaned) > NAME_MAX_LENGTH:
        raise UserError(f"a {what} name is at most {NAME_MAX_LENGTH} characters")
    return cleaned


def _site_result(site: Any) -> dict[str, Any]:
    return {
        "site": site.slug,
        "name": site.name,
        "country": site.country,
        "partner": site.partner.slug,
    }


async def _site(session: AsyncSession, slug: str) -> Any:
    try:
        return await sites.get_site(session, slug)
    except NotFound as exc:
        raise UserError(f"no site named '{slug}'") from exc


async def _has_active_key(session: AsyncSession, partner: Partner) -> bool:
    return await partners.active_key(session, partner) is not None


async def _refuse_lost_intake(
    session: AsyncSession, before: set[str], force: bool, what: str
) -> None:
    lost = sorted(before - await reachable_countries(session))
    if lost and not force:
        raise UserError(
            f"{what} would leave workers in {', '.join(lost)} with no organisation to report to "
            "(no site or default partner with an active key would be left there); add --force "
            "to do it anyway"
        )


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
