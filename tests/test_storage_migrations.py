"""Alembic migrations: an empty database reaches head, and the schema is what the models say."""

import asyncio
from datetime import date
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Date, DateTime, Interval, Time, inspect, text
from sqlalchemy.engine import Connection

from storage.db import create_engine
from storage.migrate import (
    alembic_config,
    current_revision,
    head_revision,
    upgrade_to,
    upgrade_to_head,
)
from storage.models import Base

# Names a worker-identifying column would have (docs/THREAT_MODEL.md: nothing identifying at rest).
IDENTIFYING_NAMES = {
    "chat_id",
    "user_id",
    "username",
    "user_name",
    "first_name",
    "last_name",
    "phone",
    "phone_number",
    "language_code",
    "message_id",
    "file_id",
    "file_unique_id",
    "ip",
    "ip_address",
    "created_at",
    "updated_at",
    "timestamp",
}


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def _schema_differences(url: str) -> list[Any]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_differences)
    finally:
        await engine.dispose()


async def test_migrations_bring_an_empty_database_to_head(database_url: str) -> None:
    assert await current_revision(database_url) is None
    await upgrade_to_head(database_url)
    assert await current_revision(database_url) == head_revision() == "0004"


async def test_alembic_command_line_path_opens_its_own_engine(database_url: str) -> None:
    """Without a shared connection (the ``alembic`` tool, autogenerate), env.py runs alone."""
    await asyncio.to_thread(command.upgrade, alembic_config(database_url), "head")
    assert await current_revision(database_url) == head_revision()


async def test_upgrading_twice_is_harmless(database_url: str) -> None:
    await upgrade_to_head(database_url)
    await upgrade_to_head(database_url)
    assert await current_revision(database_url) == head_revision()


async def test_migrated_schema_matches_the_models(migrated_url: str) -> None:
    assert await _schema_differences(migrated_url) == []


async def test_schema_comparison_would_notice_a_missing_index(migrated_url: str) -> None:
    """Guards the test above: an empty diff must mean agreement, not a blind comparison."""
    engine = create_engine(migrated_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("DROP INDEX ix_wraps_key_id"))
    finally:
        await engine.dispose()
    differences = await _schema_differences(migrated_url)
    assert [d[0] for d in differences] == ["add_index"]


async def test_downgrade_to_base_removes_every_table_and_upgrade_restores_them(
    migrated_url: str,
) -> None:
    config = alembic_config(migrated_url)

    def downgrade(connection: Connection) -> list[str]:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
        return inspect(connection).get_table_names()

    engine = create_engine(migrated_url)
    try:
        async with engine.begin() as connection:
            remaining = await connection.run_sync(downgrade)
    finally:
        await engine.dispose()
    assert remaining == ["alembic_version"]
    assert await current_revision(migrated_url) is None
    await upgrade_to_head(migrated_url)
    assert await _schema_differences(migrated_url) == []


def test_models_keep_no_time_finer_than_a_day_and_no_identifying_column() -> None:
    date_columns = 0
    for table in Base.metadata.tables.values():
        for column in table.columns:
            assert not isinstance(column.type, DateTime | Time | Interval), column
            assert column.name not in IDENTIFYING_NAMES, column
            date_columns += isinstance(column.type, Date)
    assert date_columns >= 7


async def test_migrated_database_has_no_time_columns(migrated_url: str) -> None:
    """The same promise, checked on the real tables rather than on the models."""

    def column_types(connection: Connection) -> list[tuple[str, str, str]]:
        inspector = inspect(connection)
        return [
            (table, column["name"], str(column["type"]).upper())
            for table in inspector.get_table_names()
            for column in inspector.get_columns(table)
        ]

    engine = create_engine(migrated_url)
    try:
        async with engine.connect() as connection:
            columns = await connection.run_sync(column_types)
    finally:
        await engine.dispose()
    for table, name, type_ in columns:
        assert "TIME" not in type_ and "INTERVAL" not in type_, (table, name, type_)
        assert name not in IDENTIFYING_NAMES, (table, name)
    assert ("cases", "created_day", "DATE") in columns


