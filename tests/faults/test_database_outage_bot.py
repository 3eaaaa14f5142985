"""A database outage seen from the worker's phone: every path answers, in the worker's language.

The known silent path: the routing snapshot is 30 seconds old at most, so for a worker who took
minutes to fill in the report it is always reloaded at Send; a database error there used to be
raised outside the submitter's error handling, and the worker heard nothing at all.
"""

import pytest
from db_faults import DatabaseFaults
from deployment import count_cases, deployment, walk_to

from handlers.i18n import translator

th = translator("th").gettext
THAI_WORKER = {"user_id": 883000001, "first_name": "Malee", "language_code": "th"}
BUSY = "The service is busy just now. Nothing was lost. Please try again in a few minutes."
RECEIPT = "Your report has been sent. Your receipt number is:"
ASK_RECEIPT = "Please send your receipt number (16 digits)."
NOT_FOUND = "No report was found with this number. Please check it and send it again."


@pytest.fixture
async def running(database_url, tmp_path):
    async with deployment(database_url, str(tmp_path / "data")) as running:
        running.service.store.messages_per_window = 100
        yield running


@pytest.mark.parametrize("snapshot", ["stale", "gone"])
async def test_an_outage_at_send_gets_the_busy_answer_and_try_again_sends_it_once(
    running, snapshot
):
    worker = running.api.user(**THAI_WORKER)
    review = await walk_to(worker, "review", "th")
    directory = running.service.directory
    if snapshot == "stale":
        clock = directory._clock  # the worker took an hour: the snapshot is far past its 30 s
        directory._clock = lambda: clock() + 3600
    else:
        directory.forget()
    faults = DatabaseFaults.install(running.service.sessions)
    faults.down = True

    await worker.press(th("Send"), review)
    busy = await worker.wait_for_bot_message(lambda m: m.text == th(BUSY), timeout=3)
    await running.api.wait_idle()
    assert faults.failures >= 1
    assert busy.button_texts() == [th("Try again")]
    assert not any(th(RECEIPT) in (m.text or "") for m in worker.all_messages())
    assert review.message_id not in worker.deleted_ids()  # the draft and its chat are kept

    faults.heal()
    await worker.press(th("Try again"), busy)
    await worker.wait_for_bot_message(lambda m: th(RECEIPT) in (m.text or ""))
    await running.api.wait_idle()
    assert await count_cases(running.database_url) == 1


async def test_an_outage_during_status_gets_the_busy_answer_and_the_receipt_is_not_left(running):
    worker = running.api.user(**THAI_WORKER)
    await walk_to(worker, "safety", "th")  # Thai chosen
    await worker.send_command("/status")
    await worker.wait_for_bot_message(lambda m: m.text == th(ASK_RECEIPT))
    faults = DatabaseFaults.install(running.service.sessions)
    faults.down = True

    typed = await worker.send_text("1234 5678 9012 3456")
    await worker.wait_for_bot_message(lambda m: m.text == th(BUSY), timeout=3)
    await running.api.wait_idle()
    assert typed in worker.deleted_ids()  # a receipt is never left in the chat

    faults.heal()
    await worker.send_text("1234 5678 9012 3456")
    await worker.wait_for_bot_message(lambda m: m.text == th(NOT_FOUND))


async def test_an_outage_when_the_countries_are_loaded_gets_the_busy_answer(running):
    worker = running.api.user(**THAI_WORKER)
    consent = await walk_to(worker, "consent", "th")
    running.service.directory.forget()
    faults = DatabaseFaults.install(running.service.sessions)
    faults.down = True

    await worker.press(th("Yes, continue"), consent)
    await worker.wait_for_bot_message(lambda m: m.text == th(BUSY), timeout=3)
    faults.heal()
    await worker.press(th("Yes, continue"), consent)  # the same button still works
    await worker.wait_for_bot_message(lambda m: th("Which workplace is it?") in (m.text or ""))
