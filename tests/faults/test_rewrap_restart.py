"""The case API killed (SIGKILL) amid `desk rewrap`, restarted, and the re-run completes.

The server runs as its own process, forked by the zygote (tests/faults/zygote.py): the HTTP
server of `grievance serve` (bot.http.server.make_app with the case API) on a fixed port. The desk
runs `grievance desk rewrap` as a caseworker would. Each round rotates the partner's key again
and kills the server at another moment: while the desk lists the queue, after the first re-wrap,
halfway, before the last one, and at a random point. Between the kill and the restart no entry
may have lost its last usable wrap; after the re-run every entry opens with the new active key,
no old wrap is left, the worker's own wraps of replies are untouched, and no body changed.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from deployment import free_port
from desk_world import (
    PASSPHRASE,
    SLUG,
    Ran,
    Sealed,
    open_stored,
    run_cli,
    sealed_entry,
    store_report,
    write_key_file,
)
from kill_harness import zygote
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from bot import admin
from bot.database import open_database
from crypto.keys import PrivateKey, key_id, new_partner_key, new_signing_key, verify_key_text
from crypto.payloads import AttachmentHeader, encode_message
from storage import cases, partners
from storage.migrate import upgrade_to_head
from storage.models import CaseEntry, Wrap
from vocabulary import Purpose

SEED = int(os.environ.get("GRIEVANCE_REWRAP_SEED") or 7004)
CASES = 24
PHOTO = b"\xff\xd8\xff\xe0SENTINEL-REWRAP-PHOTO" + bytes(range(256)) * 4
MOMENTS = ("while listing", "after the first", "halfway", "before the last", "at random")
KILL_TIMEOUT_SECONDS = 30.0
Sessions = async_sessionmaker[AsyncSession]


def kid(key: PrivateKey) -> str:
    return key_id(bytes(key.public_key))


@dataclass
class Queue:
    """The partner's cases as stored before any re-wrap: what must survive every round."""

    sealed: list[Sealed]
    bodies: dict[str, bytes]
    """Entry id -> body; a re-wrap never touches a body."""
    worker_wraps: dict[str, PrivateKey]
    """Reply entry id -> the worker's case key, whose wrap the desk must leave alone."""


async def fill_queue(sessions: Sessions, key: PrivateKey) -> Queue:
    """Reports (a third with a photo), replies to a quarter of them, notes on a sixth."""
    header = AttachmentHeader("photo", "image/jpeg", ".jpg", "evidence")
    sealed = []
    worker_wraps = {}
    for number in range(CASES):
        files = [(header, PHOTO)] if number % 3 == 0 else []
        case = await store_report(
            sessions, key.public_key, f"SENTINEL-REWRAP case {number}", files=files
        )
        sealed.append(case)
        later = []
        if number % 4 == 1:
            recipients = [key.public_key, case.worker_key.public_key]
            reply = sealed_entry(case.id, Purpose.REPLY, encode_message("a reply"), recipients)
            worker_wraps[reply.id] = case.worker_key
            later.append(reply)
        if number % 6 == 2:
            note = encode_message("a note")
            later.append(sealed_entry(case.id, Purpose.NOTE, note, [key.public_key]))
        async with sessions() as session, session.begin():
            partner = await partners.get_partner(session, SLUG)
            stored = await cases.get_case(session, partner.id, case.id)
            for entry in later:
                await cases.add_entry(session, stored, entry)
                case.entry_ids.append(entry.id)
    bodies = {entry.id: entry.body for entry in await all_entries(sessions)}
    return Queue(sealed, bodies, worker_wraps)


async def all_entries(sessions: Sessions) -> list[CaseEntry]:
    async with sessions() as session:
        query = select(CaseEntry).options(selectinload(CaseEntry.wraps))
        return list(await session.scalars(query))


async def wrapped_for(sessions: Sessions, key: PrivateKey) -> int:
    """Entries with a wrap for `key`: how far the re-wrap has come."""
    async with sessions() as session:
        found = await session.scalars(select(Wrap.entry_id).where(Wrap.key_id == kid(key)))
        return len(list(found))


