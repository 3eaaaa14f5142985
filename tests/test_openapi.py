"""docs/openapi.yaml against the running server: every answer is checked against the schema of its
path, method and status (openapi-core), every documented operation and status is produced, and
every route the server has is documented."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import yaml
from casework import (
    World,
    api_client,
    bearer,
    kid,
    make_world,
    new_message,
    rewrapped,
    rotate,
)
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse
from sqlalchemy.ext.asyncio import async_sessionmaker
from telegram import Bot

from bot.http.calls import MAX_REQUEST_BYTES
from bot.http.server import WEBHOOK_PATH, make_app
from crypto.ids import new_case_id, new_entry_id
from vocabulary import Purpose

SPEC_PATH = Path(__file__).resolve().parent.parent / "docs" / "openapi.yaml"
METHODS = ("get", "put", "post", "delete", "patch")
NOT_DOCUMENTED = {WEBHOOK_PATH}
"""Telegram's webhook: Telegram defines that contract, and only Telegram calls it."""


DOCUMENT = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def spec() -> OpenAPI:
    """The document, itself checked against the OpenAPI 3.1 schema on loading."""
    return OpenAPI.from_dict(DOCUMENT)


def documented() -> set[tuple[str, str, int]]:
    """Every (path template, method, status) the document promises."""
    return {
        (path, method.upper(), int(status))
        for path, item in DOCUMENT["paths"].items()
        for method in METHODS
        if method in item
        for status in item[method]["responses"]
    }


def template_of(path: str, templates: set[str]) -> str:
    # A literal path (/cases/count) before a template it also fits (/cases/{case_id}).
    for template in sorted(templates, key=lambda t: (t.count("{"), t)):
        pattern = re.sub(r"\{[^/]+\}", "[^/]+", template)
        if re.fullmatch(pattern, path):
            return template
    raise AssertionError(f"{path} matches no documented path")


class CheckedClient:
    """Sends requests to the running server and checks each exchange against the document."""

    def __init__(self, client, spec: OpenAPI) -> None:
        self.client, self.spec = client, spec
        self.templates = set(DOCUMENT["paths"])
        self.seen: set[tuple[str, str, int]] = set()

    async def send(
        self,
        method: str,
        url: str,
        token: str | None = None,
        body: Any = None,
        *,
        raw: bytes | None = None,
        valid: bool = True,
        content_type: str = "application/json",
    ) -> tuple[int, Any]:
        """One exchange. `valid`: the request itself must satisfy the document too."""
        headers = {"Content-Type": content_type} if body is not None or raw else {}
        if token is not None:
            headers.update(bearer(token))
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        async with self.client.request(method, url, data=data, headers=headers) as response:
            answer = await response.read()
            status, content_type = response.status, response.content_type
        parts = urlsplit(url)
        request = MockRequest(
            "http://localhost",
            method.lower(),
            parts.path,
            args=dict(parse_qsl(parts.query)),
            headers=headers,
            data=data,
            content_type=headers.get("Content-Type", "application/json").split(";")[0],
        )
        if valid:
            self.spec.validate_request(request)
        self.spec.validate_response(
            request, MockResponse(answer, status_code=status, content_type=content_type)
        )
        if status != 204:
            assert content_type == "application/json"
        assert "Server" not in response.headers
        self.seen.add((template_of(parts.path, self.templates), method.upper(), status))
        return status, json.loads(answer) if answer else None


def huge_assignee() -> bytes:
    return b'{"credential_id": 1, "pad": "' + b"x" * MAX_REQUEST_BYTES + b'"}'


def assignee_as_text() -> dict[str, Any]:
    return {"raw": b'{"credential_id": null}', "valid": False, "content_type": "text/plain"}


