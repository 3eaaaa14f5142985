"""A status change is recorded by the desk, sealed to the partner's key only: the history the
buyers' reports need, which the server never holds in clear."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from desk_world import (
    desk_world_for_commands,
    kid,
    open_stored,
    store_report,
    stored_entries,
)
from sqlalchemy import update

from crypto.errors import DecryptionError
from crypto.keys import new_signing_key, verify_key_text
from crypto.payloads import StatusChange, decode_status_change
from desk import actions
from desk.cases import Keyring, StatusChanged
from desk.client import CaseClient, DeskError
from desk.reports import facts_of
from storage import cases, days, partners
from storage.models import Case, CaseEntry
from vocabulary import CaseStatus


@pytest.fixture
async def world(database_url, tmp_path, monkeypatch):
    async with desk_world_for_commands(database_url, tmp_path, monkeypatch) as world:
        yield world


async def status_of(world, case_id: str) -> CaseStatus:
    async with world.sessions() as session:
        (partner,) = await partners.list_partners(session)
        return (await cases.get_case(session, partner.id, case_id, with_entries=False)).status


async def test_a_status_change_is_sealed_to_the_partner_only_and_desk_show_names_it(world):
    case = await store_report(world.sessions, world.partner_key.public_key, "Unpaid overtime")
    moved = await world.desk("status", case.id, "acknowledged")
    assert moved.status == 0, moved.err
    *_, record = await stored_entries(world.sessions, case.id)
    assert (record.purpose.value, record.author.value) == ("note", "caseworker")
    assert {w.key_id for w in record.wraps} == {kid(world.partner_key)}
    opened = decode_status_change(open_stored(case.id, record, world.partner_key))
    assert opened == StatusChange("acknowledged", "new")
    with pytest.raises(DecryptionError):  # the worker's case key does not open it
        open_stored(case.id, record, case.worker_key)

    shown = await world.desk("show", case.id, key=world.key_file)
    assert shown.status == 0, shown.err
    line = next(line for line in shown.out.splitlines() if "Status set to" in line)
    assert 'Status set to "Seen by the organisation" (acknowledged, was new)' in line
    assert "caseworker" in line and "cannot be opened" not in shown.out
    as_json = json.loads((await world.desk("show", case.id, "--json", key=world.key_file)).out)
    assert as_json["thread"][-1]["status_change"] == {
        "status": "acknowledged",
        "previous": "new",
        "worker_status": "Seen by the organisation",
    }


async def test_each_change_names_where_the_case_came_from_and_a_repeat_records_nothing(world):
    case = await store_report(world.sessions, world.partner_key.public_key, "Unpaid overtime")
    for status in ("investigating", "investigating", "resolved"):
        assert (await world.desk("status", case.id, status)).status == 0
    records = [
        decode_status_change(open_stored(case.id, entry, world.partner_key))
        for entry in await stored_entries(world.sessions, case.id)
        if entry.purpose.value == "note"
    ]
    assert records == [
        StatusChange("investigating", "new"),
        StatusChange("resolved", "investigating"),
    ]
    assert await status_of(world, case.id) == CaseStatus.RESOLVED


async def test_the_server_holds_no_status_history_in_clear(
    world, database_url, stored_bytes, tmp_path
):
    case = await store_report(world.sessions, world.partner_key.public_key, "Unpaid overtime")
    for status in ("acknowledged", "remediation"):
        assert (await world.desk("status", case.id, status)).status == 0
    stored = await stored_bytes(database_url, tmp_path)
    assert b"grievance-status-change" not in stored and b'"previous"' not in stored


async def test_a_record_that_cannot_be_saved_says_the_status_did_change(world, monkeypatch):
    case = await store_report(world.sessions, world.partner_key.public_key, "Unpaid overtime")

    async def refused(*args, **kwargs):
        raise DeskError("the server is busy; try again in a moment")

    monkeypatch.setattr(CaseClient, "add_entry", refused)
    ran = await world.desk("status", case.id, "closed")
    assert ran.status == 1 and ran.err.count("\n") == 1, ran.err
    assert "the case is now closed, but the record of the change" in ran.err
    assert "set the status again" in ran.err
    assert await status_of(world, case.id) == CaseStatus.CLOSED


async def test_an_active_key_the_desk_cannot_vouch_for_changes_nothing(world, monkeypatch):
    case = await store_report(world.sessions, world.partner_key.public_key, "Unpaid overtime")
    stranger = verify_key_text(new_signing_key().verify_key)
    monkeypatch.setenv("GRIEVANCE_ADMIN_VERIFY_KEY", stranger)
    ran = await world.desk("status", case.id, "resolved")
    assert ran.status == 1 and "not signed by the administrators' key" in ran.err
    assert await status_of(world, case.id) == CaseStatus.NEW
    assert len(await stored_entries(world.sessions, case.id)) == 1


async def test_the_reports_read_the_days_from_the_records(world):
    key = world.partner_key.public_key
    recorded = await store_report(world.sessions, key, "Unpaid overtime")
    older = await store_report(world.sessions, key, "Locked exits", status=CaseStatus.INVESTIGATING)
    received = days.today() - timedelta(days=12)
    async with world.sessions() as session, session.begin():
        for case_id in (recorded.id, older.id):
            await session.execute(
                update(Case).where(Case.id == case_id).values(created_day=received)
            )
            await session.execute(
                update(CaseEntry).where(CaseEntry.case_id == case_id).values(created_day=received)
            )
    async with CaseClient(world.url, world.token) as client:
        for status in ("acknowledged", "closed"):
            await actions.set_status(client, recorded.id, status)
        await actions.set_status(client, older.id, "resolved")
        keyring = Keyring([world.partner_key])
        views = {view.id: view for view in await actions.list_cases(client, keyring, thread=True)}
    changes = views[recorded.id].status_changes
    assert [(c.previous, c.status) for c in changes] == [
        ("new", "acknowledged"),
        ("acknowledged", "closed"),
    ]
    assert all(isinstance(item, StatusChanged) for item in changes)
    facts = facts_of(views[recorded.id])
    assert facts is not None and facts.dated
    assert (facts.days_to_acknowledge, facts.days_to_resolve) == (12, 12)
    # Changed before desks recorded changes: counted, but its days are not known.
    facts = facts_of(views[older.id])
    assert facts is not None and not facts.dated and facts.days_to_resolve is None
