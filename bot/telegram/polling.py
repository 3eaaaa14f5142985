"""Long polling for `grievance serve`, stopped so that nothing handled is delivered again.

python-telegram-bot's Updater confirms updates as soon as it has queued them, and confirms the
last batch with one more getUpdates only after it has been told to stop; a batch that arrives
while it stops is dropped with a CRITICAL line, and a failed final call is an ERROR with a
traceback. Here the three steps are apart and in the order that loses nothing: `halt()` stops
fetching (a batch already fetched is handed over whole, or not at all), the caller lets the
application finish every update it was handed, then `confirm()` tells Telegram, with one
getUpdates that does not wait, that everything handed over is done. An update that was fetched
but not handed over is not confirmed, so Telegram delivers it again after the restart.

Failures while running are one line each (the kind only: a message could quote the request URL,
which carries the token), said once per outage, retried with a growing pause.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dtm
import logging
from collections.abc import Sequence
from typing import Any, Final

from telegram import Bot
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TelegramError, TimedOut

log = logging.getLogger(__name__)

FIRST_PAUSE: Final = 1.0
LONGEST_PAUSE: Final = 30.0


class Poller:
    """Fetches updates into `queue` until halted; `confirm()` then acknowledges them."""

    def __init__(
        self,
        bot: Bot,
        queue: asyncio.Queue[object],
        timeout: int,
        allowed_updates: Sequence[str] | None = None,
    ) -> None:
        self._bot = bot
        self._queue = queue
        self._timeout = timeout
        self._allowed = list(allowed_updates) if allowed_updates is not None else None
        self._offset = 0
        """The next update id to ask for: every update below it was handed over."""
        self._confirmed = 0
        """The offset Telegram was last given: every update below it is acknowledged."""
        self._task: asyncio.Task[None] | None = None
        self._failing: str | None = None

    async def start(self) -> None:
        """Drop a webhook left from an earlier deployment (getUpdates refuses to run beside
        one), then poll in the background."""
        await self._bot.delete_webhook()
        self._task = asyncio.create_task(self._run(), name="grievance:polling")

    async def halt(self) -> None:
        """Stop fetching. Cancelling can only interrupt a getUpdates call or a pause: a batch
        that has arrived is handed over in full before the loop can be interrupted again."""
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def confirm(self) -> bool:
        """Acknowledge every update handed over, after the application has handled them.

        Returns False (with one WARNING line) when Telegram could not be told: those updates
        may then be delivered once more after the restart.
        """
        if self._offset <= self._confirmed:
            return True
        try:
            await self._bot.get_updates(
                offset=self._offset,
                limit=1,
                timeout=dtm.timedelta(seconds=0),
                allowed_updates=self._allowed,
            )
        except TelegramError as exc:
            log.warning(
                "could not confirm the last updates to the Bot API (%s); Telegram may deliver "
                "them again after the restart",
                type(exc).__name__,
            )
            return False
        self._confirmed = self._offset
        return True

    async def _run(self) -> None:
        pause = FIRST_PAUSE
        while True:
            try:
                asked = self._offset
                updates = await self._bot.get_updates(
                    offset=asked, timeout=self._timeout, allowed_updates=self._allowed
                )
            except TimedOut:
                continue  # a long poll that outlived the read timeout: ask again at once
            except RetryAfter as exc:
                await asyncio.sleep(_seconds(exc.retry_after))
                continue
            except (Conflict, InvalidToken, NetworkError, TelegramError) as exc:
                self._failed(exc)
                await asyncio.sleep(pause)
                pause = min(pause * 2, LONGEST_PAUSE)
                continue
            except Exception as exc:
                # Not Telegram's refusal but a bug or a library surprise: polling must go on.
                self._failed(exc)
                await asyncio.sleep(pause)
                pause = min(pause * 2, LONGEST_PAUSE)
                continue
            # From here to the next await nothing can interrupt: the batch is handed over whole.
            self._confirmed = max(self._confirmed, asked)
            for update in updates:
                self._queue.put_nowait(update)
            if updates:
                self._offset = updates[-1].update_id + 1
            if self._failing is not None:
                log.info("the Bot API answers again")
                self._failing = None
            pause = FIRST_PAUSE

    def _failed(self, exc: BaseException) -> None:
        """One line when an outage starts (or changes kind); silence while it lasts."""
        kind = type(exc).__name__
        if kind == self._failing:
            return
        self._failing = kind
        if isinstance(exc, Conflict):
            log.warning(
                "the Bot API refuses to poll (Conflict): another process uses this bot token, "
                "or a webhook is set; retrying"
            )
        elif isinstance(exc, InvalidToken):
            log.error("the Bot API no longer accepts the bot token (InvalidToken); retrying")
        elif isinstance(exc, TelegramError):
            log.warning("cannot fetch updates from the Bot API (%s); retrying", kind)
        else:
            log.error("fetching updates failed (%s); retrying", kind)


def _seconds(value: Any) -> float:
    if isinstance(value, dtm.timedelta):
        return value.total_seconds()
    return float(value)
