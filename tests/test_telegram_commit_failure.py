"""A receipt only after the commit: database faults and revoked keys at the moment of Send."""

import pytest
from deployment import (
    WALK_TEXT,
    count_cases,
    decrypt_cases,
    deployment,
    phone_photo,
    revoke_partner_key,
    walk_on,
    walk_to,
)
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

WORKER = {"user_id": 882000001, "first_name": "Aung", "language_code": "en"}
NOT_SAVED = "The service is busy just now. Nothing was lost. Please try again in a few minutes."
NO_ORGANISATION = (
    "Sorry, no organisation can receive this through this service yet. Nothing was sent or kept."
)
RECEIPT = "Your receipt number is"
TOO_MANY = "You have sent many reports today. Please try again tomorrow."


@pytest.fixture
async def running(database_url, tmp_path):
    async with deployment(database_url, str(tmp_path / "data")) as running:
        yield running


def fail_commits(running, times: int) -> dict[str, int]:
    """The next `times` database commits fail as a full disk or a lost server would."""
    engine = running.service.sessions.kw["bind"]
    state = {"left": times, "failed": 0}

    def on_commit(_connection) -> None:
        if state["left"] > 0:
            state["left"] -= 1
            state["failed"] += 1
            raise OperationalError("COMMIT", {}, Exception("disk I/O error"))

    event.listen(engine.sync_engine, "commit", on_commit)
    return state


def texts_after(worker, message_id: int) -> list[str]:
    return [m.text or "" for m in worker.all_messages() if m.from_bot and m.message_id > message_id]


async def assert_nothing_stored(running) -> None:
    assert await count_cases(running.database_url) == 0
    assert await decrypt_cases(running.database_url, running.partner_key) == []


async def test_a_failed_commit_shows_no_receipt_and_try_again_saves_what_was_typed(running):
    worker = running.api.user(**WORKER)
    await walk_to(worker, "evidence")
    await worker.send_photo(phone_photo())
    received = await worker.wait_for_bot_message(lambda m: "1 file" in m.text)
    review = await walk_on(worker, "evidence", received, "review")
    failures = fail_commits(running, 1)

    await worker.press("Send", review)
    sorry = await worker.wait_for_bot_message(lambda m: m.text == NOT_SAVED)
    await running.api.wait_idle()
    assert failures["failed"] == 1
    assert sorry.button_texts() == ["Try again"]
    assert not [t for t in texts_after(worker, review.message_id) if "receipt" in t.lower()]
    await assert_nothing_stored(running)

    await worker.press("Try again", sorry)
    receipt = await worker.wait_for_bot_message(lambda m: RECEIPT in m.text)
    await running.api.wait_idle()
    assert [m.message_id for m in worker.visible_messages()] == [receipt.message_id]
    (case,) = await decrypt_cases(running.database_url, running.partner_key)
    answers = case["report"]["answers"]
    assert answers["what_happened"] == {"text": WALK_TEXT}
    assert answers["site"] == "lamphun-2"
    assert answers["categories"] == ["wages"]
    assert answers["danger"] == "no"
    assert answers["since_when"] == "this_month"
    assert answers["workers_affected"] == 12
    assert [header.kind for header, _data in case["files"]] == ["photo"]


@pytest.mark.parametrize("directory", ["cached", "reloaded"])
async def test_no_receipt_when_the_partner_key_was_revoked_before_send(running, directory):
    worker = running.api.user(**WORKER)
    review = await walk_to(worker, "review")
    await revoke_partner_key(running)
    if directory == "reloaded":
        running.service.directory.forget()

    await worker.press("Send", review)
    await worker.wait_for_bot_message(lambda m: m.text == NO_ORGANISATION)
    await running.api.wait_idle()
    assert texts_after(worker, review.message_id) == [NO_ORGANISATION]
    await assert_nothing_stored(running)


async def test_no_receipt_when_the_key_was_revoked_between_a_failed_commit_and_try_again(
    running,
):
    worker = running.api.user(**WORKER)
    review = await walk_to(worker, "review")
    fail_commits(running, 1)
    await worker.press("Send", review)
    sorry = await worker.wait_for_bot_message(lambda m: m.text == NOT_SAVED)
    await revoke_partner_key(running)

    await worker.press("Try again", sorry)
    await worker.wait_for_bot_message(lambda m: m.text == NO_ORGANISATION)
    await running.api.wait_idle()
    assert texts_after(worker, review.message_id) == [NOT_SAVED, NO_ORGANISATION]
    await assert_nothing_stored(running)


async def test_failed_commits_do_not_use_up_the_daily_report_allowance(running):
    worker = running.api.user(**WORKER)
    review = await walk_to(worker, "review")
    fail_commits(running, 5)
    await worker.press("Send", review)
    sorry = await worker.wait_for_bot_message(lambda m: m.text == NOT_SAVED)
    for _attempt in range(4):
        await worker.press("Try again", sorry)
        sorry = await worker.wait_for_bot_message(lambda m: m.text == NOT_SAVED)
    await running.api.wait_idle()
    await assert_nothing_stored(running)

    await worker.press("Try again", sorry)
    answer = await worker.wait_for_bot_message(lambda m: RECEIPT in m.text or m.text == TOO_MANY)
    assert RECEIPT in answer.text
    assert await count_cases(running.database_url) == 1
