"""The Bot API failing under the bot: 429 with retry_after, 5xx and timeouts at every step.

Whatever Telegram does, a worker's receipt reaches their screen (at once, or first thing on
their next message), there is never a second case, and nothing identifying is logged. The
database is not what these tests are about, so they run on SQLite only.
"""

import itertools

import pytest
from deployment import (
    TOKEN,
    WALK_STEPS,
    WALK_TEXT,
    count_cases,
    decrypt_cases,
    deployment,
    walk_on,
    walk_to,
)

from crypto.receipts import parse_receipt

RECEIPT = "Your report has been sent. Your receipt number is:"
RECEIPT_LATE = "Your report was saved. Here is your receipt number:"
WORKER = {
    "user_id": 885000001,
    "first_name": "SentinelFirst",
    "username": "sentinel_user",
    "language_code": "en",
}
SERVER_ERROR = (500, "Internal Server Error")
ATTEMPTS = 4
"""The quick test policy's attempts per call (tests/conftest.py)."""


@pytest.fixture
async def running(quick_retries, tmp_path):
    url = f"sqlite:///{tmp_path / 'grievance.sqlite3'}"
    async with deployment(url, str(tmp_path / "data")) as running:
        running.service.store.messages_per_window = 1000
        yield running


async def receipt_tried(running, times: int) -> None:
    """Wait until the bot has tried to send a receipt `times` times (and is idle again)."""

    def tries() -> int:
        return sum(RECEIPT in c.get("text", "") for c in running.api.calls_for("sendMessage"))

    await running.api.wait_until(lambda: tries() >= times)
    await running.api.wait_idle()


def receipt_digits(message) -> str:
    return parse_receipt(message.text.split("\n\n")[1])


def is_receipt(message) -> bool:
    return RECEIPT in (message.text or "") or RECEIPT_LATE in (message.text or "")


async def opens_a_case(running, digits: str) -> bool:
    return await running.service.engine.tracker.lookup(digits) is not None


def assert_nothing_identifying_logged(running, *secrets: str) -> None:
    log = running.log.getvalue()
    for secret in [str(WORKER["user_id"]), WORKER["first_name"], WORKER["username"], TOKEN,
                   WALK_TEXT, *secrets]:  # fmt: skip
        assert secret not in log, f"{secret!r} is logged"


async def test_a_receipt_whose_sends_fail_reaches_the_screen_before_the_chat_is_cleared(running):
    worker = running.api.user(**WORKER)
    review = await walk_to(worker, "review")
    running.api.fail("sendMessage", ATTEMPTS - 1, *SERVER_ERROR)

    await worker.press("Send", review)
    receipt = await worker.wait_for_bot_message(is_receipt)
    await running.api.wait_idle()
    assert [m.message_id for m in worker.visible_messages()] == [receipt.message_id]
    assert await count_cases(running.database_url) == 1
    assert await opens_a_case(running, receipt_digits(receipt))
    assert_nothing_identifying_logged(running, receipt_digits(receipt))


async def test_a_receipt_that_cannot_be_delivered_keeps_the_chat_and_comes_first_next_time(
    running,
):
    worker = running.api.user(**WORKER)
    review = await walk_to(worker, "review")
    running.api.fail("sendMessage", ATTEMPTS, 502, "Bad Gateway")  # every try of the receipt

    await worker.press("Send", review)
    await receipt_tried(running, ATTEMPTS)
    assert await count_cases(running.database_url) == 1
    assert not any(is_receipt(m) for m in worker.all_messages())
    assert worker.deleted_ids() == []  # the conversation stays, so the chat is not blank
    assert review.message_id in [m.message_id for m in worker.visible_messages()]

    hello = await worker.send_text("hello?")
    late = await worker.wait_for_bot_message()  # the very first thing the worker is told
    assert late.text.startswith(RECEIPT_LATE)
    assert late.button_texts() == ["I have saved it"]
    await running.api.wait_idle()
    assert await opens_a_case(running, receipt_digits(late))
    # Now that the receipt is on the screen, the conversation before it is cleaned up.
    visible = [m.message_id for m in worker.visible_messages()]
    assert review.message_id not in visible
    assert visible[:2] == [hello, late.message_id]
    assert_nothing_identifying_logged(running, receipt_digits(late))

    await worker.press("I have saved it", late)
    await worker.wait_until(lambda: late.message_id in worker.deleted_ids())


async def test_a_receipt_for_a_worker_who_blocked_the_bot_is_shown_once_they_are_back(running):
    worker = running.api.user(**WORKER)
    review = await walk_to(worker, "review")
    worker.block()
    await worker.press("Send", review)
    await receipt_tried(running, 1)
    assert await count_cases(running.database_url) == 1

    worker.unblock()
    await worker.send_command("/start")
    late = await worker.wait_for_bot_message()
    assert late.text.startswith(RECEIPT_LATE)
    assert await opens_a_case(running, receipt_digits(late))


