"""Sites (factories) the worker can pick, each routed to a partner.

A worker tells sites apart by name only, so two sites of one country never share a name (compared
without case and extra spaces). Cases do not refer to sites (the workplace is inside the sealed
report), so renaming, moving or removing a site never touches a stored case.

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

    AlreadyExists if the slug is taken or the country already has a site of that name.
    """
    if await session.scalar(select(Site.id).where(Site.slug == slug)) is not None:
        raise AlreadyExists(f"site {slug!r} already exists")
    await _refuse_same_name(session, name, country.upper())
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


async def change_site(
    session: AsyncSession,
    site: Site,
    *,
    slug: str | None = None,
    name: str | None = None,
    country: str | None = None,
    partner: Partner | None = None,
) -> Site:
    """Give ``site`` a new slug, name, country or partner (what is None stays).

    AlreadyExists if the new slug is taken, or if the site's country would then have two sites
    of the same name.
    """
    if slug is not None and slug != site.slug:
        if await session.scalar(select(Site.id).where(Site.slug == slug)) is not None:
            raise AlreadyExists(f"site {slug!r} already exists")
        site.slug = slug
    new_name = name if name is not None else site.name
    new_country = country.upper() if country is not None else site.country
    if (_normal(new_name), new_country) != (_normal(site.name), site.country):
        await _refuse_same_name(session, new_name, new_country, besides=site)
    site.name, site.country = new_name, new_country
    if partner is not None:
        site.partner = partner
    await session.flush()
    return site


async def remove_site(session: AsyncSession, site: Site) -> None:
    """Remove ``site`` from the list workers choose from."""
    await session.delete(site)
    await session.flush()


async def _refuse_same_name(
    session: AsyncSession, name: str, country: str, besides: Site | None = None
) -> None:
    for other in await list_sites(session, country):
        if other is not besides and _normal(other.name) == _normal(name):
            raise AlreadyExists(
                f"country {country} already has a site named {other.name!r} ({other.slug!r}); "
                "workers could not tell the two apart"
            )


def _normal(name: str) -> str:
    return " ".join(name.split()).casefold()
