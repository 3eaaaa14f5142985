"""The case API as a caseworker's desk (and an intruder) meets it, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import secrets
from datetime import date
from typing import Any

import aiohttp
import pytest
from casework import (
    PHOTO,
    REPORT_TEXT,
    World,
    api_client,
    b64,
    bearer,
    issue,
    kid,
    make_world,
    new_message,
    open_entry,
    rewrapped,
    rotate,
    snapshot,
    store_case,
    unb64,
)
from deployment import deployment

from bot import logs
from bot.http.calls import MAX_REQUEST_BYTES
from crypto.envelope import Context, Envelope, open_envelope
from crypto.ids import new_case_id, new_entry_id
from crypto.keys import new_partner_key
from crypto.payloads import decode_attachment, decode_message, decode_report
from storage import audit, cases, days, partners
from vocabulary import CaseStatus, Purpose

CALLERS = ("own", "other", "revoked", "garbled", "none")
GARBLED = {
    "garbled": "Bearer gct_this-token-was-never-issued-by-anyone-0000000000",
}


def headers_for(world: World, caller: str) -> dict[str, str]:
    if caller == "none":
        return {}
    if caller == "garbled":
        return {"Authorization": GARBLED["garbled"]}
    return bearer(world.tokens[caller])


# Each endpoint: (method, path, JSON body) for the own partner's case "A", built from the world.
def endpoints(world: World) -> dict[str, tuple[str, str, Any]]:
    case = world.case
    active = world.keys["mekong-workers"]
    note = new_message(case.id, Purpose.NOTE, "SENTINEL-NOTE call the union", [active.public_key])
    return {
        "partner": ("GET", "/api/v1/partner", None),
        "list": ("GET", "/api/v1/cases", None),
        "case": ("GET", f"/api/v1/cases/{case.id}", None),
        "caseworkers": ("GET", "/api/v1/caseworkers", None),
        "count": ("GET", "/api/v1/cases/count", None),
        "status": ("PUT", f"/api/v1/cases/{case.id}/status", {"status": "investigating"}),
        "assignee": (
            "PUT",
            f"/api/v1/cases/{case.id}/assignee",
            {"credential_id": world.credential_ids["triage"]},
        ),
        "entry": ("POST", f"/api/v1/cases/{case.id}/entries", note),
        "wraps": ("PUT", f"/api/v1/entries/{case.report_id}/wraps", "rewrap"),
        "purge": ("DELETE", f"/api/v1/cases/{case.id}", None),
    }


async def call(client, method: str, path: str, body: Any = None, headers=None):
    """One request; returns (status, parsed JSON or None, raw response headers)."""
    async with client.request(method, path, json=body, headers=headers or {}) as response:
        raw = await response.read()
        data = json.loads(raw) if raw else None
        return response.status, data, response.headers


async def rewrap_body(client, world: World) -> dict[str, Any]:
    """A genuine re-wrap request for the report of case A after a rotation: a wrap for the new
    active key, and the retired key's wrap removed."""
    old = world.keys["mekong-workers"]
    new = await rotate(world.sessions, world.signer, "mekong-workers")
    _, case, _ = await call(client, "GET", f"/api/v1/cases/{world.case.id}", None, own(world))
    report = next(e for e in case["entries"] if e["id"] == world.case.report_id)
    return {"add": rewrapped(world.case.id, report, old, new.public_key), "remove": [kid(old)]}


def own(world: World) -> dict[str, str]:
    return bearer(world.tokens["own"])


