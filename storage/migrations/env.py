"""Alembic environment: async engines, URL from the config or from the environment.

Called two ways: by ``storage.migrate`` with a connection already open (``config.attributes
["connection"]``, inside the caller's event loop), or without one (``python -m storage.migrate
revision --autogenerate``, Alembic's command API from synchronous code), in which case it opens its
own engine with ``asyncio.run``.
"""

import asyncio
from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy.engine import Connection

from storage.db import async_url, create_engine, database_url_from_env
from storage.models import STATUS_LENGTH, Base, EnumString

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    configured = config.get_main_option("sqlalchemy.url")
    return async_url(configured) if configured else database_url_from_env()


def _render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Render our StrEnum columns as plain strings, so revisions never import the models."""
    if type_ == "type" and isinstance(obj, EnumString):
        return f"sa.String(length={STATUS_LENGTH})"
    return False


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things in place; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=_render_item,
    )


def run_migrations_on(connection: Connection) -> None:
    """Run the migrations on an open synchronous connection.

    On SQLite, foreign keys are off while they run: batch mode rebuilds a table (copy, drop,
    rename), and with them on, dropping the old table runs every ON DELETE CASCADE that points
    at it, emptying the tables below (rebuilding `cases` would delete every entry, rebuilding
    `case_entries` every wrap). Every foreign key is checked once the migrations are done. The
    connection is one the migration opened for itself, closed afterwards with its engine.
    """
    _configure(connection)
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        _sqlite_foreign_keys_off(connection)
    with context.begin_transaction():
        context.run_migrations()
        if sqlite:
            _check_sqlite_foreign_keys(connection)


def _sqlite_foreign_keys_off(connection: Connection) -> None:
    # Only outside a transaction does SQLite change this; nothing has begun one yet.
    connection.exec_driver_sql("PRAGMA foreign_keys = OFF")
    if connection.exec_driver_sql("PRAGMA foreign_keys").scalar() != 0:
        raise RuntimeError(
            "SQLite kept foreign keys on during a migration; a table rebuild would cascade"
        )


def _check_sqlite_foreign_keys(connection: Connection) -> None:
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        tables = sorted({str(row[0]) for row in broken})
        raise RuntimeError(f"a migration left rows without their parent in {', '.join(tables)}")


async def _run_async_migrations() -> None:
    engine = create_engine(_url())
    try:
        async with engine.connect() as connection:
            await connection.run_sync(run_migrations_on)
            await connection.commit()
    finally:
        await engine.dispose()


def run_migrations_offline() -> None:
    """Emit SQL to stdout instead of running it (``alembic upgrade --sql``)."""
    url = _url()
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=url.startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run on the caller's connection if given, else on a fresh async engine."""
    connection = config.attributes.get("connection")
    if connection is None:
        asyncio.run(_run_async_migrations())
    else:
        run_migrations_on(connection)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
