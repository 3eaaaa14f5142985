"""The checks every administrative change runs before it is stored: names, slugs, countries,
the partner or site it names, and that no country is left with nobody to report to."""

from __future__ import annotations

from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import UserError
from crypto.statements import SLUG_PATTERN
from handlers.countries import UnknownCountry, parse_country
from storage import partners, sites
from storage.errors import NotFound
from storage.models import NAME_MAX_LENGTH, SLUG_MAX_LENGTH, Partner, Site
from vocabulary import KeyStatus

ACTOR: Final = "admin"
"""How the audit log names the administrators (one key, one actor: never a person's name)."""


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


async def partner_named(session: AsyncSession, slug: str) -> Partner:
    """The partner called `slug`; an unknown one is a mistake said plainly."""
    try:
        return await partners.get_partner(session, slug)
    except NotFound as exc:
        raise UserError(f"no partner named '{slug}'") from exc


async def site_named(session: AsyncSession, slug: str) -> Site:
    """The site called `slug`; an unknown one is a mistake said plainly."""
    try:
        return await sites.get_site(session, slug)
    except NotFound as exc:
        raise UserError(f"no site named '{slug}'") from exc


async def has_active_key(session: AsyncSession, partner: Partner) -> bool:
    """Whether reports can be sealed to `partner` now."""
    return await partners.active_key(session, partner) is not None


async def reachable_countries(session: AsyncSession) -> set[str]:
    """Countries where a worker's report has somewhere to go: a default partner or a site whose
    partner has an active key (what the bot offers, see bot.intake.directory)."""
    listed = await partners.list_partners(session)
    able = {p.slug for p in listed if any(k.status == KeyStatus.ACTIVE for k in p.keys)}
    reachable = {c.country for p in listed if p.slug in able for c in p.countries}
    reachable |= {s.country for s in await sites.list_sites(session) if s.partner.slug in able}
    return reachable


async def refuse_lost_intake(
    session: AsyncSession, before: set[str], force: bool, what: str
) -> None:
    """Refuse, unless forced, a change after which some country of `before` is unreachable."""
    lost = sorted(before - await reachable_countries(session))
    if lost and not force:
        raise UserError(
            f"{what} would leave workers in {', '.join(lost)} with no organisation to report to "
            "(no site or default partner with an active key would be left there); add --force "
            "to do it anyway"
        )
