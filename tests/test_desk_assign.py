"""`grievance desk assign` and `desk cases --mine`: who looks after a case, from the terminal."""

from __future__ import annotations

import json

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from desk_world import DeskWorld, desk_world_for_commands, store_report

from bot import admin
from crypto.keys import new_partner_key
from desk.client import CaseClient, DeskError


@pytest.fixture
async def world(database_url, tmp_path, monkeypatch):
    async with desk_world_for_commands(database_url, tmp_path, monkeypatch) as world:
        yield world


async def issued(world: DeskWorld, slug: str, label: str, *, revoked: bool = False) -> int:
    async with world.sessions() as session, session.begin():
        credential = await admin.credentials.issue(session, slug, label)
        if revoked:
            await admin.credentials.revoke(session, credential.credential.id)
    return int(credential.credential.id)


async def my_id(world: DeskWorld) -> int:
    async with world.sessions() as session:
        (mine,) = [
            c
            for c in (await admin.credentials.list_all(session)).credentials
            if c.label == "test laptop"
        ]
    return mine.id


async def listed(world: DeskWorld, *options: str) -> dict[str, dict]:
    ran = await world.desk("cases", "--json", *options, key=world.key_file)
    assert ran.status == 0, ran.err
    return {case["id"]: case for case in json.loads(ran.out)["cases"]}


async def test_a_caseworker_takes_a_case_hands_another_to_a_colleague_and_lists_their_own(world):
    key = world.partner_key.public_key
    mine = await store_report(world.sessions, key, "SENTINEL-MINE wages withheld since March")
    theirs = await store_report(world.sessions, key, "SENTINEL-THEIRS the dormitory is locked")
    colleague = await issued(world, "mekong-workers", "colleague laptop")
    me = await my_id(world)

    ran = await world.desk("assign", mine.id, "--me")
    assert ran.status == 0, ran.err
    assert ran.out.strip() == f"Case {mine.id} is now assigned to test laptop (#{me})."
    ran = await world.desk("assign", theirs.id.lower(), "--to", str(colleague), "--json")
    assert json.loads(ran.out) == {
        "case": theirs.id,
        "assignee": colleague,
        "assignee_label": "colleague laptop",
    }

    everything = await listed(world)
    assert {case_id: case["assignee_label"] for case_id, case in everything.items()} == {
        mine.id: "test laptop",
        theirs.id: "colleague laptop",
    }
    assert (await listed(world, "--mine")).keys() == {mine.id}
    text = await world.desk("cases", "--mine", key=world.key_file)
    assert "SENTINEL-MINE" in text.out and "SENTINEL-THEIRS" not in text.out
    assert "assigned to test laptop" in text.out
    every = await world.desk("cases", key=world.key_file)
    line = next(line for line in every.out.splitlines() if line.startswith(theirs.id))
    assert line.endswith("assigned to colleague laptop")

    ran = await world.desk("assign", mine.id, "--nobody")
    assert ran.out.strip() == f"Case {mine.id} is now assigned to nobody."
    assert (await listed(world))[mine.id]["assignee"] is None
    text = await world.desk("cases", "--mine", key=world.key_file)
    assert text.status == 0 and text.out.strip() == "No cases assigned to you."


async def test_a_colleague_whose_credential_was_revoked_leaves_their_cases_to_nobody(world):
    key = world.partner_key.public_key
    case = await store_report(world.sessions, key, "SENTINEL-LEFT overtime every Sunday")
    leaving = await issued(world, "mekong-workers", "laptop that was lost")
    assert (await world.desk("assign", case.id, "--to", str(leaving))).status == 0
    async with world.sessions() as session, session.begin():
        await admin.credentials.revoke(session, leaving)
    assert (await listed(world))[case.id]["assignee"] is None


