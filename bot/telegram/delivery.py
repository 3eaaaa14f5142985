"""Getting a Bot API call through: bounded retries with backoff, honouring Telegram's retry_after.

Two layers retry, and they agree instead of stacking: PTB's AIORateLimiter owns 429 answers (it
waits the retry_after Telegram names and holds back every other request of the bot meanwhile,
which is what Telegram asks for). A RetryAfter reaches this module only once the limiter has used
its own retries, or when there is no limiter; it is then waited once more, as Telegram says, but
only if that fits in what is left of this call's budget. So each 429 answer is waited for exactly
once, and no call waits longer than its budget plus the limiter's own bounded retries.

Network errors, timeouts and 5xx answers (all NetworkError) are retried here with exponential
backoff within the same budget. A refusal (BadRequest, Forbidden: a blocked bot, a message gone)
is final: sending the same request again cannot help.

A request that failed after it left this machine (a read timeout, a lost connection, a 5xx from
Telegram's front end) may still have been carried out, so its retry may make a second copy. The
caller is told (`Attempt.ambiguous`) and decides; for a worker's receipt a second copy is far
better than none.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import logging
import time
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.telegram.aiohttp_request import NOT_SENT

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try one call."""

    attempts: int = 5
    first_delay: float = 0.5
    """Seconds before the second attempt; doubled for each further one, up to `max_delay`."""
    max_delay: float = 8.0
    budget: float = 45.0
    """Seconds from the first attempt after which no further attempt starts. The worker's next
    message waits meanwhile (one chat's inputs are handled one at a time), so this stays short
    of a minute; what still cannot be delivered is kept and shown on that next message."""


DEFAULT_POLICY = RetryPolicy()
"""The policy of every worker-facing call (tests make it fast)."""


@dataclass(frozen=True)
class Attempt(Generic[T]):
    """What came of a call."""

    result: T | None
    """The call's result, or None if it never succeeded."""
    ambiguous: bool = False
    """Some failed attempt may have been carried out by Telegram all the same."""
    refused: bool = False
    """Telegram refused it (BadRequest, Forbidden): trying the same again cannot help."""


async def attempt(
    call: Callable[[], Awaitable[T]],
    policy: RetryPolicy | None = None,
    *,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Attempt[T]:
    """Run `call` (a fresh request each time) until it succeeds or the policy gives up."""
    policy = policy or DEFAULT_POLICY
    deadline = clock() + policy.budget
    ambiguous = False
    delay = policy.first_delay
    number = 0
    for number in range(1, max(1, policy.attempts) + 1):
        try:
            return Attempt(await call(), ambiguous)
        except (BadRequest, Forbidden) as exc:
            log.info("Telegram refused a call: %s", type(exc).__name__)
            return Attempt(None, ambiguous, refused=True)
        except RetryAfter as exc:
            wait = _seconds(exc)
        except NetworkError as exc:
            # Includes TimedOut and 5xx answers; only NOT_SENT ones surely never arrived.
            ambiguous = ambiguous or not isinstance(exc, NOT_SENT)
            wait, delay = delay, min(delay * 2, policy.max_delay)
        except TelegramError as exc:
            log.warning("Telegram call failed: %s", type(exc).__name__)
            return Attempt(None, ambiguous)
        if number >= policy.attempts or clock() + wait > deadline:
            break
        log.info("Telegram call failed, trying again in %.1f s", wait)
        await sleep(wait)
    log.warning("Telegram call failed %d time(s); giving up for now", number)
    return Attempt(None, ambiguous)


def _seconds(exc: RetryAfter) -> float:
    """retry_after in seconds, whatever type this PTB version gives it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PTB's notice that the type will become a timedelta
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)
