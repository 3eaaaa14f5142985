"""Caseworker credentials: stored by hash, one partner each, revocable."""

import secrets
from datetime import date

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import credentials, days, partners
from storage.errors import AlreadyExists, NotFound

Sessions = async_sessionmaker[AsyncSession]


async def test_an_active_credential_is_found_by_its_token_hash(session_factory: Sessions) -> None:
    token_hash = secrets.token_bytes(32)
    async with session_factory() as session, session.begin():
        partner = await partners.add_partner(session, "foo", "Foo", [])
        await credentials.add_credential(session, partner, "caseworker laptop 1", token_hash)
    async with session_factory() as session:
        found = await credentials.find_active_credential(session, token_hash)
        unknown = await credentials.find_active_credential(session, secrets.token_bytes(32))
    assert found is not None
    assert found.partner_id == partner.id
    assert found.label == "caseworker laptop 1"
    assert type(found.created_day) is date and found.created_day == days.today()
    assert found.revoked_day is None
    assert unknown is None


async def test_a_revoked_credential_no_longer_opens_the_queue(
    session_factory: Sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    token_hash = secrets.token_bytes(32)
    async with session_factory() as session, session.begin():
        partner = await partners.add_partner(session, "foo", "Foo", [])
        credential = await credentials.add_credential(session, partner, "", token_hash)
    monkeypatch.setattr(days, "today", lambda: date(2030, 2, 2))
    async with session_factory() as session, session.begin():
        revoked = await credentials.revoke_credential(session, credential.id)
    assert revoked.revoked_day == date(2030, 2, 2)
    monkeypatch.setattr(days, "today", lambda: date(2030, 3, 3))
    async with session_factory() as session, session.begin():
        again = await credentials.revoke_credential(session, credential.id)
    assert again.revoked_day == date(2030, 2, 2)  # the day access really ended
    async with session_factory() as session:
        assert await credentials.find_active_credential(session, token_hash) is None


async def test_revoking_an_unknown_credential_is_not_found(session: AsyncSession) -> None:
    with pytest.raises(NotFound, match=r"credential #77 not found"):
        await credentials.revoke_credential(session, 77)


async def test_a_token_hash_is_stored_once(session_factory: Sessions) -> None:
    token_hash = secrets.token_bytes(32)
    async with session_factory() as session, session.begin():
        foo = await partners.add_partner(session, "foo", "Foo", [])
        bar = await partners.add_partner(session, "bar", "Bar", [])
        await credentials.add_credential(session, foo, "", token_hash)
    with pytest.raises(AlreadyExists):
        async with session_factory() as session, session.begin():
            await credentials.add_credential(session, bar, "", token_hash)


async def test_credentials_are_listed_with_their_partner(session_factory: Sessions) -> None:
    async with session_factory() as session, session.begin():
        foo = await partners.add_partner(session, "foo", "Foo", [])
        bar = await partners.add_partner(session, "bar", "Bar", [])
        await credentials.add_credential(session, foo, "one", secrets.token_bytes(32))
        await credentials.add_credential(session, bar, "two", secrets.token_bytes(32))
        await credentials.add_credential(session, foo, "three", secrets.token_bytes(32))
    async with session_factory() as session:
        everything = await credentials.list_credentials(session)
        of_foo = await credentials.list_credentials(session, foo)
    assert [(c.label, c.partner.slug) for c in everything] == [
        ("one", "foo"),
        ("two", "bar"),
        ("three", "foo"),
    ]
    assert [c.label for c in of_foo] == ["one", "three"]