async def test_0003_upgrades_a_database_holding_cases_and_credentials(database_url: str) -> None:
    """A deployment at 0002 with a case and a credential: after the upgrade every worker entry a
    caseworker wrote after counts as seen, later ones are unseen, the credential is `triage`."""
    await upgrade_to(database_url, "0002")
    day = date(2031, 5, 6)
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO partners (id, slug, name, created_day, emergency_contacts)"
                    " VALUES (1, 'mekong-workers', 'Mekong Workers', :day, '')"
                ),
                {"day": day},
            )
            for case_id in ("CASE00000001", "CASE00000002"):
                await connection.execute(
                    text(
                        "INSERT INTO cases (id, partner_id, status, created_day, updated_day,"
                        " worker_public_key, lookup_id) VALUES (:id, 1, 'acknowledged', :day,"
                        " :day, :key, :lookup)"
                    ),
                    {"id": case_id, "day": day, "key": bytes(32), "lookup": case_id.encode() * 3},
                )
            entries = [
                ("CASE00000001", 1, "report", "worker"),
                ("CASE00000001", 2, "attachment", "worker"),
                ("CASE00000001", 3, "follow-up", "worker"),
                ("CASE00000001", 4, "reply", "caseworker"),
                ("CASE00000001", 5, "follow-up", "worker"),
                ("CASE00000001", 6, "attachment", "worker"),
                ("CASE00000002", 1, "report", "worker"),
            ]
            for case_id, seq, purpose, author in entries:
                await connection.execute(
                    text(
                        "INSERT INTO case_entries (id, case_id, seq, purpose, author,"
                        " created_day, body) VALUES (:id, :case, :seq, :purpose, :author, :day,"
                        " :body)"
                    ),
                    {
                        "id": f"{case_id}-{seq}", "case": case_id, "seq": seq,
                        "purpose": purpose, "author": author, "day": day, "body": b"\x01" * 41,
                    },
                )  # fmt: skip
                await connection.execute(
                    text("INSERT INTO wraps (entry_id, key_id, sealed_key) VALUES (:id, :key, :s)"),
                    {"id": f"{case_id}-{seq}", "key": "a" * 32, "s": b"w" * 80},
                )
            await connection.execute(
                text(
                    "INSERT INTO caseworker_credentials (id, partner_id, label, token_hash,"
                    " created_day) VALUES (1, 1, 'office laptop', :hash, :day)"
                ),
                {"hash": b"h" * 32, "day": day},
            )
    finally:
        await engine.dispose()

    await upgrade_to(database_url, "0003")
    assert await current_revision(database_url) == "0003"
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(text("SELECT id, seen_by_partner FROM case_entries"))
            seen = {row[0]: row[1] for row in rows}
            roles = await connection.execute(text("SELECT role FROM caseworker_credentials"))
            assert roles.scalars().all() == ["triage"]
            bodies = await connection.execute(text("SELECT count(*) FROM case_entries"))
            assert bodies.scalar() == len(entries)
            # Rebuilding case_entries (SQLite) must not cascade into the wraps: they are the keys.
            wraps = await connection.execute(text("SELECT count(*) FROM wraps"))
            assert wraps.scalar() == len(entries)
    finally:
        await engine.dispose()
    assert {key: bool(value) for key, value in seen.items()} == {
        "CASE00000001-1": True,
        "CASE00000001-2": True,
        "CASE00000001-3": True,  # a caseworker replied after it: they had it open
        "CASE00000001-4": True,
        "CASE00000001-5": False,  # nobody wrote since: flagged once rather than taken as read
        "CASE00000001-6": False,
        "CASE00000002-1": False,
    }


async def test_0004_upgrades_a_database_holding_cases_and_credentials(database_url: str) -> None:
    """A deployment at 0003 with cases, entries and credentials: after the upgrade every case is
    assigned to nobody, nothing else changed, and a case can then be assigned."""
    await upgrade_to(database_url, "0003")
    day = date(2031, 5, 6)
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO partners (id, slug, name, created_day, emergency_contacts)"
                    " VALUES (1, 'mekong-workers', 'Mekong Workers', :day, '')"
                ),
                {"day": day},
            )
            await connection.execute(
                text(
                    "INSERT INTO caseworker_credentials (id, partner_id, label, token_hash,"
                    " created_day, role) VALUES (1, 1, 'office laptop', :hash, :day, 'lead')"
                ),
                {"hash": b"h" * 32, "day": day},
            )
            for case_id, status in (("CASE00000001", "new"), ("CASE00000002", "closed")):
                await connection.execute(
                    text(
                        "INSERT INTO cases (id, partner_id, status, created_day, updated_day,"
                        " worker_public_key, lookup_id) VALUES (:id, 1, :status, :day, :day,"
                        " :key, :lookup)"
                    ),
                    {"id": case_id, "status": status, "day": day, "key": bytes(32),
                     "lookup": case_id.encode() * 3},
                )  # fmt: skip
                await connection.execute(
                    text(
                        "INSERT INTO case_entries (id, case_id, seq, purpose, author,"
                        " created_day, body, seen_by_partner) VALUES (:id, :case, 1, 'report',"
                        " 'worker', :day, :body, :seen)"
                    ),
                    {"id": f"{case_id}-1", "case": case_id, "day": day, "body": b"\x02" * 41,
                     "seen": status == "closed"},
                )  # fmt: skip
                await connection.execute(
                    text("INSERT INTO wraps (entry_id, key_id, sealed_key) VALUES (:id, :key, :s)"),
                    {"id": f"{case_id}-1", "key": "a" * 32, "s": b"w" * 80},
                )
    finally:
        await engine.dispose()

    await upgrade_to_head(database_url)
    assert await current_revision(database_url) == "0004"
    assert await _schema_differences(database_url) == []
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            rows = await connection.execute(
                text(
                    "SELECT id, status, updated_day, assignee_credential_id FROM cases ORDER BY id"
                )
            )
            # SQLite hands a day back as text, PostgreSQL as a date.
            assert [(r[0], r[1], str(r[2]), r[3]) for r in rows] == [
                ("CASE00000001", "new", day.isoformat(), None),
                ("CASE00000002", "closed", day.isoformat(), None),
            ]
            seen = await connection.execute(
                text("SELECT seen_by_partner FROM case_entries ORDER BY case_id")
            )
            # Rebuilding cases (SQLite) must not cascade into their entries and wraps.
            assert [bool(value) for value in seen.scalars()] == [False, True]
            wraps = await connection.execute(text("SELECT count(*) FROM wraps"))
            assert wraps.scalar() == 2
            await connection.execute(
                text("UPDATE cases SET assignee_credential_id = 1 WHERE id = 'CASE00000001'")
            )
            assigned = await connection.execute(
                text("SELECT assignee_credential_id FROM cases WHERE id = 'CASE00000001'")
            )
            assert assigned.scalar() == 1
    finally:
        await engine.dispose()
