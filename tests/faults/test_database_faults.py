"""The database failing at every call a submission, a receipt check or a follow-up makes.

The real engine, routing, submitter and tracker run on SQLite and PostgreSQL; the database is made
to fail at the 1st, 2nd, ... Nth statement or COMMIT of the path, one run each. Whatever call
fails, the worker gets the calm answer in their language and keeps their draft, no receipt is
shown without its case, no case is stored by halves, and trying again afterwards stores exactly
one case (or finds the one already stored).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from db_faults import DatabaseFaults
from deployment import decrypt_cases, free_port, register_partner
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.database import open_database
from bot.intake.directory import StoredDirectory
from bot.intake.receipts import receipt_salt
from bot.intake.scrub import MediaScrubber
from bot.intake.submission import StoredSubmitter
from bot.intake.tracking import StoredTracker
from crypto.keys import PrivateKey, new_partner_key, new_signing_key
from crypto.receipts import parse_receipt
from handlers.conversation import Mode
from handlers.engine import Engine
from handlers.i18n import translator
from handlers.io import Command, Effect, Press, Reply
from handlers.media import AttachmentKind
from handlers.questionnaire import load_default
from storage.db import create_engine, session_factory
from storage.models import Case
from tests.engine_harness import Worker, jpeg_bytes

th = translator("th").gettext
BUSY = "The service is busy just now. Nothing was lost. Please try again in a few minutes."
THANKS = "Thank you. The organisation will see it."
STATUS = th("Status of your report: {status}").split("{")[0]


@dataclass
class World:
    """The intake as `serve` wires it, on a database that fails on demand."""

    url: str
    sessions: async_sessionmaker[AsyncSession]
    engine: Engine
    tracker: StoredTracker
    faults: DatabaseFaults
    partner_key: PrivateKey


@pytest.fixture
async def world(database_url):
    signing_key, partner_key = new_signing_key(), new_partner_key()
    await register_partner(database_url, signing_key, partner_key)
    async with open_database(database_url) as sessions:
        salt = await receipt_salt(sessions)
        # Read afresh at every question, and never from an old snapshot: every call counts.
        directory = StoredDirectory(sessions, ttl=0, stale=0)
        submitter = StoredSubmitter(sessions, directory, signing_key.verify_key, salt)
        tracker = StoredTracker(sessions, salt, signing_key.verify_key)
        engine = Engine(load_default(), directory, submitter, tracker, scrubber=MediaScrubber())
        faults = DatabaseFaults.install(sessions)
        yield World(database_url, sessions, engine, tracker, faults, partner_key)


async def stored(world: World) -> int:
    """Cases in the database now (asked while no fault is armed)."""
    async with world.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Case)) or 0)


async def walk_to_site(worker: Worker) -> None:
    """From /start to the workplace question (one country is covered: it is not asked)."""
    await worker.command(Command.START)
    for label in ["English", "I have read this", "Yes, continue"]:
        await worker.press(label)
    assert worker.at("site")


async def thai_worker_at_review(world: World) -> Worker:
    """A worker who answered everything (a photo too), then switched the bot to Thai."""
    worker = Worker(engine=world.engine)
    await walk_to_site(worker)
    for label in ["Lamphun Plant 2", "Wages", "Done", "No"]:
        await worker.press(label)
    await worker.text("Wages withheld since March")
    await worker.press("Skip")
    await worker.press("Skip")
    await worker.media(AttachmentKind.PHOTO, jpeg_bytes())
    await worker.press("Done")
    await worker.press("Done")
    assert worker.at("review")
    worker.conv.language = "th"
    return worker


def same_draft_anew(template: Worker) -> Worker:
    """Another worker with the same answers as `template`'s, and a case id of their own."""
    worker = Worker(engine=template.engine)
    worker.conv = template.conv.snapshot()
    worker.conv.draft.submission = None
    worker.replies = list(template.replies)
    return worker


def receipt_in(reply: Reply) -> str | None:
    kept = [m for m in reply.messages if m.keep]
    return parse_receipt(kept[0].text.split("\n\n")[1]) if kept else None


def assert_busy_in_thai(reply: Reply) -> None:
    (message,) = reply.messages
    assert message.text == th(BUSY)
    assert not message.keep


async def assert_every_case_whole(world: World, cases: int) -> None:
    """`cases` cases, each with its report and photo, each opening with the partner's key."""
    opened = await decrypt_cases(world.url, world.partner_key)
    assert len(opened) == cases
    for case in opened:
        assert case["report"]["answers"]["what_happened"] == {"text": "Wages withheld since March"}
        assert [header.kind for header, _data in case["files"]] == ["photo"]


async def test_a_failure_at_any_call_of_send_is_answered_and_try_again_stores_one_case(world):
    worker = await thai_worker_at_review(world)
    world.faults.start_counting()
    assert receipt_in(await worker.press("Send")) is not None
    calls = world.faults.calls
    assert calls >= 8  # routing, the partner's key, the receipt's case, the inserts, COMMIT

    template = await thai_worker_at_review(world)
    for number in range(1, calls + 1):
        before = await stored(world)
        worker = same_draft_anew(template)
        send = worker.button("Send")
        world.faults.fail_call(number)
        reply = await worker.send(Press(send.data))
        world.faults.heal()
        assert world.faults.failures == number, f"call {number} did not fail"
        assert receipt_in(reply) is None, f"a receipt despite a failure at call {number}"
        assert_busy_in_thai(reply)
        assert Effect.DELETE_CONVERSATION not in reply.effects
        assert worker.at("review") and worker.conv.draft.attachments  # the draft is all there
        assert await stored(world) == before  # nothing, not even half

        again = await worker.press(th("Try again"))
        receipt = receipt_in(again)
        assert receipt is not None
        assert await stored(world) == before + 1
        assert await world.tracker.lookup(receipt) is not None
    await assert_every_case_whole(world, calls + 1)


