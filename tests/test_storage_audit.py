"""The administrators' audit trail keeps days, not times, and short plain fields."""

from datetime import date

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import audit, days

Sessions = async_sessionmaker[AsyncSession]


async def test_events_are_recorded_with_the_day_only(session_factory: Sessions) -> None:
    async with session_factory() as session, session.begin():
        await audit.record(session, "admin", "partner.add", "foo")
        await audit.record(session, "admin", "key.rotate")
    async with session_factory() as session:
        events = await audit.list_events(session)
    assert [(e.actor, e.action, e.subject) for e in events] == [
        ("admin", "partner.add", "foo"),
        ("admin", "key.rotate", None),
    ]
    assert all(type(e.day) is date and e.day == days.today() for e in events)


async def test_list_events_can_return_only_the_newest(session_factory: Sessions) -> None:
    async with session_factory() as session, session.begin():
        for n in range(5):
            await audit.record(session, "admin", f"action.{n}")
    async with session_factory() as session:
        newest = await audit.list_events(session, limit=2)
    assert [e.action for e in newest] == ["action.3", "action.4"]


async def test_overlong_fields_are_refused_on_every_database(session: AsyncSession) -> None:
    with pytest.raises(ValueError, match="actor"):
        await audit.record(session, "a" * 65, "x")
    with pytest.raises(ValueError, match="subject"):
        await audit.record(session, "admin", "x", "s" * 201)