@pytest.mark.parametrize(
    "endpoint",
    [
        "partner",
        "caseworkers",
        "list",
        "count",
        "case",
        "status",
        "assignee",
        "entry",
        "wraps",
        "purge",
    ],
)
async def test_access_matrix(session_factory, endpoint):
    """Every endpoint x {own, another partner's, revoked, garbled, no credential}: only the own
    credential reaches partner A's queue; the others get 401 or 404 and change nothing."""
    world = await make_world(session_factory)
    async with api_client(session_factory) as client:
        method, path, body = endpoints(world)[endpoint]
        if body == "rewrap":
            body = await rewrap_body(client, world)
        for caller in CALLERS[1:]:
            before = await snapshot(session_factory)
            status, data, headers = await call(
                client, method, path, body, headers_for(world, caller)
            )
            assert await snapshot(session_factory) == before, (endpoint, caller)
            dumped = json.dumps(data)
            assert world.case.id not in dumped
            assert world.case.report_id not in dumped
            if caller in {"revoked", "garbled", "none"}:
                assert status == 401, (endpoint, caller, data)
                assert headers["WWW-Authenticate"] == "Bearer"
                assert set(data) == {"error"}
            elif endpoint == "partner":
                # Another partner's credential sees its own partner, never A's.
                assert status == 200 and data["slug"] == "pearl-river"
                assert kid(world.keys["mekong-workers"]) not in dumped
            elif endpoint == "list":
                assert status == 200
                assert [c["id"] for c in data["cases"]] == [world.other_case.id]
            elif endpoint == "caseworkers":
                # Its own partner's caseworkers only: A's credentials are not named.
                assert status == 200
                assert [c["id"] for c in data["caseworkers"]] == [world.credential_ids["other"]]
            elif endpoint == "count":
                assert status == 200 and data["total"] == 1  # its own case, not A's
            else:
                # Exactly the answer for a case or entry that does not exist.
                missing = path.replace(world.case.id, new_case_id()).replace(
                    world.case.report_id, new_entry_id()
                )
                expected = await call(client, method, missing, body, headers_for(world, caller))
                assert status == 404, (endpoint, caller, data)
                assert (status, data) == expected[:2]

        before = await snapshot(session_factory)
        status, data, _ = await call(client, method, path, body, own(world))
        assert status in {200, 201, 204}, (endpoint, data)
        if method != "GET":
            assert await snapshot(session_factory) != before
        if endpoint == "partner":
            assert data["slug"] == "mekong-workers"
        if endpoint == "list":
            assert [c["id"] for c in data["cases"]] == [world.case.id]
        if endpoint == "assignee":
            assert data["assignee"] == world.credential_ids["triage"]


async def test_the_desk_reads_what_the_worker_sealed(session_factory):
    world = await make_world(session_factory)
    key = world.keys["mekong-workers"]
    async with api_client(session_factory) as client:
        status, partner, _ = await call(client, "GET", "/api/v1/partner", None, own(world))
        assert status == 200
        (listed_key,) = partner["keys"]
        assert listed_key["key_id"] == kid(key) and listed_key["status"] == "active"
        assert listed_key["public_key"] == "gpk1" + bytes(key.public_key).hex()
        assert len(unb64(listed_key["signature"])) == 64
        assert listed_key["statement_day"] == days.today().isoformat()

        status, page, _ = await call(client, "GET", "/api/v1/cases", None, own(world))
        (listed,) = page["cases"]
        assert page["next_offset"] is None
        assert listed["status"] == "new" and listed["created_day"] == days.today().isoformat()
        assert unb64(listed["worker_public_key"]) == bytes(world.case.worker_key.public_key)
        report, attachment = listed["entries"]
        assert (report["seq"], report["purpose"], report["author"]) == (1, "report", "worker")
        assert decode_report(open_entry(world.case.id, report, key))["answers"][
            "what_happened"
        ] == {"text": REPORT_TEXT}
        # Lists leave attachment bodies behind, but say how big they are.
        assert attachment["purpose"] == "attachment" and attachment["body"] is None
        assert attachment["size"] > len(PHOTO)
        assert report["size"] == len(unb64(report["body"]))

        status, case, _ = await call(
            client, "GET", f"/api/v1/cases/{world.case.id}", None, own(world)
        )
        assert status == 200
        full = next(e for e in case["entries"] if e["purpose"] == "attachment")
        assert full["size"] == attachment["size"] == len(unb64(full["body"]))
        header, data = decode_attachment(open_entry(world.case.id, full, key))
        assert (header.kind, data) == ("photo", PHOTO)


