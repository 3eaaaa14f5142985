"""Assignment by credential and the cheap count, as caseworkers (and another partner) meet them."""

from __future__ import annotations

import json
from typing import Any

from casework import api_client, bearer, issue, make_world, revoke, snapshot, store_case
from sqlalchemy import event

from storage import audit, cases, days, partners
from vocabulary import CaseStatus


async def call(client, method: str, path: str, body: Any = None, token: str | None = None):
    headers = bearer(token) if token else {}
    async with client.request(method, path, json=body, headers=headers) as response:
        raw = await response.read()
        return response.status, (json.loads(raw) if raw else None)


async def test_partner_names_the_caller_and_caseworkers_are_the_partners_active_ones_only(
    session_factory,
):
    world = await make_world(session_factory, photo=False)
    async with api_client(session_factory) as client:
        _, partner = await call(client, "GET", "/api/v1/partner", token=world.tokens["triage"])
        assert partner["me"] == {
            "id": world.credential_ids["triage"],
            "label": "office laptop 2",
            "role": "triage",
        }
        status, listed = await call(client, "GET", "/api/v1/caseworkers", token=world.tokens["own"])
        assert status == 200
        assert listed["caseworkers"] == [
            {"id": world.credential_ids["own"], "label": "office laptop 1", "role": "lead"},
            {"id": world.credential_ids["triage"], "label": "office laptop 2", "role": "triage"},
        ]  # not the revoked "lost laptop", not pearl-river's, never a hash or a day
        _, theirs = await call(client, "GET", "/api/v1/caseworkers", token=world.tokens["other"])
        assert [c["id"] for c in theirs["caseworkers"]] == [world.credential_ids["other"]]


async def test_an_assignment_shows_in_every_view_of_the_case_and_is_audited_by_day(
    session_factory,
):
    world = await make_world(session_factory, photo=False)
    own, triage_id = world.tokens["own"], world.credential_ids["triage"]
    case_url = f"/api/v1/cases/{world.case.id}"
    async with api_client(session_factory) as client:
        _, before = await call(client, "GET", case_url, token=own)
        assert before["assignee"] is None
        status, summary = await call(
            client, "PUT", f"{case_url}/assignee", {"credential_id": triage_id}, own
        )
        assert status == 200 and summary["assignee"] == triage_id and "entries" not in summary
        assert summary["updated_day"] == before["updated_day"]  # bookkeeping, not a change
        _, listed = await call(client, "GET", "/api/v1/cases", token=own)
        _, single = await call(client, "GET", case_url, token=own)
        _, moved = await call(client, "PUT", f"{case_url}/status", {"status": "acknowledged"}, own)
        assert (
            listed["cases"][0]["assignee"] == single["assignee"] == moved["assignee"] == triage_id
        )
        _, theirs = await call(client, "GET", "/api/v1/cases", token=world.tokens["other"])
        assert theirs["cases"][0]["assignee"] is None  # the other partner's case is untouched

        # Again to the same one: nothing changes, nothing more is recorded. Then to nobody.
        await call(client, "PUT", f"{case_url}/assignee", {"credential_id": triage_id}, own)
        status, summary = await call(
            client, "PUT", f"{case_url}/assignee", {"credential_id": None}, own
        )
        assert status == 200 and summary["assignee"] is None
    async with session_factory() as session:
        events = [e for e in await audit.list_events(session) if e.action == "case.assign"]
    actor = f"credential:{world.credential_ids['own']}"
    assert [(e.actor, e.subject, e.day) for e in events] == [
        (actor, f"{world.case.id} credential:{triage_id}", days.today()),
        (actor, f"{world.case.id} nobody", days.today()),
    ]