async def test_a_commit_whose_answer_was_lost_is_found_again_with_the_same_receipt(world):
    worker = await thai_worker_at_review(world)
    world.faults.lose_commit_answer = True
    reply = await worker.press("Send")
    assert_busy_in_thai(reply)
    assert await stored(world) == 1  # it was committed all the same

    again = await worker.press(th("Try again"))
    receipt = receipt_in(again)
    assert receipt is not None
    assert await stored(world) == 1  # no second case ...
    (case,) = await decrypt_cases(world.url, world.partner_key)
    view = await world.tracker.lookup(receipt)
    assert view is not None and view.case_id == case["case"].id  # ... and its own receipt
    await assert_every_case_whole(world, 1)


async def worker_with_a_case(world: World) -> tuple[Worker, str]:
    worker = await thai_worker_at_review(world)
    receipt = receipt_in(await worker.press("Send"))
    assert receipt is not None
    return worker, receipt


async def test_a_failure_at_any_call_of_a_receipt_check_is_answered_and_checking_again_works(
    world,
):
    worker, receipt = await worker_with_a_case(world)
    await worker.command(Command.STATUS)
    world.faults.start_counting()
    assert (await worker.text(receipt)).messages[0].text.startswith(STATUS)
    calls = world.faults.calls
    assert calls >= 2

    for number in range(1, calls + 1):
        await worker.command(Command.STATUS)
        world.faults.fail_call(number)
        reply = await worker.text(receipt)
        world.faults.heal()
        assert_busy_in_thai(reply)
        assert reply.effects == [Effect.DELETE_INPUT]  # the typed receipt leaves the chat
        assert worker.conv.mode == Mode.RECEIPT  # still asked for the receipt
        answer = await worker.text(receipt)
        assert answer.messages[0].text.startswith(STATUS)


async def test_a_failure_at_any_call_of_a_follow_up_is_answered_and_sending_again_adds_one(world):
    worker, receipt = await worker_with_a_case(world)
    await worker.command(Command.STATUS)
    await worker.text(receipt)
    await worker.press(th("Add information"))
    world.faults.start_counting()
    assert (await worker.text("The deductions go on.")).messages[0].text == th(THANKS)
    calls = world.faults.calls
    assert calls >= 5

    for number in range(1, calls + 1):
        await worker.press(th("Add information"))
        world.faults.fail_call(number)
        reply = await worker.text(f"Follow-up number {number}.")
        world.faults.heal()
        assert_busy_in_thai(reply)
        assert worker.conv.mode == Mode.FOLLOW_UP  # what they write next still goes there
        assert (await worker.text(f"Follow-up number {number}.")).messages[0].text == th(THANKS)

    (case,) = await decrypt_cases(world.url, world.partner_key)
    follow_ups = [text for purpose, text in case["messages"] if purpose == "follow-up"]
    expected = [f"Follow-up number {n}." for n in range(1, calls + 1)]
    assert follow_ups == ["The deductions go on.", *expected]  # each once, none half


async def test_the_directorys_last_good_snapshot_carries_a_worker_through_a_short_outage(
    database_url,
):
    signing_key, partner_key = new_signing_key(), new_partner_key()
    await register_partner(database_url, signing_key, partner_key)
    async with open_database(database_url) as sessions:
        directory = StoredDirectory(sessions, ttl=0)  # reloaded each time, stale allowed
        salt = await receipt_salt(sessions)
        submitter = StoredSubmitter(sessions, directory, signing_key.verify_key, salt)
        worker = Worker(
            engine=Engine(load_default(), directory, submitter, scrubber=MediaScrubber())
        )
        await walk_to_site(worker)
        faults = DatabaseFaults.install(sessions)
        faults.down = True
        await worker.press("Lamphun Plant 2")  # routed from the snapshot taken before
        assert worker.at("categories")
        await worker.press("Back")
        assert worker.at("site")
        assert faults.failures >= 2


async def unreachable(database_url: str, tmp_path: Path) -> str:
    """A URL of the same kind whose database cannot be reached at all."""
    if database_url.startswith("sqlite"):
        gone = tmp_path / "gone"
        gone.mkdir()
        url = f"sqlite:///{gone / 'grievance.sqlite3'}"
        engine = create_engine(url)
        await engine.dispose()
        shutil.rmtree(gone)  # the folder (a lost mount) is gone
        return url
    return f"postgresql://postgres@127.0.0.1:{free_port()}/nothing_listens"


async def test_a_database_that_cannot_be_reached_at_all_is_answered_on_every_path(
    database_url, tmp_path
):
    signing_key = new_signing_key()
    engine = create_engine(await unreachable(database_url, tmp_path))
    try:
        sessions = session_factory(engine)
        directory = StoredDirectory(sessions)
        submitter = StoredSubmitter(sessions, directory, signing_key.verify_key, b"\0" * 16)
        tracker = StoredTracker(sessions, b"\0" * 16, signing_key.verify_key)
        worker = Worker(
            engine=Engine(load_default(), directory, submitter, tracker, scrubber=MediaScrubber())
        )
        await worker.command(Command.START)
        await worker.press("ไทย")
        await worker.press(th("I have read this"))
        reply = await worker.press(th("Yes, continue"))
        assert_busy_in_thai(reply)
        assert worker.at("consent")
        await worker.command(Command.STATUS)
        reply = await worker.text("1234 5678 9012 3456")
        assert reply.messages[0].text == th(BUSY)
    finally:
        await engine.dispose()
