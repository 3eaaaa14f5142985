"""Database URLs, engines and sessions for SQLite (embedded default) and PostgreSQL.

SQLite keeps the ``sqlite3`` driver's default ("legacy") transaction control: reads take no lock and
a write transaction begins at its first INSERT/UPDATE/DELETE, waiting up to ``busy_timeout`` for the
single writer lock. Taking over BEGIN ourselves would make concurrent read-then-write transactions
fail with "database is locked" instead of waiting. Repositories therefore avoid SAVEPOINTs, which
that mode does not support; unique constraints, not SAVEPOINTs, settle races.
"""

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from storage.environment import DATA_DIR_VARIABLE, DATABASE_URL_VARIABLE
from storage.errors import StorageError

SQLITE_FILE_NAME = "grievance.sqlite3"
# The async drivers this package installs; any other driver named in a URL is refused up front.
SUPPORTED_DRIVERS = {"sqlite": "aiosqlite", "postgresql": "asyncpg"}

#: How long a SQLite writer waits for the write lock before giving up, in milliseconds.
SQLITE_BUSY_TIMEOUT_MS = 5000

# Owner only: the folder and file hold (encrypted) reports and the receipt salt.
DATA_DIR_MODE = 0o700
SQLITE_FILE_MODE = 0o600

# Bare scheme -> the async driver SQLAlchemy's asyncio extension needs.
_ASYNC_SCHEMES = {
    "postgresql://": "postgresql+asyncpg://",
    "postgres://": "postgresql+asyncpg://",
    "sqlite://": "sqlite+aiosqlite://",
}

_SQLITE_PRAGMAS = (
    f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}",
    # WAL: readers (the case API) never block the writer (the bot committing a report).
    "PRAGMA journal_mode = WAL",
    # SQLite ignores foreign keys (and ON DELETE CASCADE) unless asked, per connection.
    "PRAGMA foreign_keys = ON",
    # Purged cases must not linger in free pages of the file, where a dump could recover them.
    "PRAGMA secure_delete = ON",
    # FULL: a receipt is shown only after commit; NORMAL could lose that commit on power loss.
    "PRAGMA synchronous = FULL",
)


def async_url(url: str) -> str:
    """Rewrite a plain ``postgresql://`` or ``sqlite://`` URL to its async driver.

    Operators write the URL they know; the async driver is our implementation detail. URLs that
    already name a driver are returned unchanged.
    """
    for plain, driver in _ASYNC_SCHEMES.items():
        if url.startswith(plain):
            return driver + url[len(plain) :]
    return url


class DatabaseNotConfigured(StorageError):
    """Neither a data folder nor a database URL is configured, or the URL is not usable."""


def database_url_from_env(environ: Mapping[str, str] = os.environ) -> str:
    """Return the database URL from the environment (async driver form); creates nothing.

    ``GRIEVANCE_DATABASE_URL`` wins; otherwise a SQLite file in ``GRIEVANCE_DATA_DIR``. There is
    no default folder: a guessed one (the working directory, a home folder) silently gives a
    second, empty database to whoever runs a command from elsewhere or as another user.
    """
    configured = environ.get(DATABASE_URL_VARIABLE, "").strip()
    if configured:
        return checked_url(configured)
    data_dir = environ.get(DATA_DIR_VARIABLE, "").strip()
    if not data_dir:
        raise DatabaseNotConfigured(
            f"no database is configured: set {DATA_DIR_VARIABLE} to the server's data folder "
            f"(SQLite) or {DATABASE_URL_VARIABLE} to its PostgreSQL URL"
        )
    return sqlite_url(Path(data_dir))


def sqlite_url(data_dir: Path) -> str:
    """The URL of the SQLite file in ``data_dir``, absolute (a change of directory is harmless)."""
    return f"sqlite+aiosqlite:///{(data_dir / SQLITE_FILE_NAME).absolute()}"


def checked_url(url: str) -> str:
    """``url`` in its async driver form, if it names a backend and driver installed here.

    The refusal never repeats the URL: it may hold a password.
    """
    converted = async_url(url.strip())
    try:
        parsed = make_url(converted)
    except (ArgumentError, ValueError) as exc:
        raise DatabaseNotConfigured(
            f"{DATABASE_URL_VARIABLE} is not a database URL: write "
            "postgresql://USER@HOST/DATABASE or sqlite:////PATH/TO/FILE"
        ) from exc
    backend, driver = parsed.get_backend_name(), parsed.get_driver_name()
    if backend not in SUPPORTED_DRIVERS:
        raise DatabaseNotConfigured(
            f"{DATABASE_URL_VARIABLE} names a {backend} database; this server uses PostgreSQL "
            "(postgresql://...) or SQLite (sqlite:///...)"
        )
    if SUPPORTED_DRIVERS[backend] != driver:
        raise DatabaseNotConfigured(
            f"{DATABASE_URL_VARIABLE} names the {driver} driver, which is not installed: write "
            f"plain {backend}://... (the {SUPPORTED_DRIVERS[backend]} driver is used)"
        )
    return converted


def describe(url: str) -> str:
    """Which database ``url`` is, in words an operator recognises; never its password."""
    parsed: URL = make_url(url)
    if is_sqlite(url):
        path = sqlite_path(url)
        return f"SQLite database {path.absolute() if path else parsed.database or ':memory:'}"
    where = parsed.host or "localhost"
    if parsed.port:
        where += f":{parsed.port}"
    user = f" as {parsed.username}" if parsed.username else ""
    return f"PostgreSQL database {parsed.database or '(default)'} on {where}{user}"


def is_sqlite(url: str) -> bool:
    """Tell whether ``url`` points at SQLite (whatever the driver)."""
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_path(url: str) -> Path | None:
    """Return the file behind a SQLite URL, or None for in-memory and URI-style databases."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def _create_private_file(path: Path) -> None:
    """Create an empty SQLite file readable by the owner only, before SQLite creates it 0644."""
    path.parent.mkdir(mode=DATA_DIR_MODE, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, SQLITE_FILE_MODE)
    except FileExistsError:
        return
    os.close(fd)


def _set_sqlite_pragmas(dbapi_connection: Any, _connection_record: Any) -> None:
    """Apply the per-connection SQLite settings every connection needs."""
    cursor = dbapi_connection.cursor()
    try:
        for pragma in _SQLITE_PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """Create an async engine for ``url`` with this project's settings.

    SQLite: the file is created 0600 if missing (its WAL and shared-memory files inherit that
    mode) and every connection gets the pragmas above. PostgreSQL: connections are pinged before
    use, so a restarted server costs a retry rather than a failed report.
    """
    url = async_url(url)
    if is_sqlite(url):
        path = sqlite_path(url)
        if path is not None:
            _create_private_file(path)
        engine = create_async_engine(url, **kwargs)
        event.listen(engine.sync_engine, "connect", _set_sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Return a session factory whose objects stay readable after commit.

    ``expire_on_commit=False``: an async session cannot lazily reload expired attributes, and a
    caller shows a receipt from the case it has just committed.
    """
    return async_sessionmaker(engine, expire_on_commit=False)