async def test_paging_and_filters(session_factory, monkeypatch):
    world = await make_world(session_factory, photo=False)
    key = world.keys["mekong-workers"].public_key
    monkeypatch.setattr(days, "today", lambda: date(2030, 1, 10))
    old = [await store_case(session_factory, "mekong-workers", key) for _ in range(3)]
    monkeypatch.setattr(days, "today", lambda: date(2030, 2, 20))
    new = [await store_case(session_factory, "mekong-workers", key) for _ in range(2)]
    monkeypatch.undo()
    everything = {world.case.id} | {c.id for c in old + new}
    async with api_client(session_factory) as client:
        seen, offset, pages = [], 0, 0
        while offset is not None:
            status, page, _ = await call(
                client, "GET", f"/api/v1/cases?limit=2&offset={offset}", None, own(world)
            )
            assert status == 200 and len(page["cases"]) <= 2
            seen += [c["id"] for c in page["cases"]]
            offset, pages = page["next_offset"], pages + 1
        assert pages == 3 and len(seen) == len(set(seen)) and set(seen) == everything
        # Most recently changed first.
        updated = [
            c["updated_day"]
            for c in (await call(client, "GET", "/api/v1/cases", None, own(world)))[1]["cases"]
        ]
        assert updated == sorted(updated, reverse=True)

        # The day given is included; world.case was reported today, years before 2030.
        for since, expected in (
            ("2030-02-20", {c.id for c in new}),
            ("2030-01-11", {c.id for c in new}),
            ("2030-01-10", {c.id for c in old + new}),
            ("2030-02-21", set()),
        ):
            _, page, _ = await call(
                client, "GET", f"/api/v1/cases?changed_since={since}", None, own(world)
            )
            assert {c["id"] for c in page["cases"]} == expected, since

        status, _, _ = await call(
            client, "PUT", f"/api/v1/cases/{old[0].id}/status", {"status": "closed"}, own(world)
        )
        assert status == 200
        _, page, _ = await call(client, "GET", "/api/v1/cases?status=closed", None, own(world))
        assert [c["id"] for c in page["cases"]] == [old[0].id]
        _, page, _ = await call(
            client, "GET", "/api/v1/cases?status=new&limit=1000", None, own(world)
        )
        assert {c["id"] for c in page["cases"]} == everything - {old[0].id}

        for query in ("status=done", "limit=0", "limit=1001", "limit=two", "offset=-1",
                      "changed_since=yesterday", "changed_since=2030-02-30"):  # fmt: skip
            status, data, _ = await call(client, "GET", f"/api/v1/cases?{query}", None, own(world))
            assert status == 400, query
            assert set(data) == {"error"} and data["error"].endswith(".")