async def test_another_partners_a_revoked_and_an_unknown_credential_get_the_same_refusal(
    session_factory,
):
    """Nothing tells a caseworker which credential ids exist elsewhere, or were revoked."""
    world = await make_world(session_factory, photo=False)
    path = f"/api/v1/cases/{world.case.id}/assignee"
    ids = world.credential_ids
    async with api_client(session_factory) as client:
        before = await snapshot(session_factory)
        answers = {
            who: await call(client, "PUT", path, {"credential_id": number}, world.tokens["own"])
            for who, number in {
                "another partner's": ids["other"],
                "revoked": ids["revoked"],
                "never issued": max(ids.values()) + 1,
            }.items()
        }
        assert await snapshot(session_factory) == before
    assert {answer for answer, _ in answers.values()} == {400}
    assert len({json.dumps(data) for _, data in answers.values()}) == 1
    assert "No such caseworker credential of your partner" in answers["revoked"][1]["error"]


async def test_a_revoked_credentials_cases_read_as_assigned_to_nobody(session_factory):
    world = await make_world(session_factory, photo=False)
    leaving_id, _token = await issue(session_factory, "mekong-workers", "laptop that will be lost")
    own = world.tokens["own"]
    case_url = f"/api/v1/cases/{world.case.id}"
    async with api_client(session_factory) as client:
        status, _ = await call(
            client, "PUT", f"{case_url}/assignee", {"credential_id": leaving_id}, own
        )
        assert status == 200
        await revoke(session_factory, leaving_id)
        _, single = await call(client, "GET", case_url, token=own)
        _, listed = await call(client, "GET", "/api/v1/cases", token=own)
        _, caseworkers = await call(client, "GET", "/api/v1/caseworkers", token=own)
        assert single["assignee"] is None and listed["cases"][0]["assignee"] is None
        assert leaving_id not in [c["id"] for c in caseworkers["caseworkers"]]
        # Someone takes it over.
        status, taken = await call(
            client,
            "PUT",
            f"{case_url}/assignee",
            {"credential_id": world.credential_ids["own"]},
            own,
        )
        assert status == 200 and taken["assignee"] == world.credential_ids["own"]


async def test_the_count_agrees_with_the_list_under_the_same_filters(session_factory):
    world = await make_world(session_factory, photo=False)
    key = world.keys["mekong-workers"].public_key
    more = [await store_case(session_factory, "mekong-workers", key) for _ in range(3)]
    async with session_factory() as session, session.begin():
        partner = await partners.get_partner(session, "mekong-workers")
        for stored, status in zip(
            more, (CaseStatus.INVESTIGATING, CaseStatus.CLOSED), strict=False
        ):
            case = await cases.get_case(session, partner.id, stored.id, with_entries=False)
            await cases.set_status(session, case, status)
    own = world.tokens["own"]
    async with api_client(session_factory) as client:
        # One case opened by a caseworker: its report is seen, the other three are not.
        await call(
            client,
            "POST",
            f"/api/v1/cases/{more[0].id}/seen",
            {"entries": [more[0].report_id]},
            own,
        )
        status, counted = await call(client, "GET", "/api/v1/cases/count", token=own)
        assert status == 200
        assert counted == {
            "total": 4,
            "by_status": {
                "new": 2,
                "acknowledged": 0,
                "investigating": 1,
                "remediation": 0,
                "resolved": 0,
                "closed": 1,
            },
            "unseen_cases": 3,
        }
        for query in (
            "status=new",
            "status=investigating",
            f"changed_since={days.today()}",
            "changed_since=2999-01-01",
        ):
            _, counted = await call(client, "GET", f"/api/v1/cases/count?{query}", token=own)
            _, listed = await call(client, "GET", f"/api/v1/cases?{query}", token=own)
            assert counted["total"] == len(listed["cases"]), query
            unseen = sum(1 for c in listed["cases"] if c["unseen_entries"])
            assert counted["unseen_cases"] == unseen, query
        _, theirs = await call(client, "GET", "/api/v1/cases/count", token=world.tokens["other"])
        assert theirs["total"] == 1 and theirs["unseen_cases"] == 1


async def test_the_count_is_one_aggregate_query_that_reads_no_entry_body(engine, session_factory):
    world = await make_world(session_factory)
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        async with api_client(session_factory) as client:
            status, _ = await call(client, "GET", "/api/v1/cases/count", token=world.tokens["own"])
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
    assert status == 200
    counting = [s for s in statements if "FROM cases" in s]
    assert len(counting) == 1 and "count(" in counting[0].lower()
    assert not any("body" in s for s in statements)
