"""Opening the database for a command or the server, upgraded or checked first.

Every way the database can be unusable (no such folder, a file where the folder should be, a
server that does not answer, a file that is not a database) is one sentence naming the database,
never a traceback and never a password.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.errors import UserError
from storage.db import create_engine, describe, is_sqlite, session_factory, sqlite_path
from storage.migrate import current_revision, head_revision, upgrade_to_head


class NoDatabase(UserError):
    """A command that only reads found no database where the configuration points."""


@asynccontextmanager
async def open_database(
    url: str, *, create: bool = True
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A session factory on an up-to-date schema.

    SQLite, the embedded default, is upgraded on the spot: it has one owner and nobody to ask.
    PostgreSQL is shared, so an out-of-date schema is an error that says how to upgrade it.
    With `create=False` (commands that only read) a missing SQLite file is an error, not a new
    empty database.
    """
    where = describe(url)
    async with _plainly(url, create=create):
        if is_sqlite(url):
            await upgrade_to_head(url)
        else:
            revision = await current_revision(url)
            if revision is None:
                raise UserError(f"the {where} has no schema yet: run 'grievance db upgrade'")
            if revision != head_revision():
                raise UserError(
                    f"the {where} has an out-of-date schema: run 'grievance db upgrade'"
                )
    engine = create_engine(url)
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()


async def upgrade_database(url: str) -> None:
    """`grievance db upgrade`: the schema to the newest version (creating a SQLite file)."""
    async with _plainly(url, create=True):
        await upgrade_to_head(url)


@asynccontextmanager
async def _plainly(url: str, *, create: bool) -> AsyncIterator[None]:
    """The database's refusals as one sentence naming it."""
    where = describe(url)
    if is_sqlite(url):
        _check_sqlite_location(sqlite_path(url), where, create=create)
    try:
        yield
    except OSError as exc:
        raise UserError(f"cannot open the {where}: {exc.strerror or type(exc).__name__}") from exc
    except DBAPIError as exc:
        raise UserError(f"cannot use the {where}: {_first_line(exc.orig)}") from exc
    except SQLAlchemyError as exc:
        raise UserError(f"cannot use the {where}: {type(exc).__name__}") from exc


def _check_sqlite_location(path: Path | None, where: str, *, create: bool) -> None:
    """The folder is a folder, the file a file; and for reading, that the file exists."""
    if path is None:
        return
    folder = path.parent
    for parent in (folder, *folder.parents):
        if parent.exists():
            if not parent.is_dir():
                raise UserError(
                    f"{parent} is a file, not a folder: the data folder cannot be there"
                )
            break
    if path.is_dir():
        raise UserError(f"{path} is a folder, not a database file")
    if not create and not path.exists():
        raise NoDatabase(
            f"there is no {where} (nothing was created): point GRIEVANCE_DATA_DIR, or "
            "GRIEVANCE_DATABASE_URL, at the server's database"
        )


def _first_line(error: BaseException | None) -> str:
    """A driver's message, first line only (PostgreSQL adds detail lines that may quote data)."""
    text = str(error or "").strip().splitlines()
    return text[0][:200] if text else type(error).__name__
