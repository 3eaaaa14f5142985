"""A Send pressed again, re-delivered, or pressed after a restart never makes a second case."""

import asyncio

import pytest

from handlers.conversation import Conversation, WorkingDraft
from handlers.io import Press
from handlers.ports import Draft
from tests.engine_harness import RecordingSubmitter, Worker

MAY_NOT_HAVE_BEEN_SENT = "Your report may not have been sent."


async def walk_to_review(worker: Worker) -> None:
    await worker.walk_to("danger")
    await worker.press("No")
    await worker.text("Wages withheld since March")
    for _ in range(4):
        await worker.press(
            "Skip" if worker.at("since_when") or worker.at("workers_affected") else "Done"
        )
    assert worker.at("review")


@pytest.mark.parametrize("code", ["send", "retry"])
async def test_a_send_press_whose_draft_was_lost_in_a_restart_says_what_to_do(code):
    worker = Worker()  # a fresh process: the button's token means nothing here
    reply = await worker.send(Press(f"Ab3_x9Qz:{code}"))
    (message,) = reply.messages
    assert MAY_NOT_HAVE_BEEN_SENT in message.text
    assert "/status" in message.text and "/report" in message.text
    assert worker.submitter.drafts == []


async def test_a_stale_send_press_in_a_draft_in_progress_shows_where_the_worker_is():
    worker = Worker()
    await worker.walk_to("danger")
    reply = await worker.send(Press("Ab3_x9Qz:send"))
    assert "expired" in reply.messages[0].text
    assert worker.at("danger")


async def test_the_same_send_press_delivered_again_makes_no_second_case():
    worker = Worker()
    await walk_to_review(worker)
    send = worker.button("Send")
    first = await worker.send(Press(send.data))
    assert first.messages[0].keep  # the receipt
    again = await worker.send(Press(send.data))
    assert "already been sent" in again.messages[0].text
    assert len(worker.submitter.drafts) == 1


class SlowSubmitter(RecordingSubmitter):
    """Holds each commit until told to go on, as a busy database does."""

    def __init__(self) -> None:
        super().__init__()
        self.go_on = asyncio.Event()

    async def submit(self, draft: Draft) -> str:
        await self.go_on.wait()
        return await super().submit(draft)


async def test_a_second_press_while_the_first_is_committed_makes_no_second_case():
    submitter = SlowSubmitter()
    worker = Worker(submitter=submitter)
    await walk_to_review(worker)
    send = Press(worker.button("Send").data)
    first = asyncio.create_task(worker.engine.handle(worker.conv, send))
    await asyncio.sleep(0)
    second = await worker.engine.handle(worker.conv, send)
    assert "being sent" in second.messages[0].text
    submitter.go_on.set()
    assert (await first).messages[0].keep
    assert len(submitter.drafts) == 1


async def test_a_draft_keeps_its_case_id_and_receipt_through_failed_sends():
    submitter = RecordingSubmitter(failures=2)
    worker = Worker(submitter=submitter)
    await walk_to_review(worker)
    drawn = worker.conv.draft.submission
    assert drawn is not None
    review = worker.last
    await worker.press("Send")
    await worker.press("Try again")
    await worker.press("Back", review)  # the worker looks again, then sends
    await worker.press("Done")
    await worker.press("Send")
    (draft,) = submitter.drafts
    assert (draft.case_id, draft.receipt) == drawn


async def test_a_new_draft_gets_a_new_case_id_and_receipt():
    worker = Worker()
    await walk_to_review(worker)
    first = worker.conv.draft.submission
    await worker.press("Send")
    await walk_to_review(worker)
    assert worker.conv.draft.submission is not None and worker.conv.draft.submission != first


def test_a_conversation_snapshot_restores_every_answer_and_the_buttons_token():
    conv = Conversation(key="k", language="th", draft=WorkingDraft(position=5))
    conv.draft.answers["categories"] = ["wages"]
    conv.screen.selection.append("wages")
    saved = conv.snapshot()
    conv.draft.answers["categories"].append("hours")
    conv.screen.selection.clear()
    conv.draft.position, conv.screen.token = 6, "changed!"
    conv.restore(saved)
    assert conv.draft.answers == {"categories": ["wages"]} and conv.screen.selection == ["wages"]
    assert conv.draft.position == 5 and conv.screen.token != "changed!"
