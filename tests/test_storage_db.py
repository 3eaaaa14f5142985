"""Database URLs, engines, and the SQLite file's privacy settings."""

import stat
from pathlib import Path

import pytest
from sqlalchemy import text

from storage.db import (
    DATA_DIR_VARIABLE,
    DATABASE_URL_VARIABLE,
    DatabaseNotConfigured,
    async_url,
    create_engine,
    database_url_from_env,
    describe,
    is_sqlite,
    session_factory,
)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_postgresql_url_from_env_gets_the_async_driver(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DATABASE_URL_VARIABLE, "postgresql://grievance:s%40cret@db:5432/grievance")
    assert database_url_from_env() == "postgresql+asyncpg://grievance:s%40cret@db:5432/grievance"


def test_sqlite_url_from_env_gets_the_async_driver(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DATABASE_URL_VARIABLE, "sqlite:////srv/grievance/db.sqlite3")
    assert database_url_from_env() == "sqlite+aiosqlite:////srv/grievance/db.sqlite3"


def test_url_that_names_a_driver_is_kept() -> None:
    url = "postgresql+asyncpg://postgres@127.0.0.1/test"
    assert async_url(url) == url
    assert async_url("postgres://u@h/d") == "postgresql+asyncpg://u@h/d"


async def test_without_a_url_the_database_is_sqlite_in_a_private_data_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(DATABASE_URL_VARIABLE, raising=False)
    data_dir = tmp_path / "state"
    monkeypatch.setenv(DATA_DIR_VARIABLE, str(data_dir))
    url = database_url_from_env()
    assert url == f"sqlite+aiosqlite:///{data_dir / 'grievance.sqlite3'}"
    assert not data_dir.exists()  # naming the database creates nothing
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    finally:
        await engine.dispose()
    assert mode(data_dir) == 0o700


def test_without_a_data_dir_or_url_no_database_is_guessed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(DATABASE_URL_VARIABLE, raising=False)
    monkeypatch.delenv(DATA_DIR_VARIABLE, raising=False)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DatabaseNotConfigured, match="set GRIEVANCE_DATA_DIR"):
        database_url_from_env()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://admin:SENTINEL-PASSWORD@db/grievance", "names a mysql database"),
        ("postgresql+psycopg2://admin:SENTINEL-PASSWORD@db/g", "names the psycopg2 driver"),
        ("SENTINEL-PASSWORD", "is not a database URL"),
    ],
)
def test_an_unusable_url_is_refused_without_repeating_it(
    monkeypatch: pytest.MonkeyPatch, url: str, message: str
) -> None:
    monkeypatch.setenv(DATABASE_URL_VARIABLE, url)
    with pytest.raises(DatabaseNotConfigured, match=message) as refused:
        database_url_from_env()
    assert "SENTINEL-PASSWORD" not in str(refused.value)


def test_a_database_is_described_without_its_password() -> None:
    assert describe("postgresql+asyncpg://admin:s3cret@db:5433/grievance") == (
        "PostgreSQL database grievance on db:5433 as admin"
    )
    assert describe("sqlite+aiosqlite:////srv/g/grievance.sqlite3") == (
        "SQLite database /srv/g/grievance.sqlite3"
    )


def test_is_sqlite_knows_both_backends() -> None:
    assert is_sqlite("sqlite:///x.sqlite3")
    assert is_sqlite("sqlite+aiosqlite:///x.sqlite3")
    assert not is_sqlite("postgresql://postgres@127.0.0.1/test")
    assert not is_sqlite("postgresql+asyncpg://postgres@127.0.0.1/test")


async def test_sqlite_file_is_private_in_wal_mode_with_secure_delete(tmp_path: Path) -> None:
    path = tmp_path / "new-folder" / "grievance.sqlite3"
    engine = create_engine(f"sqlite:///{path}")
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE probe (x INTEGER)"))
            await connection.execute(text("INSERT INTO probe VALUES (1)"))
        async with engine.connect() as connection:
            assert await connection.scalar(text("PRAGMA journal_mode")) == "wal"
            assert await connection.scalar(text("PRAGMA secure_delete")) == 1
            assert await connection.scalar(text("PRAGMA foreign_keys")) == 1
            assert await connection.scalar(text("PRAGMA busy_timeout")) > 0
            assert await connection.scalar(text("PRAGMA synchronous")) == 2  # FULL
            for file in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
                assert mode(file) == 0o600, file
    finally:
        await engine.dispose()


async def test_every_pooled_sqlite_connection_gets_the_pragmas(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'g.sqlite3'}")
    try:
        async with engine.connect() as first, engine.connect() as second:
            for connection in (first, second):
                assert await connection.scalar(text("PRAGMA secure_delete")) == 1
                assert await connection.scalar(text("PRAGMA foreign_keys")) == 1
    finally:
        await engine.dispose()


async def test_sessions_keep_objects_readable_after_commit(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'g.sqlite3'}")
    try:
        assert session_factory(engine).kw["expire_on_commit"] is False
    finally:
        await engine.dispose()
