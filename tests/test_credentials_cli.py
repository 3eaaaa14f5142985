"""Caseworker credentials through `grievance admin credential`: issued once, stored as a hash,
listed without secrets, revoked for good."""

import asyncio

import pytest
from casework import (
    api_client,
    bearer,
    command_line_deployment,
    issue,
    make_world,
    revoke,
    run,
    run_json,
    snapshot,
)

from bot.cli import main
from crypto.tokens import TOKEN_PREFIX, token_hash
from storage import audit, days
from storage.db import create_engine, session_factory


@pytest.fixture
def env(database_url, tmp_path, monkeypatch):
    return command_line_deployment(database_url, tmp_path, monkeypatch)


async def stored(url):
    """Every row (as the database keeps it) and the audit events."""
    engine = create_engine(url)
    try:
        sessions = session_factory(engine)
        rows = await snapshot(sessions)
        async with sessions() as session:
            events = [(e.actor, e.action, e.subject) for e in await audit.list_events(session)]
        return rows, events
    finally:
        await engine.dispose()


async def partner_status(url, token):
    """What the case API answers this token at /api/v1/partner."""
    engine = create_engine(url)
    try:
        async with (
            api_client(session_factory(engine)) as client,
            client.get("/api/v1/partner", headers=bearer(token)) as response,
        ):
            return response.status, await response.json()
    finally:
        await engine.dispose()


def test_issue_list_revoke(env, capsys):
    status, out, err = run(
        capsys, "admin", "credential", "issue", "mekong-workers", "--label", "caseworker laptop 1"
    )
    assert status == 0, err
    token = out.strip().splitlines()[-1]
    assert token.startswith(TOKEN_PREFIX) and len(token) > 40
    assert "shown again" in out

    issued = run_json(capsys, "admin", "credential", "issue", "mekong-workers")
    assert set(issued) == {"id", "partner", "label", "role", "token", "database"}
    assert issued["partner"] == "mekong-workers" and issued["label"] == ""
    assert issued["token"] != token

    listed = run_json(capsys, "admin", "credential", "list")["credentials"]
    today = days.today().isoformat()
    assert listed == [
        {"id": 1, "partner": "mekong-workers", "label": "caseworker laptop 1", "role": "triage",
         "created_day": today, "revoked_day": None},
        {"id": issued["id"], "partner": "mekong-workers", "label": "", "role": "triage",
         "created_day": today, "revoked_day": None},
    ]  # fmt: skip
    status, out, _ = run(capsys, "admin", "credential", "list")
    assert "#1  mekong-workers" in out and "caseworker laptop 1" in out
    assert token not in out and issued["token"] not in out

    # Only the hash is kept: neither token (nor any part of one) is anywhere in the database.
    rows, events = asyncio.run(stored(env["url"]))
    dump = repr(rows)
    for secret in (token, issued["token"]):
        assert secret not in dump and secret[len(TOKEN_PREFIX) :][:16] not in dump
        assert token_hash(secret) in {row[3] for row in rows["caseworker_credentials"]}
    assert ("admin", "credential.issue", "mekong-workers credential:1") in events

    assert asyncio.run(partner_status(env["url"], token))[0] == 200
    revoked = run_json(capsys, "admin", "credential", "revoke", "1")
    assert revoked["revoked_day"] == today and revoked["id"] == 1
    status, body = asyncio.run(partner_status(env["url"], token))
    assert status == 401 and set(body) == {"error"}
    assert asyncio.run(partner_status(env["url"], issued["token"]))[0] == 200

    listed = run_json(capsys, "admin", "credential", "list")["credentials"]
    assert [c["revoked_day"] for c in listed] == [today, None]
    _, events = asyncio.run(stored(env["url"]))
    assert ("admin", "credential.revoke", "mekong-workers credential:1") in events
    assert not any(token in repr(e) for e in events)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["issue", "nobody"], "no partner named 'nobody'"),
        (["issue", "Bad Slug"], "is not a valid partner name"),
        (["issue", "mekong-workers", "--label", "x" * 201], "at most 200 characters"),
        (["issue", "mekong-workers", "--label", "two\nlines"], "one line"),
        (["revoke", "77"], "no credential #77"),
    ],
)
def test_mistakes_are_one_clear_line(env, capsys, argv, message):
    status, out, err = run(capsys, "admin", "credential", *argv)
    assert status == 1 and out == ""
    assert message in err and err.count("\n") == 1


def test_revoking_twice_says_since_when(env, capsys):
    run_json(capsys, "admin", "credential", "issue", "mekong-workers")
    status, out, _ = run(capsys, "admin", "credential", "revoke", "#1")
    assert status == 0 and "revoked" in out
    status, _, err = run(capsys, "admin", "credential", "revoke", "1")
    assert status == 1 and f"already revoked (since {days.today().isoformat()})" in err
    # A malformed command line: exit status 2, one line.
    assert main(["admin", "credential", "revoke", "one"]) == 2
    assert "'one' is not a credential id" in capsys.readouterr().err


async def test_a_revoked_token_is_refused_by_the_running_api(session_factory):
    """Revocation takes effect at once, even for a desk that is connected right now."""
    world = await make_world(session_factory, photo=False)
    credential_id, token = await issue(session_factory, "mekong-workers")
    async with api_client(session_factory) as client:
        url = f"/api/v1/cases/{world.case.id}"
        async with client.get(url, headers=bearer(token)) as response:
            assert response.status == 200
        await revoke(session_factory, credential_id)
        async with client.get(url, headers=bearer(token)) as response:
            assert response.status == 401
            assert "revoked" in (await response.json())["error"]


def test_a_credential_is_triage_unless_issued_as_lead_and_lists_say_which(env, capsys):
    """Only a `lead` credential can purge; the safer `triage` is what `issue` gives by default."""
    triage = run_json(capsys, "admin", "credential", "issue", "mekong-workers")
    lead = run_json(capsys, "admin", "credential", "issue", "mekong-workers", "--role", "lead")
    assert (triage["role"], lead["role"]) == ("triage", "lead")
    status, out, _ = run(
        capsys, "admin", "credential", "issue", "mekong-workers", "--role", "lead", "--label", "x"
    )
    assert status == 0 and "(lead)" in out
    listed = run_json(capsys, "admin", "credential", "list")["credentials"]
    assert [c["role"] for c in listed] == ["triage", "lead", "lead"]
    status, out, _ = run(capsys, "admin", "credential", "list")
    lines = out.splitlines()
    assert "  triage  " in lines[0] and "  lead  " in lines[1]
    assert main(["admin", "credential", "issue", "mekong-workers", "--role", "admin"]) == 2
    assert "invalid choice: 'admin'" in capsys.readouterr().err
