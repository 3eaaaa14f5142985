"""Sites (factories) the worker can pick, each routed to a partner.

Functions flush but never commit: the caller owns the transaction.
"""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.errors import AlreadyExists, NotFound
from storage.models import Partner, Site


async def add_site(
    session: AsyncSession, slug: str, name: str, country: str, partner: Partner
) -> Site:
    """Add a site in ``country`` (alpha-2) whose reports go to ``partner``.

    AlreadyExists if the slug is taken.
    """
    if await session.scalar(select(Site.id).where(Site.slug == slug)) is not None:
        raise AlreadyExists(f"site {slug!r} already exists")
    site = Site(slug=slug, name=name, country=country.upper(), partner=partner)
    session.add(site)
    await session.flush()
    return site


async def get_site(session: AsyncSession, slug: str) -> Site:
    """Return the site called ``slug`` with its partner loaded; NotFound if none."""
    site = await session.scalar(select(Site).where(Site.slug == slug))
    if site is None:
        raise NotFound(f"site {slug!r} not found")
    return site


async def list_sites(session: AsyncSession, country: str | None = None) -> list[Site]:
    """Return sites (partner loaded), optionally of one country, ordered by country then name."""
    query = select(Site).order_by(Site.country, Site.name, Site.slug)
    if country is not None:
        query = query.where(Site.country == country.upper())
    return list(await session.scalars(query))