async def test_replies_reach_the_worker_and_notes_stay_with_the_partner(session_factory):
    world = await make_world(session_factory, photo=False)
    key, case = world.keys["mekong-workers"], world.case
    worker = case.worker_key.public_key
    async with api_client(session_factory) as client:
        path = f"/api/v1/cases/{case.id}/entries"
        reply = new_message(
            case.id, Purpose.REPLY, "SENTINEL-REPLY we are on it", [key.public_key, worker]
        )
        status, stored, _ = await call(client, "POST", path, reply, own(world))
        assert status == 201, stored
        assert (stored["seq"], stored["purpose"], stored["author"]) == (2, "reply", "caseworker")
        assert set(stored["wraps"]) == {kid(key)}  # the desk sees the partner's own wraps
        assert decode_message(open_entry(case.id, stored, key)) == "SENTINEL-REPLY we are on it"

        # The worker opens it with the case key their receipt derives.
        async with session_factory() as session:
            partner = await partners.get_partner(session, "mekong-workers")
            found = await cases.get_case(session, partner.id, case.id)
        entry = found.entries[-1]
        envelope = Envelope(entry.body, {w.key_id: w.sealed_key for w in entry.wraps})
        opened = open_envelope(envelope, Context(case.id, entry.id, Purpose.REPLY), case.worker_key)
        assert decode_message(opened) == "SENTINEL-REPLY we are on it"

        note = new_message(case.id, Purpose.NOTE, "SENTINEL-NOTE", [key.public_key])
        status, stored, _ = await call(client, "POST", path, note, own(world))
        assert status == 201 and stored["seq"] == 3

        status, data, _ = await call(client, "POST", path, note, own(world))
        assert status == 409 and "exists" in data["error"]

        stranger = new_partner_key().public_key

        def reply(*to):
            return new_message(case.id, Purpose.REPLY, "x", to)

        def note(*to, **changes):
            return {**new_message(case.id, Purpose.NOTE, "x", to or [key.public_key]), **changes}

        refused = {
            "reply without the worker's wrap": reply(key.public_key),
            "reply without the active key's wrap": reply(worker),
            "note without the active key's wrap": note(stranger),
            "note sealed to the worker": note(key.public_key, worker),
            "reply sealed to a stranger too": reply(key.public_key, worker, stranger),
            "a report": note(purpose="report"),
            "bad entry id": note(id="not-an-id"),
            "lower-case entry id": note(id=new_entry_id().lower()),
            "not base64": note(body="@@@"),
            "url-safe base64": note(body="-_-_"),
            "not an envelope": note(body=b64(b"\x03" * 64)),
            "a version-1 body": note(body=b64(b"\x01" * 64)),
            "short wrap": note(wraps={kid(key): b64(b"x" * 79)}),
            "bad key id": note(wraps={"ABC": b64(b"x" * 80)}),
            "wraps not an object": note(wraps=[]),
            "extra field": note(author="worker"),
            "missing field": {"id": new_entry_id(), "purpose": "note"},
        }
        before = await snapshot(session_factory)
        messages = {}
        for why, body in refused.items():
            status, data, _ = await call(client, "POST", path, body, own(world))
            assert status == 400, (why, data)
            messages[why] = data["error"]
        assert await snapshot(session_factory) == before
        assert "worker's case key" in messages["reply without the worker's wrap"]
        assert "active key" in messages["reply without the active key's wrap"]
        assert "active key" in messages["note without the active key's wrap"]
        assert "partner only" in messages["note sealed to the worker"]


async def test_status_changes_are_audited_with_the_credential_never_content(session_factory):
    world = await make_world(session_factory, photo=False)
    async with api_client(session_factory) as client:
        path = f"/api/v1/cases/{world.case.id}/status"
        status, summary, _ = await call(client, "PUT", path, {"status": "acknowledged"}, own(world))
        assert status == 200
        assert summary["status"] == "acknowledged" and "entries" not in summary
        status, data, _ = await call(client, "PUT", path, {"status": "SENTINEL-STATUS"}, own(world))
        assert status == 400 and "acknowledged" in data["error"]
        status, data, _ = await call(
            client, "PUT", path, {"status": "closed", "why": "x"}, own(world)
        )
        # The allowed fields are named, never what the request sent.
        assert status == 400 and "'status'" in data["error"] and "why" not in data["error"]
    async with session_factory() as session:
        events = await audit.list_events(session)
        partner = await partners.get_partner(session, "mekong-workers")
        assert (
            await cases.get_case(session, partner.id, world.case.id)
        ).status == CaseStatus.ACKNOWLEDGED
    status_events = [e for e in events if e.action == "case.status"]
    assert [(e.actor, e.subject, e.day) for e in status_events] == [
        (f"credential:{world.credential_ids['own']}", world.case.id, days.today())
    ]
    dumped = repr([(e.actor, e.action, e.subject) for e in events])
    assert "SENTINEL" not in dumped and world.tokens["own"] not in dumped


