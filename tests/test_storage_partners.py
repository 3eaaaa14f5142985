"""Partners, country coverage and signed keys."""

from datetime import date

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import days, partners
from storage.errors import AlreadyExists, InvalidTransition, NotFound
from storage.models import Partner, PartnerKey
from vocabulary import KeyStatus

Sessions = async_sessionmaker[AsyncSession]
DAY = date(2025, 3, 14)


def public_key(n: int) -> bytes:
    return bytes([n]) * 32


def signature(n: int) -> bytes:
    return bytes([n]) * 64


def key_id(n: int) -> str:
    return f"{n:032x}"


async def add_key(
    session: AsyncSession, partner: Partner, n: int, status: KeyStatus = KeyStatus.ACTIVE
) -> PartnerKey:
    return await partners.add_key(
        session, partner, key_id(n), public_key(n), status, DAY, signature(n)
    )


async def test_added_partner_is_found_with_its_countries(session_factory: Sessions) -> None:
    async with session_factory() as session, session.begin():
        await partners.add_partner(session, "labour-link", "Labour Link", ["VN", "th"])
    async with session_factory() as session:
        partner = await partners.get_partner(session, "labour-link")
    assert partner.name == "Labour Link"
    assert [c.country for c in partner.countries] == ["TH", "VN"]
    assert partner.keys == []
    assert type(partner.created_day) is date
    assert partner.created_day == days.today()


async def test_list_partners_is_ordered_and_fully_loaded(session_factory: Sessions) -> None:
    async with session_factory() as session, session.begin():
        zeta = await partners.add_partner(session, "zeta", "Zeta", ["MY"])
        await add_key(session, zeta, 1)
        await partners.add_partner(session, "alpha", "Alpha", ["ID"])
    async with session_factory() as session:
        listed = await partners.list_partners(session)
    # Read after the session closed: nothing may need a lazy load.
    assert [p.slug for p in listed] == ["alpha", "zeta"]
    assert [c.country for c in listed[1].countries] == ["MY"]
    assert [k.key_id for k in listed[1].keys] == [key_id(1)]


async def test_duplicate_partner_is_refused_by_name(session_factory: Sessions) -> None:
    async with session_factory() as session, session.begin():
        await partners.add_partner(session, "foo", "Foo", [])
    with pytest.raises(AlreadyExists, match=r"^partner 'foo' already exists$"):
        async with session_factory() as session, session.begin():
            await partners.add_partner(session, "foo", "Another Foo", [])


async def test_country_covered_by_another_partner_is_refused(session_factory: Sessions) -> None:
    async with session_factory() as session, session.begin():
        await partners.add_partner(session, "foo", "Foo", ["TH"])
    with pytest.raises(AlreadyExists) as raised:
        async with session_factory() as session, session.begin():
            await partners.add_partner(session, "bar", "Bar", ["KH", "TH"])
    assert str(raised.value) == "country TH is already covered by partner 'foo'"
    async with session_factory() as session:
        with pytest.raises(NotFound):
            await partners.get_partner(session, "bar")
        assert (await partners.partner_for_country(session, "KH")) is None


async def test_missing_partner_is_not_found(session: AsyncSession) -> None:
    with pytest.raises(NotFound, match=r"^partner 'nobody' not found$"):
        await partners.get_partner(session, "nobody")
    with pytest.raises(NotFound):
        await partners.get_partner_by_id(session, 4242)


async def test_partner_for_country_routes_to_the_default_partner(session_factory: Sessions) -> None:
    async with session_factory() as session, session.begin():
        await partners.add_partner(session, "foo", "Foo", ["TH", "VN"])
        await partners.add_partner(session, "bar", "Bar", ["MY"])
    async with session_factory() as session:
        th = await partners.partner_for_country(session, "TH")
        my = await partners.partner_for_country(session, "my")
        cn = await partners.partner_for_country(session, "CN")
    assert th is not None and th.slug == "foo"
    assert my is not None and my.slug == "bar"
    assert cn is None


async def test_keys_are_stored_with_their_signed_statement(session_factory: Sessions) -> None:
    async with session_factory() as session, session.begin():
        partner = await partners.add_partner(session, "foo", "Foo", ["TH"])
        await add_key(session, partner, 1)
    async with session_factory() as session:
        partner = await partners.get_partner(session, "foo")
        active = await partners.active_key(session, partner)
        same = await partners.get_key(session, partner, key_id(1))
        found = await partners.find_key(session, key_id(1))
        unknown = await partners.find_key(session, key_id(9))
    assert active is not None and active is same
    assert active.public_key == public_key(1)
    assert active.signature == signature(1)
    assert active.statement_day == DAY and type(active.statement_day) is date
    assert active.status is KeyStatus.ACTIVE
    assert found is not None and found.partner.slug == "foo"
    assert unknown is None


