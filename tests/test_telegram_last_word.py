"""The last word of a conversation stays on the worker's screen; the conversation itself goes."""

import pytest
from deployment import deployment, revoke_partner_key, walk_on, walk_to

from handlers.i18n import translator

th = translator("th").gettext
THAI_WORKER = {"user_id": 884000001, "first_name": "Malee", "language_code": "th"}
STOPPED = "Stopped. Nothing was sent or kept. Send /start to begin again."
DECLINED = "All right. Nothing was sent or kept. You can start again at any time: /start"
NO_ORGANISATION = (
    "Sorry, no organisation can receive this through this service yet. Nothing was sent or kept."
)
RECEIPT = "Your report has been sent. Your receipt number is:"


@pytest.fixture
async def running(database_url, tmp_path):
    async with deployment(database_url, str(tmp_path / "data")) as running:
        running.service.store.messages_per_window = 100
        yield running


def visible_texts(worker) -> list[str]:
    return [m.text or "" for m in worker.visible_messages()]


async def test_cancel_leaves_only_its_last_word_in_the_chat(running):
    worker = running.api.user(**THAI_WORKER)
    await walk_to(worker, "what_happened", "th")
    await worker.send_command("/cancel")
    await worker.wait_for_bot_message(lambda m: m.text == th(STOPPED))
    await running.api.wait_idle()
    assert visible_texts(worker) == [th(STOPPED)]


async def test_no_stop_at_the_consent_leaves_only_its_last_word(running):
    worker = running.api.user(**THAI_WORKER)
    consent = await walk_to(worker, "consent", "th")
    await worker.press(th("No, stop"), consent)
    await worker.wait_for_bot_message(lambda m: m.text == th(DECLINED))
    await running.api.wait_idle()
    assert visible_texts(worker) == [th(DECLINED)]


async def test_no_organisation_at_send_leaves_only_its_last_word(running):
    worker = running.api.user(**THAI_WORKER)
    review = await walk_to(worker, "review", "th")
    await revoke_partner_key(running)
    running.service.directory.forget()
    await worker.press(th("Send"), review)
    await worker.wait_for_bot_message(lambda m: m.text == th(NO_ORGANISATION))
    await running.api.wait_idle()
    assert visible_texts(worker) == [th(NO_ORGANISATION)]


async def test_finished_reading_a_case_leaves_done_and_a_draft_in_progress_goes_on(running):
    worker = running.api.user(**THAI_WORKER)
    categories = await walk_to(worker, "categories", "th")
    await worker.send_command("/status")
    ask = await worker.wait_for_bot_message(lambda m: th("Stop") in m.button_texts())
    await worker.press(th("Stop"), ask)
    # The draft's question comes back, and it is not deleted with the rest.
    again = await worker.wait_for_bot_message(lambda m: m.text == categories.text)
    await running.api.wait_idle()
    assert [m.message_id for m in worker.visible_messages()] == [again.message_id]
    await walk_on(worker, "categories", again, "danger", "th")


async def test_wipe_removes_everything_then_says_done_until_the_next_message(running):
    worker = running.api.user(**THAI_WORKER)
    review = await walk_to(worker, "review", "th")
    await worker.press(th("Send"), review)
    await worker.wait_for_bot_message(lambda m: th(RECEIPT) in (m.text or ""))
    await worker.send_text("สวัสดี")
    await worker.wait_for_bot_message()
    await running.api.wait_idle()

    await worker.send_command("/wipe")
    done = await worker.wait_for_bot_message(lambda m: m.text == th("Done."))
    await running.api.wait_idle()
    assert [m.message_id for m in worker.visible_messages()] == [done.message_id]

    asked = await worker.send_command("/help")
    await worker.wait_for_bot_message()
    await running.api.wait_idle()
    assert done.message_id in worker.deleted_ids()
    assert asked in [m.message_id for m in worker.visible_messages()]