async def test_purge_removes_the_case_its_entries_and_wraps(session_factory):
    world = await make_world(session_factory)
    async with api_client(session_factory) as client:
        path = f"/api/v1/cases/{world.case.id}"
        status, data, _ = await call(client, "DELETE", path, None, own(world))
        assert (status, data) == (204, None)
        status, data, _ = await call(client, "GET", path, None, own(world))
        assert status == 404
        status, data, _ = await call(client, "DELETE", path, None, own(world))
        assert status == 404
    rows = await snapshot(session_factory)
    ids = {world.case.id, world.case.report_id, world.case.attachment_id}
    leftovers = [
        r
        for table in ("cases", "case_entries", "wraps")
        for r in rows[table]
        if ids & set(map(str, r))
    ]
    assert leftovers == []
    assert len(rows["cases"]) == 1  # the other partner's case is untouched
    purges = [e for e in rows["audit_events"] if "case.purge" in e]
    assert len(purges) == 1 and f"credential:{world.credential_ids['own']}" in purges[0]
    assert world.case.id in purges[0]


async def test_rewrap_after_rotation(session_factory):
    world = await make_world(session_factory)
    old = world.keys["mekong-workers"]
    new = await rotate(session_factory, world.signer, "mekong-workers")
    case = world.case
    async with api_client(session_factory) as client:
        _, partner, _ = await call(client, "GET", "/api/v1/partner", None, own(world))
        assert {(k["key_id"], k["status"]) for k in partner["keys"]} == {
            (kid(old), "retired"),
            (kid(new), "active"),
        }
        # A new note must go to the new key; the retired one is refused.
        path = f"/api/v1/cases/{case.id}/entries"
        status, data, _ = await call(
            client,
            "POST",
            path,
            new_message(case.id, Purpose.NOTE, "x", [old.public_key]),
            own(world),
        )
        assert status == 400 and kid(new) in data["error"]

        _, full, _ = await call(client, "GET", f"/api/v1/cases/{case.id}", None, own(world))
        report = next(e for e in full["entries"] if e["id"] == case.report_id)
        wraps_path = f"/api/v1/entries/{case.report_id}/wraps"
        to_new = rewrapped(case.id, report, old, new.public_key)
        stranger = new_partner_key()
        refusals = {
            "remove without adding the active key": {"add": {}, "remove": [kid(old)]},
            "add for the retired key": {
                "add": rewrapped(case.id, report, old, old.public_key),
                "remove": [],
            },
            "add for a stranger": {
                "add": rewrapped(case.id, report, old, stranger.public_key),
                "remove": [],
            },
            "add the worker's key to a report": {
                "add": rewrapped(case.id, report, old, case.worker_key.public_key),
                "remove": [],
            },
            "remove the active key": {"add": to_new, "remove": [kid(new)]},
            "remove a stranger's key": {"add": to_new, "remove": [kid(stranger)]},
            "remove not a list": {"add": to_new, "remove": kid(old)},
            "no remove": {"add": to_new},
        }
        before = await snapshot(session_factory)
        for why, body in refusals.items():
            status, data, _ = await call(client, "PUT", wraps_path, body, own(world))
            assert status == 400, (why, data)
        assert await snapshot(session_factory) == before

        for entry in full["entries"]:
            body = {"add": rewrapped(case.id, entry, old, new.public_key), "remove": [kid(old)]}
            status, data, _ = await call(
                client, "PUT", f"/api/v1/entries/{entry['id']}/wraps", body, own(world)
            )
            assert status == 200, data
            assert set(data["wraps"]) == {kid(new)}
            assert data["body"] is None if entry["purpose"] == "attachment" else data["body"]
        _, full, _ = await call(client, "GET", f"/api/v1/cases/{case.id}", None, own(world))
        for entry in full["entries"]:
            assert set(entry["wraps"]) == {kid(new)}
            open_entry(case.id, entry, new)
        assert full["updated_day"] == days.today().isoformat()


