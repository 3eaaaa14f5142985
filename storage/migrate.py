"""Run the Alembic migrations from code, without an alembic.ini at the repository root.

Every schema change goes through ``storage/migrations``. The functions here run inside the caller's
event loop (Alembic works on a synchronous connection through ``run_sync``), so an async CLI command
or the server's start-up can call them directly.

For developers: ``python -m storage.migrate revision -m "add x" --autogenerate`` writes the next
numbered revision, compared against the database named by ``GRIEVANCE_DATABASE_URL`` /
``GRIEVANCE_DATA_DIR``; ``upgrade`` and ``current`` do what they say.
"""

import argparse
import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection

from storage.db import async_url, create_engine, database_url_from_env

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# Arbitrary constant naming this project's lock among PostgreSQL advisory locks: two processes
# starting together (bot and API) must not both create the same tables.
_PG_MIGRATION_LOCK = 0x6772_6965_7661  # "grieva"


def alembic_config(url: str | None = None) -> Config:
    """Build the Alembic configuration in code, pointing at the package's migrations folder."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # Revisions are numbered 0001, 0002, ... and the file name starts with that number.
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    if url is not None:
        # ConfigParser treats "%" as interpolation; a percent-encoded password must survive.
        config.set_main_option("sqlalchemy.url", async_url(url).replace("%", "%%"))
    return config


def head_revision() -> str | None:
    """Return the newest revision shipped with this code."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _upgrade_on(connection: Connection, config: Config, revision: str) -> None:
    if connection.dialect.name == "postgresql":
        # Held until this transaction ends; a second migrator waits, then finds nothing to do.
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def upgrade_to_head(url: str) -> None:
    """Bring the database at ``url`` to the newest revision (a no-op when already there)."""
    await upgrade_to(url, "head")


async def upgrade_to(url: str, revision: str) -> None:
    """Bring the database at ``url`` up to ``revision``; commits."""
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade_on, alembic_config(url), revision)
    finally:
        await engine.dispose()


def _current_on(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def current_revision(url: str) -> str | None:
    """Return the database's revision, or None if it has never been migrated."""
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_current_on)
    finally:
        await engine.dispose()


def _next_revision_id() -> str:
    head = head_revision()
    return f"{int(head) + 1:04d}" if head else "0001"


def main(argv: list[str] | None = None) -> None:
    """Developer entry point: ``python -m storage.migrate upgrade|current|revision``."""
    parser = argparse.ArgumentParser(prog="python -m storage.migrate")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("upgrade", help="migrate the configured database to head")
    commands.add_parser("current", help="print the configured database's revision")
    revision = commands.add_parser("revision", help="write the next numbered revision")
    revision.add_argument("-m", "--message", required=True)
    revision.add_argument("--autogenerate", action="store_true")
    args = parser.parse_args(argv)

    url = database_url_from_env()
    if args.command == "upgrade":
        asyncio.run(upgrade_to_head(url))
    elif args.command == "current":
        print(asyncio.run(current_revision(url)) or "(none)")
    else:
        command.revision(
            alembic_config(url),
            message=args.message,
            autogenerate=args.autogenerate,
            rev_id=_next_revision_id(),
        )


if __name__ == "__main__":
    main()