async def test_an_undelivered_receipt_outlives_the_draft_but_not_two_days(running):
    worker = running.api.user(**WORKER)
    review = await walk_to(worker, "review")
    running.api.fail("sendMessage", ATTEMPTS, *SERVER_ERROR)
    await worker.press("Send", review)
    await receipt_tried(running, ATTEMPTS)
    store = running.service.store
    clock = store._clock

    store._clock = lambda: clock() + 3 * 3600  # the draft's idle expiry has long passed
    store.sweep()
    await worker.send_text("hello?")
    late = await worker.wait_for_bot_message()
    assert late.text.startswith(RECEIPT_LATE)
    await worker.wait_for_bot_message()  # and the answer to "hello?": the language picker

    review = await walk_to(worker, "review")  # a second report, whose receipt is lost too
    running.api.fail("sendMessage", ATTEMPTS, *SERVER_ERROR)
    await worker.press("Send", review)
    await receipt_tried(running, 2 * ATTEMPTS)
    assert await count_cases(running.database_url) == 2
    store._clock = lambda: clock() + 3 * 3600 + 49 * 3600  # two days on: swept, nothing kept
    store.sweep()
    assert len(store) == 0


async def test_a_timed_out_receipt_may_arrive_twice_and_saving_either_removes_both(
    short_read_timeout, running
):
    worker = running.api.user(**WORKER)
    review = await walk_to(worker, "review")
    # Delivered, but the answer comes too late: the bot sends it again.
    running.api.stall("sendMessage", 1, seconds=short_read_timeout + 0.1)

    await worker.press("Send", review)
    first = await worker.wait_for_bot_message(is_receipt)
    second = await worker.wait_for_bot_message(is_receipt)
    await running.api.wait_idle()
    assert running.api.stalled == 1
    assert receipt_digits(first) == receipt_digits(second)  # a copy, never another receipt
    assert await count_cases(running.database_url) == 1
    assert [m.message_id for m in worker.visible_messages()] == [
        first.message_id,
        second.message_id,
    ]

    await worker.press("I have saved it", first)
    await worker.wait_until(lambda: not worker.visible_messages())


async def test_a_receipt_flooded_past_the_rate_limiters_retries_still_arrives(running):
    worker = running.api.user(**WORKER)
    review = await walk_to(worker, "review")
    # The stand-in's limiter retries twice; the third 429 reaches the bot's own retries.
    running.api.flood("sendMessage", times=3, retry_after=0.05)

    await worker.press("Send", review)
    receipt = await worker.wait_for_bot_message(is_receipt)
    await running.api.wait_idle()
    assert [m.message_id for m in worker.visible_messages()] == [receipt.message_id]
    assert len([c for c in running.api.calls_for("sendMessage") if RECEIPT in c["text"]]) == 4
    assert await count_cases(running.database_url) == 1


async def test_a_send_press_delivered_twice_makes_one_case(running):
    worker = running.api.user(**WORKER)
    review = await walk_to(worker, "review")
    data = review.find_button("Send")["callback_data"]
    await worker.send_raw_callback(data, review)
    await worker.send_raw_callback(data, review)  # the same press again (a re-delivery)
    await worker.wait_for_bot_message(is_receipt)
    again = await worker.wait_for_bot_message()
    await running.api.wait_idle()
    assert "already been sent" in again.text
    assert await count_cases(running.database_url) == 1


FAULTS = {
    "server_errors": lambda api, method, late: api.fail(method, 1, *SERVER_ERROR),
    "floods": lambda api, method, late: api.flood(method, times=1, retry_after=0.05),
    "timeouts": lambda api, method, late: api.stall(method, 1, seconds=late),
    "lost_requests": lambda api, method, late: api.stall(method, 1, late, carry_out=False),
}
METHODS = ("sendMessage", "editMessageText", "editMessageReplyMarkup")
"""What the bot calls while a worker answers; deleteMessages comes at the end."""


@pytest.mark.parametrize("fault", FAULTS)
async def test_a_whole_report_with_a_fault_at_every_step_gives_one_case_and_its_receipt(
    short_read_timeout, running, fault
):
    worker = running.api.user(**WORKER)
    late = short_read_timeout + 0.1  # past the bot's patience

    def inject(api, method):
        FAULTS[fault](api, method, late)

    prompt = await walk_to(worker, "language")
    for step, following in itertools.pairwise(WALK_STEPS):
        running.api.clear_faults()  # one fault for each kind of call, at each step
        for method in METHODS:
            inject(running.api, method)
        prompt = await walk_on(worker, step, prompt, following)
    assert "Please check your answers" in prompt.text
    running.api.clear_faults()
    for method in (*METHODS, "deleteMessages"):
        inject(running.api, method)
    await worker.press("Send", prompt)
    receipt = await worker.wait_for_bot_message(is_receipt)
    await running.api.wait_idle()

    assert await count_cases(running.database_url) == 1
    (case,) = await decrypt_cases(running.database_url, running.partner_key)
    assert case["report"]["answers"]["what_happened"] == {"text": WALK_TEXT}
    assert await opens_a_case(running, receipt_digits(receipt))
    # Only the receipt is left (twice, at most, when its answer timed out); saving clears it.
    visible = worker.visible_messages()
    assert visible and all(is_receipt(m) for m in visible), worker.transcript()
    await worker.press("I have saved it", visible[-1])
    await worker.wait_until(lambda: not worker.visible_messages())
    assert_nothing_identifying_logged(running, receipt_digits(receipt))
