"""Per-deployment settings are created once, even when two processes start together."""

import asyncio
import secrets

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import settings
from storage.models import Setting

Sessions = async_sessionmaker[AsyncSession]


async def test_a_setting_is_made_once_and_then_kept(session_factory: Sessions) -> None:
    made: list[bytes] = []

    def make() -> bytes:
        made.append(secrets.token_bytes(32))
        return made[-1]

    async with session_factory() as session, session.begin():
        first = await settings.get_or_create(session, "receipt-salt", make)
    async with session_factory() as session, session.begin():
        second = await settings.get_or_create(session, "receipt-salt", make)
        assert await settings.get(session, "receipt-salt") == first
        assert await settings.get(session, "other") is None
    assert first == second == made[0]
    assert len(made) == 1


async def test_two_racing_creators_end_up_with_the_same_value(
    session_factory: Sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    both_looked = asyncio.Barrier(2)
    original_get = settings.get

    async def get_then_wait(session: AsyncSession, name: str) -> bytes | None:
        value = await original_get(session, name)
        if value is None:
            await both_looked.wait()  # both see "missing" before either inserts
        return value

    monkeypatch.setattr(settings, "get", get_then_wait)

    async def create() -> bytes:
        async with session_factory() as session, session.begin():
            return await settings.get_or_create(
                session, "receipt-salt", lambda: secrets.token_bytes(32)
            )

    first, second = await asyncio.wait_for(asyncio.gather(create(), create()), timeout=30)
    assert first == second
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(Setting)) == 1
