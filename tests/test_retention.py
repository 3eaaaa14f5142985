"""Retention: closed cases unchanged for longer than GRIEVANCE_RETENTION_DAYS are purged, on demand
(`grievance admin purge`) and daily by `grievance serve`; everything else is kept."""

import asyncio
from datetime import date, timedelta

import pytest
from casework import (
    command_line_deployment,
    register_partner,
    run,
    run_json,
    snapshot,
    store_case,
)
from deployment import deployment

from bot import admin
from bot.retention import purge_expired
from crypto.keys import new_signing_key
from storage import audit, cases, days, partners
from storage.db import create_engine
from storage.db import session_factory as make_session_factory
from storage.migrate import upgrade_to_head
from vocabulary import CaseStatus

TODAY = date(2031, 6, 1)


async def case_as_of(sessions, slug, key, day: date, status: CaseStatus) -> str:
    """A case reported and last changed on `day`, now in `status`."""
    original = days.today
    days.today = lambda: day
    try:
        stored = await store_case(sessions, slug, key)
        async with sessions() as session, session.begin():
            partner = await partners.get_partner(session, slug)
            case = await cases.get_case(session, partner.id, stored.id, with_entries=False)
            await cases.set_status(session, case, status)
    finally:
        days.today = original
    return stored.id


async def kept_ids(sessions) -> set[str]:
    return {row[0] for row in (await snapshot(sessions))["cases"]}


@pytest.fixture
def env(database_url, tmp_path, monkeypatch):
    """A command-line deployment whose cases are of different ages and statuses."""
    deployed = command_line_deployment(database_url, tmp_path, monkeypatch)
    key = deployed["key"].public_key

    async def populate():
        engine = create_engine(database_url)
        try:
            sessions = make_session_factory(engine)
            return {
                "old closed": await case_as_of(
                    sessions, "mekong-workers", key, TODAY - timedelta(days=400), CaseStatus.CLOSED
                ),
                "closed exactly a year ago": await case_as_of(
                    sessions, "mekong-workers", key, TODAY - timedelta(days=365), CaseStatus.CLOSED
                ),
                "recent closed": await case_as_of(
                    sessions, "mekong-workers", key, TODAY - timedelta(days=10), CaseStatus.CLOSED
                ),
                "old resolved": await case_as_of(
                    sessions,
                    "mekong-workers",
                    key,
                    TODAY - timedelta(days=900),
                    CaseStatus.RESOLVED,
                ),
                "old new": await case_as_of(
                    sessions, "mekong-workers", key, TODAY - timedelta(days=900), CaseStatus.NEW
                ),
            }
        finally:
            await engine.dispose()

    deployed["cases"] = asyncio.run(populate())
    monkeypatch.setattr(days, "today", lambda: TODAY)
    return deployed


async def database_state(url):
    engine = create_engine(url)
    try:
        sessions = make_session_factory(engine)
        async with sessions() as session:
            events = [
                (e.actor, e.action, e.subject, e.day) for e in await audit.list_events(session)
            ]
        return await kept_ids(sessions), await snapshot(sessions), events
    finally:
        await engine.dispose()


def test_purge_on_demand_takes_only_closed_cases_past_the_retention(env, capsys):
    made = env["cases"]
    _, before, events_before = asyncio.run(database_state(env["url"]))

    dry = run_json(capsys, "admin", "purge", "--dry-run")
    assert dry.pop("database").startswith(("SQLite database", "PostgreSQL database"))
    assert dry == {
        "dry_run": True,
        "retention_days": 365,
        "before": (TODAY - timedelta(days=365)).isoformat(),
        "count": 1,
        "case_ids": [made["old closed"]],
    }
    ids, after, events = asyncio.run(database_state(env["url"]))
    assert after == before and events == events_before  # a dry run touches nothing

    status, out, _ = run(capsys, "admin", "purge")
    assert status == 0 and out.startswith("Purged 1 closed case(s) last changed before")
    ids, after, events = asyncio.run(database_state(env["url"]))
    assert ids == set(made.values()) - {made["old closed"]}
    # Its entries and wraps went with it; the kept cases keep theirs.
    assert len(after["case_entries"]) == len(before["case_entries"]) - 1
    assert len(after["wraps"]) == len(before["wraps"]) - 1
    assert events[len(events_before) :] == [("retention", "case.purge", made["old closed"], TODAY)]

    again = run_json(capsys, "admin", "purge")
    assert again["count"] == 0 and again["case_ids"] == []


def test_a_shorter_retention_purges_more(env, capsys, monkeypatch):
    monkeypatch.setenv("GRIEVANCE_RETENTION_DAYS", "5")
    result = run_json(capsys, "admin", "purge")
    made = env["cases"]
    expected = {made["old closed"], made["closed exactly a year ago"], made["recent closed"]}
    assert set(result["case_ids"]) == expected and result["retention_days"] == 5
    ids, _, _ = asyncio.run(database_state(env["url"]))
    assert ids == {made["old resolved"], made["old new"]}


@pytest.mark.parametrize("value", ["0", "-3", "a year", "1.5"])
def test_a_retention_that_is_not_a_whole_number_of_days_is_refused(env, capsys, monkeypatch, value):
    monkeypatch.setenv("GRIEVANCE_RETENTION_DAYS", value)
    status, out, err = run(capsys, "admin", "purge")
    assert status == 1 and out == ""
    assert "GRIEVANCE_RETENTION_DAYS must be a whole number of days" in err
    assert err.count("\n") == 1


async def test_batches_purge_a_long_backlog(session_factory, monkeypatch):
    signer = admin.signing.Signer(new_signing_key())
    key = (await register_partner(session_factory, signer, "mekong-workers", "TH")).public_key
    monkeypatch.setattr("bot.retention.BATCH", 3)
    old = TODAY - timedelta(days=500)
    made = [
        await case_as_of(session_factory, "mekong-workers", key, old, CaseStatus.CLOSED)
        for _ in range(7)
    ]
    monkeypatch.setattr(days, "today", lambda: TODAY)
    result = await purge_expired(session_factory, 365)
    assert sorted(result.case_ids) == sorted(made)
    assert await kept_ids(session_factory) == set()


async def test_serve_purges_daily(database_url, tmp_path):
    """`grievance serve` runs the purge when it starts (and every day after)."""
    await upgrade_to_head(database_url)
    engine = create_engine(database_url)
    try:
        sessions = make_session_factory(engine)
        signer = admin.signing.Signer(new_signing_key())
        key = (await register_partner(sessions, signer, "pearl-river", "CN")).public_key
        long_ago = days.today() - timedelta(days=400)
        expired = await case_as_of(sessions, "pearl-river", key, long_ago, CaseStatus.CLOSED)
        kept = await case_as_of(sessions, "pearl-river", key, long_ago, CaseStatus.REMEDIATION)
    finally:
        await engine.dispose()

    async with deployment(database_url, str(tmp_path / "data")) as running:
        for _ in range(100):
            if expired not in await kept_ids(running.service.sessions):
                break
            await asyncio.sleep(0.05)
        assert await kept_ids(running.service.sessions) == {kept}
        async with running.service.sessions() as session:
            events = await audit.list_events(session)
        assert ("retention", "case.purge", expired) in [
            (e.actor, e.action, e.subject) for e in events
        ]
        assert expired not in running.log.getvalue()