async def test_assigning_to_a_credential_not_of_the_partner_is_one_sentence_and_changes_nothing(
    world,
):
    key = world.partner_key.public_key
    case = await store_report(world.sessions, key, "SENTINEL-REFUSED the agency keeps passports")
    async with world.sessions() as session, session.begin():
        await admin.partners.add_partner(
            session,
            world.signer,
            "pearl-river",
            "Pearl River",
            new_partner_key().public_key,
            ["CN"],
        )
    stranger = await issued(world, "pearl-river", "their laptop")
    revoked = await issued(world, "mekong-workers", "old laptop", revoked=True)
    me = await my_id(world)
    for choice in (str(stranger), str(revoked), "999999"):
        for as_json in ((), ("--json",)):
            ran = await world.desk("assign", case.id, "--to", choice, *as_json)
            assert ran.status == 1 and ran.out == ""
            sentence = (
                f"no caseworker credential #{choice} in your partner; "
                f"choose one of: #{me} test laptop"
            )
            if as_json:  # with --json the one sentence is one JSON object, as for every command
                assert json.loads(ran.err) == {"error": sentence, "status": 1}
            else:
                assert ran.err == f"grievance: error: {sentence}\n"
    ran = await world.desk("assign", case.id, "--to", "laptop")
    assert ran.status == 1
    assert (
        ran.err == "grievance: error: 'laptop' is not a caseworker credential id (a whole number)\n"
    )
    ran = await world.desk("assign", case.id)
    assert ran.status == 2 and "one of the arguments --to --me --nobody is required" in ran.err
    ran = await world.desk("assign", case.id, "--me", "--nobody")
    assert ran.status == 2 and "not allowed with argument" in ran.err
    assert (await listed(world))[case.id]["assignee"] is None
    assert "Traceback" not in ran.err


CASE = {
    "id": "7KQ2M9XD4H1A",
    "status": "new",
    "created_day": "2026-03-01",
    "updated_day": "2026-03-01",
    "worker_public_key": "AAAA",
}


@pytest.mark.parametrize(
    ("path", "answer"),
    [
        ("/api/v1/caseworkers", {"caseworkers": [{"id": "3", "label": "x", "role": "triage"}]}),
        ("/api/v1/caseworkers", {"caseworkers": [{"id": 0, "label": "x", "role": "triage"}]}),
        ("/api/v1/caseworkers", {"caseworkers": [{"id": 3, "label": 7, "role": "triage"}]}),
        ("/api/v1/caseworkers", {"caseworkers": [{"id": 3, "label": "x", "role": "\x1b[2J"}]}),
        ("/api/v1/cases/count", {"total": -1, "by_status": {}, "unseen_cases": 0}),
        ("/api/v1/cases/count", {"total": 1, "by_status": {"../x": 1}, "unseen_cases": 0}),
        ("/api/v1/cases/count", {"total": 1, "by_status": [], "unseen_cases": True}),
        ("/api/v1/cases/7KQ2M9XD4H1A/assignee", {**CASE, "assignee": True}),
        ("/api/v1/cases/7KQ2M9XD4H1A/assignee", {**CASE, "assignee": "3"}),
        ("/api/v1/cases/7KQ2M9XD4H1A/assignee", {**CASE, "assignee": -3}),
    ],
)
async def test_the_desk_checks_the_servers_answers_about_assignment_and_counts(path, answer):
    """A server (or something in between) that answers out of form gets one sentence, never a
    wrong label on the screen or a traceback."""

    async def handler(request: web.Request) -> web.Response:
        return web.json_response(answer)

    app = web.Application()
    app.router.add_route("*", path, handler)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        async with CaseClient(f"http://127.0.0.1:{server.port}", "gct_" + "a" * 43) as client:
            with pytest.raises(DeskError, match="not in the form the desk expects"):
                if path.endswith("caseworkers"):
                    await client.caseworkers()
                elif path.endswith("count"):
                    await client.count()
                else:
                    await client.set_assignee("7KQ2M9XD4H1A", 3)
    finally:
        await server.close()
