"""Bot API calls are retried within bounds: Telegram's retry_after honoured, refusals final."""

import datetime as dtm

from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.telegram.aiohttp_request import NotConnected, PoolTimedOut
from bot.telegram.delivery import RetryPolicy, attempt

POLICY = RetryPolicy(attempts=4, first_delay=0.5, max_delay=1.5, budget=10.0)


class Script:
    """A call failing with the given errors in turn, then succeeding; time passes only in sleep."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0
        self.now = 0.0
        self.slept: list[float] = []

    async def call(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "sent"

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    async def run(self, policy: RetryPolicy = POLICY):
        return await attempt(self.call, policy, sleep=self.sleep, clock=lambda: self.now)


async def test_network_errors_are_retried_with_growing_waits():
    script = Script(NetworkError("Bad Gateway"), TimedOut(), NetworkError("x"))
    result = await script.run()
    assert result.result == "sent" and result.ambiguous
    assert script.slept == [0.5, 1.0, 1.5]


async def test_retry_after_is_waited_as_telegram_says():
    script = Script(RetryAfter(dtm.timedelta(seconds=3)))
    result = await script.run()
    assert result.result == "sent" and not result.ambiguous
    assert script.slept == [3.0]


async def test_a_retry_after_longer_than_the_budget_left_is_not_waited():
    script = Script(RetryAfter(dtm.timedelta(seconds=30)))
    result = await script.run()
    assert result.result is None and script.slept == [] and script.calls == 1


async def test_attempts_are_bounded():
    script = Script(*[NetworkError("x")] * 10)
    result = await script.run()
    assert result.result is None and script.calls == POLICY.attempts


async def test_a_refusal_is_not_retried():
    for refusal in (BadRequest("message to edit not found"), Forbidden("bot was blocked")):
        script = Script(refusal)
        result = await script.run()
        assert result.result is None and result.refused and script.calls == 1


async def test_a_request_that_never_left_makes_no_copy():
    script = Script(PoolTimedOut(), NotConnected("refused"))
    result = await script.run()
    assert result.result == "sent" and not result.ambiguous
