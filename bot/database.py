"""Opening the database for a command or the server, upgraded or checked first."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.errors import UserError
from storage.db import create_engine, is_sqlite, session_factory
from storage.migrate import current_revision, head_revision, upgrade_to_head


@asynccontextmanager
async def open_database(url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A session factory on an up-to-date schema.

    SQLite, the embedded default, is upgraded on the spot: it has one owner and nobody to ask.
    PostgreSQL is shared, so an out-of-date schema is an error that says how to upgrade it.
    """
    try:
        if is_sqlite(url):
            await upgrade_to_head(url)
        elif await current_revision(url) != head_revision():
            raise UserError("the database schema is not up to date: run 'grievance db upgrade'")
    except OSError as exc:
        raise UserError(f"cannot reach the database: {exc.strerror or exc}") from exc
    except OperationalError as exc:
        raise UserError(f"cannot use the database: {exc.orig}") from exc
    engine = create_engine(url)
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()
