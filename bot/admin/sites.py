"""Workplaces: the sites a worker picks from, each routed to the partner that covers it.

Cases already received always stay with the partner that has them; a change that would leave
workers of some country with nobody to report to needs `force`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.admin.checks import (
    ACTOR,
    check_countries,
    check_name,
    check_slug,
    has_active_key,
    partner_named,
    reachable_countries,
    refuse_lost_intake,
    site_named,
)
from bot.errors import UserError
from storage import audit, sites
from storage.models import Site as StoredSite


@dataclass(frozen=True)
class Site:
    """A site after a change: its name, country and the partner its new cases go to."""

    site: str
    name: str
    country: str
    partner: str


@dataclass(frozen=True)
class SiteAdded:
    """A new site, and whether its partner can receive reports yet (it needs an active key)."""

    site: Site
    partner_has_active_key: bool


@dataclass(frozen=True)
class SiteListing:
    """One site in the list."""

    slug: str
    name: str
    country: str
    partner: str


@dataclass(frozen=True)
class Sites:
    """Every site, by country and name."""

    sites: tuple[SiteListing, ...]


async def add_site(
    session: AsyncSession, slug: str, name: str, country: str, partner_slug: str
) -> SiteAdded:
    """A workplace a worker can pick; its cases go to `partner_slug`."""
    check_slug(slug, "site")
    cleaned = check_name(name, "site")
    (code,) = check_countries([country])
    partner = await partner_named(session, partner_slug)
    await sites.add_site(session, slug, cleaned, code, partner)
    await audit.record(session, ACTOR, "site.add", slug)
    return SiteAdded(
        Site(slug, cleaned, code, partner_slug), await has_active_key(session, partner)
    )


async def rename_site(
    session: AsyncSession, slug: str, name: str | None, new_slug: str | None
) -> Site:
    """A new name for workers to see, or a new slug for administrators (or both)."""
    if name is None and new_slug is None:
        raise UserError("say what changes: --name NAME, --slug NEW_SLUG, or both")
    site = await site_named(session, slug)
    cleaned = check_name(name, "site") if name is not None else None
    if new_slug is not None:
        check_slug(new_slug, "site")
    await sites.change_site(session, site, slug=new_slug, name=cleaned)
    subject = slug if new_slug in (None, slug) else f"{slug} -> {new_slug}"
    await audit.record(session, ACTOR, "site.rename", subject)
    return _site(site)


async def move_site(
    session: AsyncSession,
    slug: str,
    partner_slug: str | None,
    country: str | None,
    *,
    force: bool = False,
) -> Site:
    """Route a site's new cases to another partner, or file it under another country.

    Cases already received stay with the partner that has them. Refused without `force` when it
    would leave workers of some country with nobody to report to.
    """
    if partner_slug is None and country is None:
        raise UserError("say where it moves: --partner PARTNER, --country CC, or both")
    site = await site_named(session, slug)
    partner = await partner_named(session, partner_slug) if partner_slug is not None else None
    code = check_countries([country])[0] if country is not None else None
    before = await reachable_countries(session)
    await sites.change_site(session, site, country=code, partner=partner)
    await refuse_lost_intake(session, before, force, f"moving site '{slug}'")
    if partner is not None and not await has_active_key(session, partner) and not force:
        raise UserError(
            f"partner '{partner.slug}' has no active key, so reports from site '{slug}' would be "
            "refused; give it a key first ('partner rotate'), or add --force"
        )
    await audit.record(session, ACTOR, "site.move", f"{slug} -> {site.partner.slug} {site.country}")
    return _site(site)


async def remove_site(session: AsyncSession, slug: str, *, force: bool = False) -> Site:
    """Take a site off the list workers choose from; its cases stay where they are.

    Refused without `force` when workers of its country would have nobody left to report to.
    """
    site = await site_named(session, slug)
    result = _site(site)
    before = await reachable_countries(session)
    await sites.remove_site(session, site)
    await refuse_lost_intake(session, before, force, f"removing site '{slug}'")
    await audit.record(session, ACTOR, "site.remove", slug)
    return result


async def list_sites(session: AsyncSession) -> Sites:
    """Every site with its country and partner."""
    return Sites(
        tuple(
            SiteListing(s.slug, s.name, s.country, s.partner.slug)
            for s in await sites.list_sites(session)
        )
    )


def _site(site: StoredSite) -> Site:
    return Site(site.slug, site.name, site.country, site.partner.slug)
