"""Shared fixtures: a fresh database per test, on SQLite and (when configured) PostgreSQL.

PostgreSQL runs when ``GRIEVANCE_TEST_DATABASE_URL`` names a database the tests may wipe, e.g.
``postgresql://postgres@127.0.0.1:5432/test``; each test starts from an empty ``public`` schema.
"""

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage.db import create_engine
from storage.db import session_factory as make_session_factory
from storage.migrate import upgrade_to_head

TEST_DATABASE_VARIABLE = "GRIEVANCE_TEST_DATABASE_URL"
POSTGRESQL_SKIP_REASON = f"{TEST_DATABASE_VARIABLE} is not set; PostgreSQL tests skipped"


async def _empty_postgresql_schema(url: str) -> None:
    """Drop everything a previous test left, so each test sees an empty database."""
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """URL of an empty database: a new SQLite file, or the wiped PostgreSQL test database.

    Given in the plain form an operator would write (``sqlite:///``, ``postgresql://``), so the
    tests also go through the rewriting to async drivers.
    """
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'grievance.sqlite3'}"
    url = os.environ.get(TEST_DATABASE_VARIABLE, "").strip()
    if not url:
        pytest.skip(POSTGRESQL_SKIP_REASON)
    await _empty_postgresql_schema(url)
    return url


@pytest.fixture
async def migrated_url(database_url: str) -> str:
    """URL of a database migrated to head."""
    await upgrade_to_head(database_url)
    return database_url


@pytest.fixture
async def engine(migrated_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on a migrated database, disposed after the test."""
    engine = create_engine(migrated_url)
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """The project's session factory on a migrated database."""
    return make_session_factory(engine)


@pytest.fixture
async def session(session_factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One session on a migrated database; the test opens its own transactions."""
    async with session_factory() as session:
        yield session


@pytest.fixture
def stored_bytes():
    """Everything the deployment wrote: every file under the test's folder, and every row.

    For PostgreSQL the rows are read back table by table (the server's own files are not ours to
    read); for SQLite the database file, its WAL and everything else on disk are read raw.
    """

    async def collect(url: str, folder: Path) -> bytes:
        chunks = [p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()]  # noqa: ASYNC240
        engine = create_engine(url)
        try:
            async with engine.connect() as connection:
                names = await connection.run_sync(lambda sync: sa_inspect(sync).get_table_names())
                for name in names:
                    rows = await connection.execute(text(f'SELECT * FROM "{name}"'))
                    for row in rows:
                        for value in row:
                            chunks.append(
                                value if isinstance(value, bytes) else str(value).encode()
                            )
        finally:
            await engine.dispose()
        return b"\n".join(chunks)

    return collect


@pytest.fixture
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bot API retries in milliseconds, for tests that inject faults.

    Set before the bot starts (request this fixture before `deployment`): the adapter reads the
    policy when it is made.
    """
    from bot.telegram import delivery

    fast = delivery.RetryPolicy(attempts=4, first_delay=0.02, max_delay=0.1, budget=5.0)
    monkeypatch.setattr(delivery, "DEFAULT_POLICY", fast)


SHORT_READ_TIMEOUT = 0.3
"""Seconds the bot waits for a Bot API answer in tests that make answers late."""


@pytest.fixture
def short_read_timeout(monkeypatch: pytest.MonkeyPatch) -> float:
    """The bot gives up on a Bot API answer after SHORT_READ_TIMEOUT (before it starts)."""
    from bot.telegram import aiohttp_request

    monkeypatch.setattr(aiohttp_request, "READ_TIMEOUT", SHORT_READ_TIMEOUT)
    return SHORT_READ_TIMEOUT