async def test_limits_and_malformed_requests_get_json_errors(session_factory):
    world = await make_world(session_factory, photo=False)
    key = world.keys["mekong-workers"]
    path = f"/api/v1/cases/{world.case.id}/entries"
    async with api_client(session_factory) as client:
        huge = new_message(world.case.id, Purpose.NOTE, "x" * MAX_REQUEST_BYTES, [key.public_key])
        before = await snapshot(session_factory)
        status, data, _ = await call(client, "POST", path, huge, own(world))
        assert status == 413 and "larger than" in data["error"]

        async def chunks():  # no Content-Length: the limit holds while reading
            for _ in range(MAX_REQUEST_BYTES // 65536 + 2):
                yield b" " * 65536

        json_type = {"Content-Type": "application/json"}
        headers = {**own(world), **json_type}
        async with client.post(path, data=chunks(), headers=headers) as response:
            assert response.status == 413
            assert "larger than" in (await response.json())["error"]

        for raw in (b"{not json", b"\xff\xfe", b"[1, 2]", b"", b"null"):
            async with client.post(
                path, data=raw, headers={**own(world), "Content-Type": "application/json"}
            ) as response:
                assert response.status == 400, raw
                assert response.content_type == "application/json"
                assert "JSON" in (await response.json())["error"]
        assert await snapshot(session_factory) == before

        for bad_path in ("/api/v1/cases/lowercase0000", "/api/v1/cases/7KQ2M9XD4H1A0"):
            status, data, _ = await call(client, "GET", bad_path, None, own(world))
            assert status == 404 and data == {"error": "No such case."}
        status, data, _ = await call(client, "GET", "/api/v1/nothing-here", None, own(world))
        assert status == 404 and set(data) == {"error"}
        status, data, headers = await call(
            client, "PATCH", f"/api/v1/cases/{world.case.id}", None, own(world)
        )
        assert status == 405 and set(data) == {"error"}
        assert "DELETE" in headers["Allow"]
        async with client.get("/healthz") as response:
            assert response.status == 200 and await response.json() == {"status": "ok"}
        async with client.get("/api/v1/cases", headers=own(world)) as response:
            assert response.headers["Cache-Control"] == "no-store"


async def test_access_log_names_routes_never_ids_tokens_or_addresses(session_factory):
    world = await make_world(session_factory, photo=False)
    stream = io.StringIO()
    logs.configure("DEBUG", stream=stream)
    try:
        async with api_client(session_factory) as client:
            case_path = f"/api/v1/cases/{world.case.id}"
            await call(client, "GET", case_path + "?secret-query=SENTINEL", None, own(world))
            await call(client, "PUT", case_path + "/status", {"status": "closed"}, own(world))
            await call(client, "GET", case_path, None, headers_for(world, "garbled"))
            await call(
                client, "GET", f"/api/v1/entries/{world.case.report_id}/wraps", None, own(world)
            )
            # A malformed request: aiohttp's own error line must not carry the address either.
            reader, writer = await asyncio.open_connection(client.host, client.port)
            writer.write(b"GET /\x00 HTTP/1.1\r\nHost: x\r\n\r\n")
            await writer.drain()
            await reader.read()
            writer.close()
    finally:
        root = logging.getLogger()
        for handler in [h for h in root.handlers if h.get_name() == logs.HANDLER_NAME]:
            root.removeHandler(handler)
        root.setLevel(logging.WARNING)
    lines = stream.getvalue()
    assert "GET /api/v1/cases/{case_id} 200" in lines
    assert "PUT /api/v1/cases/{case_id}/status 200" in lines
    assert "GET /api/v1/cases/{case_id} 401" in lines
    assert "GET (no route) 405" in lines  # wrong method: no route served it
    for secret in (
        world.case.id,
        world.case.report_id,
        world.tokens["own"],
        "SENTINEL",
        "127.0.0.1",
        "gct_",
    ):
        assert secret not in lines, secret


async def test_the_running_service_serves_the_api_and_logs_routes(database_url, tmp_path):
    """`grievance serve`: the API answers on the service's HTTP port; access lines name routes."""

    async with deployment(database_url, str(tmp_path / "data")) as running:
        _, token = await issue(running.service.sessions, "mekong-workers")
        base = f"http://127.0.0.1:{running.service.http_port}"
        async with aiohttp.ClientSession() as client:
            async with client.get(f"{base}/api/v1/partner", headers=bearer(token)) as response:
                assert response.status == 200
                assert (await response.json())["slug"] == "mekong-workers"
            async with client.get(
                f"{base}/api/v1/cases/{new_case_id()}", headers=bearer(token)
            ) as response:
                assert response.status == 404
        await asyncio.sleep(0.05)
        log = running.log.getvalue()
    assert "GET /api/v1/partner 200" in log
    assert "GET /api/v1/cases/{case_id} 404" in log
    assert token not in log
    access = [line for line in log.splitlines() if "bot.access" in line]
    assert access and not any("127.0.0.1" in line for line in access)


async def test_the_partner_marks_what_it_opened_and_reading_marks_nothing(session_factory):
    """A worker's entries stay unseen until the desk says it showed them; lists and reads do not
    mark; a caseworker's own entries are seen from the start; the mark changes no day."""
    world = await make_world(session_factory)
    case = world.case
    key = world.keys["mekong-workers"]
    case_url = f"/api/v1/cases/{case.id}"
    async with api_client(session_factory) as client:
        for _ in range(2):
            _, listed, _ = await call(client, "GET", "/api/v1/cases", None, own(world))
            _, full, _ = await call(client, "GET", case_url, None, own(world))
            for shown in (listed["cases"][0], full):
                assert shown["unseen_entries"] == 2
                assert {e["id"]: e["seen"] for e in shown["entries"]} == {
                    case.report_id: False,
                    case.attachment_id: False,
                }
        reply = new_message(
            case.id, Purpose.REPLY, "ok", [key.public_key, case.worker_key.public_key]
        )
        status, stored, _ = await call(client, "POST", f"{case_url}/entries", reply, own(world))
        assert status == 201 and stored["seen"] is True

        before = await snapshot(session_factory)
        refusals = [
            (own(world), {"entries": [world.other_case.report_id]}, 400),  # another case's
            (own(world), {"entries": [case.report_id, new_entry_id()]}, 400),  # one unknown
            (own(world), {"entries": []}, 400),
            (own(world), {"entries": case.report_id}, 400),
            (bearer(world.tokens["other"]), {"entries": [case.report_id]}, 404),
            (bearer(world.tokens["revoked"]), {"entries": [case.report_id]}, 401),
        ]
        for headers, body, expected in refusals:
            status, data, _ = await call(client, "POST", f"{case_url}/seen", body, headers)
            assert status == expected, (body, data)
            assert case.report_id not in data["error"]
        assert await snapshot(session_factory) == before

        triage = bearer(world.tokens["triage"])
        body = {"entries": [case.report_id]}
        status, data, _ = await call(client, "POST", f"{case_url}/seen", body, triage)
        assert (status, data) == (200, {"id": case.id, "unseen_entries": 1})
        # Twice, or with the caseworker's own reply, is harmless.
        body = {"entries": [case.report_id, stored["id"]]}
        status, data, _ = await call(client, "POST", f"{case_url}/seen", body, own(world))
        assert (status, data) == (200, {"id": case.id, "unseen_entries": 1})
        _, full, _ = await call(client, "GET", case_url, None, own(world))
    assert {e["id"]: e["seen"] for e in full["entries"]} == {
        case.report_id: True,
        case.attachment_id: False,
        stored["id"]: True,
    }
    rows = await snapshot(session_factory)
    assert not [e for e in rows["audit_events"] if "seen" in repr(e)]


async def test_a_triage_credential_cannot_purge_and_a_lead_can(session_factory):
    world = await make_world(session_factory, photo=False)
    triage = bearer(world.tokens["triage"])
    async with api_client(session_factory) as client:
        before = await snapshot(session_factory)
        for case_id in (world.case.id, new_case_id(), world.other_case.id):
            status, data, _ = await call(client, "DELETE", f"/api/v1/cases/{case_id}", None, triage)
            # The same answer whether the case exists, is missing or is another partner's.
            assert status == 403 and "lead" in data["error"], data
        assert await snapshot(session_factory) == before
        # Everything else a triage credential does every day.
        _, full, _ = await call(client, "GET", f"/api/v1/cases/{world.case.id}", None, triage)
        assert full["id"] == world.case.id
        path = f"/api/v1/cases/{world.case.id}/status"
        assert (await call(client, "PUT", path, {"status": "investigating"}, triage))[0] == 200
        key = world.keys["mekong-workers"]
        note = new_message(world.case.id, Purpose.NOTE, "n", [key.public_key])
        path = f"/api/v1/cases/{world.case.id}/entries"
        assert (await call(client, "POST", path, note, triage))[0] == 201
        status, _, _ = await call(
            client, "DELETE", f"/api/v1/cases/{world.case.id}", None, own(world)
        )
        assert status == 204


async def test_a_rewrap_can_never_overwrite_or_strip_a_working_wrap(session_factory):
    """The server cannot check a sealed key: random bytes offered for a key the entry already
    has are refused, so nobody's access is destroyed; the genuine re-wrap works, a repeat of it
    is harmless, and every change and every new entry is in the audit log without content."""
    world = await make_world(session_factory)
    case, old = world.case, world.keys["mekong-workers"]
    junk = b64(bytes(80))
    entry_url = f"/api/v1/entries/{case.report_id}/wraps"
    async with api_client(session_factory) as client:
        _, full, _ = await call(client, "GET", f"/api/v1/cases/{case.id}", None, own(world))
        report = next(e for e in full["entries"] if e["id"] == case.report_id)
        before = await snapshot(session_factory)
        for caller in ("own", "triage"):
            for body in (
                {"add": {kid(old): junk}, "remove": []},  # the active key's wrap, overwritten
                {"add": {kid(old): b64(secrets.token_bytes(80))}, "remove": []},
            ):
                status, data, _ = await call(
                    client, "PUT", entry_url, body, bearer(world.tokens[caller])
                )
                assert status == 409 and "never replaced" in data["error"], data
        assert await snapshot(session_factory) == before
        open_entry(case.id, report, old)  # still opens

        reply = new_message(
            case.id, Purpose.REPLY, "We will visit.", [old.public_key, case.worker_key.public_key]
        )
        assert (await call(client, "POST", f"/api/v1/cases/{case.id}/entries", reply, own(world)))[
            0
        ] == 201
        worker_kid = kid(case.worker_key)
        status, data, _ = await call(
            client, "PUT", f"/api/v1/entries/{reply['id']}/wraps",
            {"add": {worker_kid: junk}, "remove": []}, own(world),
        )  # fmt: skip
        assert status == 409  # the worker's wrap of a reply is not replaced either

        new = await rotate(session_factory, world.signer, "mekong-workers")
        body = {"add": rewrapped(case.id, report, old, new.public_key), "remove": [kid(old)]}
        triage = bearer(world.tokens["triage"])
        status, data, _ = await call(client, "PUT", entry_url, body, triage)
        assert status == 200 and set(data["wraps"]) == {kid(new)}
        after = await snapshot(session_factory)
        status, data, _ = await call(client, "PUT", entry_url, body, triage)  # a repeat
        assert status == 200 and set(data["wraps"]) == {kid(new)}
        assert await snapshot(session_factory) == after
        status, data, _ = await call(
            client, "PUT", entry_url, {"add": {kid(new): junk}, "remove": []}, triage
        )
        assert status == 409
        _, full, _ = await call(client, "GET", f"/api/v1/cases/{case.id}", None, own(world))
        report = next(e for e in full["entries"] if e["id"] == case.report_id)
        open_entry(case.id, report, new)
    async with session_factory() as session:
        events = [(e.actor, e.action, e.subject) for e in await audit.list_events(session)]
    api_events = [event for event in events if event[0].startswith("credential:")]
    lead, triage_name = (f"credential:{world.credential_ids[k]}" for k in ("own", "triage"))
    assert api_events == [
        (lead, "entry.reply", f"{case.id}/{reply['id']}"),
        (triage_name, "entry.rewrap", f"{case.id}/{case.report_id}"),
    ]
    assert "We will visit" not in repr(events) and junk not in repr(events)
