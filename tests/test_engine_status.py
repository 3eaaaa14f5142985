"""/status: a worker reads their case with the receipt, and can add to it."""

import pytest

from handlers.io import Command, Effect
from handlers.media import AttachmentKind
from handlers.sessions import SessionStore
from tests.engine_harness import Worker, jpeg_bytes


async def test_the_receipt_opens_the_status_and_the_replies_and_is_deleted_from_the_chat():
    worker = Worker()
    await worker.command(Command.START)
    await worker.press("English")
    ask = await worker.command(Command.STATUS)
    assert "receipt number" in ask.messages[0].text
    reply = await worker.text("1234 5678 9012 3456")
    texts = [m.text for m in reply.messages]
    assert "Status of your report: Being looked into" in texts[0]
    assert "We called the agency." in texts[1]
    assert Effect.DELETE_INPUT in reply.effects
    done = await worker.press("I have finished reading")
    assert Effect.DELETE_CONVERSATION in done.effects
    assert worker.conv.case_view is None


@pytest.mark.parametrize(
    ("typed", "answer"),
    [("1234", "has 16 digits"), ("hello", "has 16 digits"), ("9999 9999 9999 9999", "No report")],
)
async def test_a_wrong_receipt_gets_a_calm_answer_and_is_deleted(typed, answer):
    worker = Worker()
    await worker.command(Command.STATUS)
    reply = await worker.text(typed)
    assert answer in reply.messages[0].text
    assert reply.effects == [Effect.DELETE_INPUT]
    assert worker.conv.case_view is None


async def test_receipts_in_the_workers_own_digits_work():
    worker = Worker()
    await worker.command(Command.STATUS)
    reply = await worker.text("๑๒๓๔ ๕๖๗๘ ๙๐๑๒ ๓๔๕๖")
    assert "Status of your report" in reply.messages[0].text


async def test_guessing_is_throttled_per_chat_and_the_throttle_answers_without_checking():
    store = SessionStore()
    worker = Worker(limits=store)
    worker.conv.key = store.key(42)
    await worker.command(Command.STATUS)
    for _ in range(5):
        await worker.text("9999 9999 9999 9999")
    reply = await worker.text("1234 5678 9012 3456")
    assert "Too many tries" in reply.messages[0].text
    assert worker.tracker.lookups == 5


async def test_a_follow_up_goes_to_the_case():
    worker = Worker()
    await worker.command(Command.STATUS)
    await worker.text("1234567890123456")
    await worker.press("Add information")
    reply = await worker.text("They now also take our phones at the gate.")
    assert "will see it" in reply.messages[0].text
    await worker.press("Add information")
    await worker.media(AttachmentKind.PHOTO, jpeg_bytes())
    texts = [t for t, _a in worker.tracker.follow_ups]
    assert texts == ["They now also take our phones at the gate.", None]
    assert worker.tracker.follow_ups[1][1].kind == AttachmentKind.PHOTO


async def test_an_empty_follow_up_is_asked_again():
    worker = Worker()
    await worker.command(Command.STATUS)
    await worker.text("1234567890123456")
    await worker.press("Add information")
    reply = await worker.text("  ")
    assert "Please write a few words" in reply.messages[0].text
    assert worker.tracker.follow_ups == []


async def test_checking_a_case_keeps_a_draft_in_progress():
    worker = Worker()
    await worker.walk_to("danger")
    await worker.command(Command.STATUS)
    await worker.text("1234567890123456")
    reply = await worker.press("I have finished reading")
    assert worker.at("danger")
    assert "in danger" in reply.messages[-1].text
    assert worker.conv.draft.answers["categories"] == ["wages"]