async def exercise(api: CheckedClient, world: World) -> None:
    """A caseworker's day, and every mistake the document describes."""
    own, other, revoked = (world.tokens[k] for k in ("own", "other", "revoked"))
    triage = world.tokens["triage"]
    key = world.keys["mekong-workers"]
    case, worker = world.case, world.case.worker_key.public_key
    case_url = f"/api/v1/cases/{case.id}"
    missing_case = f"/api/v1/cases/{new_case_id()}"

    assert (await api.send("GET", "/healthz"))[0] == 200
    assert (await api.send("GET", "/api/v1/partner", own))[0] == 200
    assert (await api.send("GET", "/api/v1/partner", None, valid=False))[0] == 401

    _, me = await api.send("GET", "/api/v1/partner", triage)
    assert me["me"]["id"] == world.credential_ids["triage"]
    status, listed = await api.send("GET", "/api/v1/caseworkers", own)
    assert status == 200 and len(listed["caseworkers"]) == 2  # not the revoked one
    assert (await api.send("GET", "/api/v1/caseworkers", revoked))[0] == 401

    status, counted = await api.send("GET", "/api/v1/cases/count?status=new", own)
    assert status == 200 and counted["total"] == counted["by_status"]["new"] == 1
    assert (await api.send("GET", "/api/v1/cases/count?changed_since=2020-01-01", own))[0] == 200
    assert (await api.send("GET", "/api/v1/cases/count?limit=5", own, valid=False))[0] == 400
    assert (await api.send("GET", "/api/v1/cases/count", None, valid=False))[0] == 401

    assignee_url = f"{case_url}/assignee"
    to_triage = {"credential_id": world.credential_ids["triage"]}
    status, assigned = await api.send("PUT", assignee_url, own, to_triage)
    assert status == 200 and assigned["assignee"] == to_triage["credential_id"]
    stranger_credential = {"credential_id": world.credential_ids["other"]}
    assert (await api.send("PUT", assignee_url, own, stranger_credential))[0] == 400
    assert (await api.send("PUT", assignee_url, own, {"credential_id": "1"}, valid=False))[0] == 400
    assert (await api.send("PUT", assignee_url, None, to_triage, valid=False))[0] == 401
    assert (await api.send("PUT", assignee_url, other, to_triage))[0] == 404
    assert (await api.send("PUT", f"{missing_case}/assignee", own, to_triage))[0] == 404
    assert (await api.send("PUT", assignee_url, own, raw=huge_assignee(), valid=False))[0] == 413
    assert (await api.send("PUT", assignee_url, own, **assignee_as_text()))[0] == 415
    assert (await api.send("PUT", assignee_url, own, {"credential_id": None}))[0] == 200

    assert (await api.send("GET", "/api/v1/cases?status=new&limit=1&offset=0", own))[0] == 200
    assert (await api.send("GET", "/api/v1/cases?changed_since=2020-01-01", own))[0] == 200
    assert (await api.send("GET", "/api/v1/cases?limit=5000", own, valid=False))[0] == 400
    assert (await api.send("GET", "/api/v1/cases", revoked))[0] == 401

    assert (await api.send("GET", case_url, own))[0] == 200
    assert (await api.send("GET", case_url, other))[0] == 404
    assert (await api.send("GET", case_url, None, valid=False))[0] == 401

    status_url = f"{case_url}/status"
    assert (await api.send("PUT", status_url, own, {"status": "acknowledged"}))[0] == 200
    assert (await api.send("PUT", status_url, own, {"status": "lost"}, valid=False))[0] == 400
    assert (await api.send("PUT", status_url, "gct_garbled", {"status": "new"}))[0] == 401
    assert (await api.send("PUT", f"{missing_case}/status", own, {"status": "new"}))[0] == 404
    huge = b'{"status": "' + b"x" * MAX_REQUEST_BYTES + b'"}'
    assert (await api.send("PUT", status_url, own, raw=huge, valid=False))[0] == 413
    as_text = {"raw": b'{"status": "new"}', "valid": False, "content_type": "text/plain"}
    assert (await api.send("PUT", status_url, own, **as_text))[0] == 415

    entries_url = f"{case_url}/entries"
    reply = new_message(case.id, Purpose.REPLY, "We will visit.", [key.public_key, worker])
    assert (await api.send("POST", entries_url, own, reply))[0] == 201
    assert (await api.send("POST", entries_url, own, reply))[0] == 409
    note = new_message(case.id, Purpose.NOTE, "Internal.", [key.public_key])
    assert (await api.send("POST", entries_url, own, note))[0] == 201
    unread = new_message(case.id, Purpose.REPLY, "Lost on the way.", [key.public_key])
    assert (await api.send("POST", entries_url, own, unread))[0] == 400
    assert (await api.send("POST", entries_url, own, raw=b"{oops", valid=False))[0] == 400
    assert (await api.send("POST", entries_url, None, note, valid=False))[0] == 401
    assert (await api.send("POST", f"{missing_case}/entries", own, note))[0] == 404
    assert (await api.send("POST", entries_url, own, raw=huge, valid=False))[0] == 413
    assert (await api.send("POST", entries_url, own, **as_text))[0] == 415

    seen_url = f"{case_url}/seen"
    _, listed = await api.send("GET", "/api/v1/cases", own)
    assert listed["cases"][0]["unseen_entries"] == len(listed["cases"][0]["entries"]) - 2
    status, marked = await api.send("POST", seen_url, own, {"entries": [case.report_id]})
    assert status == 200 and marked["id"] == case.id
    assert (await api.send("POST", seen_url, triage, {"entries": [case.report_id]}))[0] == 200
    assert (await api.send("POST", seen_url, own, {"entries": []}, valid=False))[0] == 400
    stranger = {"entries": [world.other_case.report_id]}
    assert (await api.send("POST", seen_url, own, stranger))[0] == 400
    assert (await api.send("POST", seen_url, None, stranger, valid=False))[0] == 401
    assert (await api.send("POST", f"{missing_case}/seen", own, stranger))[0] == 404
    assert (await api.send("POST", seen_url, own, raw=huge, valid=False))[0] == 413
    assert (await api.send("POST", seen_url, own, **as_text))[0] == 415

    new = await rotate(world.sessions, world.signer, "mekong-workers")
    _, full = await api.send("GET", case_url, own)
    report = next(e for e in full["entries"] if e["id"] == case.report_id)
    wraps_url = f"/api/v1/entries/{case.report_id}/wraps"
    move = {"add": rewrapped(case.id, report, key, new.public_key), "remove": [kid(key)]}
    strip = {"add": {}, "remove": [kid(key)]}
    assert (await api.send("PUT", wraps_url, own, strip))[0] == 400
    assert (await api.send("PUT", wraps_url, other, move))[0] == 404
    assert (await api.send("PUT", f"/api/v1/entries/{new_entry_id()}/wraps", own, move))[0] == 404
    assert (await api.send("PUT", wraps_url, revoked, move))[0] == 401
    assert (await api.send("PUT", wraps_url, own, raw=huge, valid=False))[0] == 413
    assert (await api.send("PUT", wraps_url, own, **as_text))[0] == 415
    assert (await api.send("PUT", wraps_url, own, move))[0] == 200
    again = {"add": rewrapped(case.id, report, key, new.public_key), "remove": []}
    assert (await api.send("PUT", wraps_url, own, again))[0] == 409

    assert (await api.send("DELETE", case_url, other))[0] == 404
    assert (await api.send("DELETE", case_url, None, valid=False))[0] == 401
    assert (await api.send("DELETE", case_url, triage))[0] == 403
    assert (await api.send("DELETE", case_url, own))[0] == 204
    assert (await api.send("DELETE", case_url, own))[0] == 404


async def test_the_server_keeps_the_documented_contract(session_factory, spec):
    world = await make_world(session_factory)
    async with api_client(session_factory) as client:
        api = CheckedClient(client, spec)
        await exercise(api, world)
    missing = documented() - api.seen
    assert not missing, f"documented but never produced: {sorted(missing)}"
    undocumented = api.seen - documented()
    assert not undocumented, f"produced but not documented: {sorted(undocumented)}"


def test_every_route_of_the_server_is_documented():
    """Everything `grievance serve` mounts; routes of the case API come with their prefix."""
    unused = async_sessionmaker()  # routes only: no request is made
    app = make_app(Bot("123456:" + "A" * 35), asyncio.Queue(), "secret", sessions=unused)
    served = {
        (route.resource.canonical, route.method)
        for route in app.router.routes()
        if route.resource is not None and route.method != "HEAD"  # HEAD comes with GET
    }
    assert (WEBHOOK_PATH, "POST") in served and ("/api/v1/cases/{case_id}", "DELETE") in served
    operations = {(path, method) for path, method, _ in documented()}
    assert {(path, method) for path, method in served if path not in NOT_DOCUMENTED} == operations