async def test_status_is_stored_as_a_plain_string(session_factory: Sessions) -> None:
    async with session_factory() as session, session.begin():
        partner = await partners.add_partner(session, "foo", "Foo", [])
        await add_key(session, partner, 1, KeyStatus.RETIRED)
    async with session_factory() as session:
        stored = await session.scalar(text("SELECT status FROM partner_keys"))
    assert stored == "retired"


async def test_a_second_active_key_is_refused(session_factory: Sessions) -> None:
    async with session_factory() as session, session.begin():
        partner = await partners.add_partner(session, "foo", "Foo", [])
        await add_key(session, partner, 1)
    with pytest.raises(AlreadyExists, match="already has an active key"):
        async with session_factory() as session, session.begin():
            partner = await partners.get_partner(session, "foo")
            await add_key(session, partner, 2)


async def test_the_database_itself_allows_one_active_key_per_partner(
    session_factory: Sessions,
) -> None:
    async with session_factory() as session, session.begin():
        partner = await partners.add_partner(session, "foo", "Foo", [])
        other = await partners.add_partner(session, "bar", "Bar", [])
        await add_key(session, partner, 1)
        await add_key(session, other, 2)  # another partner's active key is fine
        await add_key(session, partner, 3, KeyStatus.RETIRED)
        await add_key(session, partner, 4, KeyStatus.RETIRED)  # any number of retired keys
    with pytest.raises(IntegrityError):
        async with session_factory() as session, session.begin():
            # Bypass the repository's check: the partial unique index must refuse this.
            session.add(
                PartnerKey(
                    partner_id=partner.id,
                    key_id=key_id(5),
                    public_key=public_key(5),
                    status=KeyStatus.ACTIVE,
                    statement_day=DAY,
                    signature=signature(5),
                )
            )
    async with session_factory() as session:
        count = await session.scalar(select(PartnerKey.id).where(PartnerKey.key_id == key_id(5)))
    assert count is None


async def test_rotation_retires_the_old_key_and_activates_the_new_one(
    session_factory: Sessions,
) -> None:
    async with session_factory() as session, session.begin():
        partner = await partners.add_partner(session, "foo", "Foo", [])
        await add_key(session, partner, 1)
    new_day = date(2025, 6, 1)
    async with session_factory() as session, session.begin():
        partner = await partners.get_partner(session, "foo")
        old = await partners.active_key(session, partner)
        assert old is not None
        await partners.set_key_statement(session, old, KeyStatus.RETIRED, new_day, signature(11))
        await add_key(session, partner, 2)
    async with session_factory() as session:
        partner = await partners.get_partner(session, "foo")
        active = await partners.active_key(session, partner)
        old = await partners.get_key(session, partner, key_id(1))
    assert active is not None and active.key_id == key_id(2)
    assert old.status is KeyStatus.RETIRED
    assert old.statement_day == new_day
    assert old.signature == signature(11)
    assert [k.key_id for k in partner.keys] == [key_id(1), key_id(2)]


async def test_activating_a_key_while_another_is_active_is_refused(
    session_factory: Sessions,
) -> None:
    async with session_factory() as session, session.begin():
        partner = await partners.add_partner(session, "foo", "Foo", [])
        await add_key(session, partner, 1)
        retired = await add_key(session, partner, 2, KeyStatus.RETIRED)
    with pytest.raises(AlreadyExists, match=key_id(1)):
        async with session_factory() as session, session.begin():
            await partners.set_key_statement(session, retired, KeyStatus.ACTIVE, DAY, signature(12))


async def test_a_revoked_key_never_comes_back(session_factory: Sessions) -> None:
    async with session_factory() as session, session.begin():
        partner = await partners.add_partner(session, "foo", "Foo", [])
        key = await add_key(session, partner, 1)
        await partners.set_key_statement(session, key, KeyStatus.REVOKED, DAY, signature(13))
    assert key.status is KeyStatus.REVOKED
    with pytest.raises(InvalidTransition, match="revoked"):
        async with session_factory() as session, session.begin():
            key = await partners.get_key(session, partner, key_id(1))
            await partners.set_key_statement(session, key, KeyStatus.ACTIVE, DAY, signature(14))


async def test_duplicate_key_is_refused(session_factory: Sessions) -> None:
    async with session_factory() as session, session.begin():
        foo = await partners.add_partner(session, "foo", "Foo", [])
        await partners.add_partner(session, "bar", "Bar", [])
        await add_key(session, foo, 1)
    with pytest.raises(AlreadyExists, match=f"key {key_id(1)} already exists"):
        async with session_factory() as session, session.begin():
            bar = await partners.get_partner(session, "bar")
            await add_key(session, bar, 1)


async def test_another_partners_key_is_not_found(session_factory: Sessions) -> None:
    async with session_factory() as session, session.begin():
        foo = await partners.add_partner(session, "foo", "Foo", [])
        bar = await partners.add_partner(session, "bar", "Bar", [])
        await add_key(session, foo, 1)
    async with session_factory() as session:
        with pytest.raises(NotFound):
            await partners.get_key(session, bar, key_id(1))
        assert await partners.active_key(session, bar) is None