async def kill_when(
    sessions: Sessions, new: PrivateKey, moved: int | None, delay: float, desk: asyncio.Task[Ran]
) -> None:
    """Wait until `moved` entries carry the new key's wrap (or `delay` seconds if None)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + KILL_TIMEOUT_SECONDS
    if moved is None:
        await asyncio.sleep(delay)
        return
    while await wrapped_for(sessions, new) < moved and not desk.done():
        if loop.time() > deadline:
            raise AssertionError(f"the re-wrap did not reach {moved} entries")
        await asyncio.sleep(0.002)
    await asyncio.sleep(delay / 30)  # a few milliseconds on: often amid the next requests


def assert_one_clean_line(ran: Ran) -> None:
    """A server gone mid-run is said in one sentence, never a traceback (with --json: one JSON
    object on stderr)."""
    assert "Traceback" not in ran.err, ran.err
    assert len(ran.err.strip().splitlines()) == 1, ran.err
    said = json.loads(ran.err)
    assert said["status"] == ran.status and said["error"], ran.err


@pytest.fixture
def caseworker_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("GRIEVANCE_SERVER", "GRIEVANCE_TOKEN", "GRIEVANCE_KEY_FILE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("GRIEVANCE_PASSPHRASE", PASSPHRASE)


async def test_a_rewrap_cut_by_a_server_kill_completes_on_a_rerun_and_loses_nothing(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caseworker_env: None,
    report_figures: Callable[[str], None],
) -> None:
    began = time.monotonic()
    rng = random.Random(SEED)
    database = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    await upgrade_to_head(database_url)
    signer = admin.signing.Signer(new_signing_key())
    monkeypatch.setenv("GRIEVANCE_ADMIN_VERIFY_KEY", verify_key_text(signer.signing_key.verify_key))
    key = new_partner_key()
    listen = f"127.0.0.1:{free_port()}"
    figures: list[str] = []
    async with open_database(database_url) as sessions, zygote(tmp_path / "zygote.log") as z:
        async with sessions() as session, session.begin():
            await admin.partners.add_partner(
                session, signer, SLUG, "Mekong Workers", key.public_key, ["TH"]
            )
            token = (await admin.credentials.issue(session, SLUG, "rewrap laptop")).credential.token
        queue = await fill_queue(sessions, key)
        total = len(queue.bodies)
        connect = ["--server", f"http://{listen}", "--token", token]
        server = await z.start_api(database_url, listen, tmp_path / "api.log")
        try:
            for moment in MOMENTS:
                old, key = key, await rotate(sessions, signer)
                held = write_key_file(tmp_path / f"{kid(old)}.key", old)
                rewrap = ["desk", "rewrap", "--json", *connect, "--key", str(held)]
                moved = {
                    "while listing": None,
                    "after the first": 1,
                    "halfway": total // 2,
                    "before the last": total - 1,
                    "at random": rng.randint(1, total - 1),
                }[moment]
                desk = asyncio.create_task(run_cli(rewrap))
                await kill_when(sessions, key, moved, rng.uniform(0.0, 0.1), desk)
                await z.kill(server)
                cut = await desk
                if cut.status != 0:
                    assert_one_clean_line(cut)
                at_kill = await wrapped_for(sessions, key)
                await nothing_lost(sessions, queue, old, key)

                server = await z.start_api(database_url, listen, tmp_path / "api.log")
                rerun = await run_cli(rewrap)
                assert rerun.status == 0, rerun.err
                done = json.loads(rerun.out)
                # Nothing moved twice, nothing skipped, nothing left behind.
                assert (done["rewrapped"], done["damaged"], done["missing_keys"]) == (
                    total - at_kill,
                    0,
                    {},
                )
                await all_moved(sessions, queue, old, key)
                figures.append(
                    f"{moment}: killed at {at_kill}/{total} (first run exit {cut.status})"
                )
        finally:
            await z.kill(server)
            report_figures(
                f"[{database}] seed {SEED}: {len(figures)} kills mid-rewrap of {CASES} cases; "
                + "; ".join(figures)
                + f"; wall time {time.monotonic() - began:.0f} s"
            )


async def rotate(sessions: Sessions, signer: admin.signing.Signer) -> PrivateKey:
    """`admin partner rotate`: a new active key, the current one retired."""
    new = new_partner_key()
    async with sessions() as session, session.begin():
        await admin.partners.rotate_key(session, signer, SLUG, new.public_key)
    return new


async def nothing_lost(sessions: Sessions, queue: Queue, old: PrivateKey, new: PrivateKey) -> None:
    """Mid-way: every entry still opens, with the new key where moved, else with the old."""
    entries = await all_entries(sessions)
    assert {e.id: e.body for e in entries} == queue.bodies
    for entry in entries:
        wrapped = {w.key_id for w in entry.wraps}
        usable = new if kid(new) in wrapped else old
        assert kid(usable) in wrapped, f"entry {entry.id} lost its last usable wrap"
        open_stored(entry.case_id, entry, usable)


async def all_moved(sessions: Sessions, queue: Queue, old: PrivateKey, new: PrivateKey) -> None:
    """After the re-run: the new key opens everything; the old key's wraps are gone."""
    entries = await all_entries(sessions)
    assert {e.id: e.body for e in entries} == queue.bodies
    for entry in entries:
        wrapped = {w.key_id for w in entry.wraps}
        open_stored(entry.case_id, entry, new)
        assert kid(old) not in wrapped, f"entry {entry.id} kept its old wrap"
        worker = queue.worker_wraps.get(entry.id)
        expected = {kid(new)} | ({kid(worker)} if worker else set())
        assert wrapped == expected, f"entry {entry.id} has wraps {wrapped}"
        if worker is not None:
            open_stored(entry.case_id, entry, worker)
