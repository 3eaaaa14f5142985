"""Sites (factories) and their routing to partners."""

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import partners, sites
from storage.errors import AlreadyExists, NotFound

Sessions = async_sessionmaker[AsyncSession]


async def test_site_routes_to_its_partner(session_factory: Sessions) -> None:
    async with session_factory() as session, session.begin():
        partner = await partners.add_partner(session, "foo", "Foo", ["TH"])
        await sites.add_site(session, "acme-ayutthaya", "ACME Ayutthaya", "th", partner)
    async with session_factory() as session:
        site = await sites.get_site(session, "acme-ayutthaya")
    # Read after the session closed: the partner must already be loaded.
    assert site.country == "TH"
    assert site.name == "ACME Ayutthaya"
    assert site.partner.slug == "foo"


async def test_sites_are_listed_by_country_then_name(session_factory: Sessions) -> None:
    async with session_factory() as session, session.begin():
        partner = await partners.add_partner(session, "foo", "Foo", [])
        await sites.add_site(session, "z-th", "Zenith", "TH", partner)
        await sites.add_site(session, "a-vn", "Alpha", "VN", partner)
        await sites.add_site(session, "a-th", "Apex", "TH", partner)
    async with session_factory() as session:
        everything = await sites.list_sites(session)
        thai = await sites.list_sites(session, "th")
        none = await sites.list_sites(session, "CN")
    assert [s.slug for s in everything] == ["a-th", "z-th", "a-vn"]
    assert [s.slug for s in thai] == ["a-th", "z-th"]
    assert none == []
    assert {s.partner.slug for s in everything} == {"foo"}


async def test_duplicate_site_is_refused_by_name(session_factory: Sessions) -> None:
    async with session_factory() as session, session.begin():
        partner = await partners.add_partner(session, "foo", "Foo", [])
        await sites.add_site(session, "acme", "ACME", "TH", partner)
    with pytest.raises(AlreadyExists, match=r"^site 'acme' already exists$"):
        async with session_factory() as session, session.begin():
            partner = await partners.get_partner(session, "foo")
            await sites.add_site(session, "acme", "ACME again", "VN", partner)


async def test_missing_site_is_not_found(session: AsyncSession) -> None:
    with pytest.raises(NotFound, match=r"^site 'nowhere' not found$"):
        await sites.get_site(session, "nowhere")
