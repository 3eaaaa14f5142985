"""A Bot that survives an update it cannot read, instead of fetching it again forever.

python-telegram-bot parses a whole getUpdates batch at once; one update the library cannot read
(a newer Bot API than the library knows) fails the batch, and the same batch comes back at every
poll. Here, only when that happens, each update is tried on its own and one that fails is
replaced by its bare update id, so the offset moves past it and nothing of it is kept or logged.

Only PTB's public API is used: the request that carries getUpdates alone (`get_updates_request`)
keeps the body its `do_request` received (the method a BaseRequest implements), and
`Bot.get_updates`, when PTB cannot parse that answer, reads it again with
`BaseRequest.parse_json_payload` and parses it update by update with `Update.de_json`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from telegram import Update
from telegram.ext import ExtBot
from telegram.request import BaseRequest, RequestData

from bot.telegram.aiohttp_request import AiohttpRequest

log = logging.getLogger(__name__)
UNREADABLE = (TypeError, ValueError, KeyError, AttributeError)
"""What Update.de_json raises on an update of a shape it does not know."""


class UpdatesRequest(AiohttpRequest):
    """The connection for getUpdates alone; it keeps the raw answer of the call in progress."""

    def __init__(self, read_timeout: float | None = None) -> None:
        super().__init__(connections=1, read_timeout=read_timeout)
        self.payload: bytes | None = None
        """The last answer as Telegram sent it, until the bot has parsed it (memory only)."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """AiohttpRequest's request; the answer's body is kept for TolerantBot."""
        status, payload = await super().do_request(
            url, method, request_data, read_timeout, write_timeout, connect_timeout, pool_timeout
        )
        self.payload = payload
        return status, payload

    def batch(self) -> list[Any] | None:
        """The updates of the kept answer, as JSON, or None if it holds no list of them."""
        if self.payload is None:
            return None
        answer = self.parse_json_payload(self.payload)
        result = answer.get("result") if isinstance(answer, dict) else None
        return result if isinstance(result, list) else None


class TolerantBot(ExtBot[Any]):
    """ExtBot whose getUpdates skips the updates it cannot parse."""

    def __init__(self, token: str, *, get_updates_request: UpdatesRequest, **kwargs: Any) -> None:
        super().__init__(token, get_updates_request=get_updates_request, **kwargs)
        self._updates = get_updates_request

    async def get_updates(self, *args: Any, **kwargs: Any) -> tuple[Update, ...]:
        """The batch as PTB parses it; item by item if the batch as a whole does not parse."""
        self._updates.payload = None
        try:
            return await super().get_updates(*args, **kwargs)
        except UNREADABLE:
            batch = self._updates.batch()
            if batch is None:
                raise
            return tuple(self._one_by_one(batch))
        finally:
            self._updates.payload = None  # what workers wrote is not kept past its parsing

    def _one_by_one(self, batch: Sequence[Any]) -> list[Update]:
        updates = []
        for item in batch:
            try:
                parsed = Update.de_json(item, self)
            except UNREADABLE as exc:
                log.warning(
                    "an update the library cannot read was skipped (%s)", type(exc).__name__
                )
                update_id = item.get("update_id") if isinstance(item, dict) else None
                if not isinstance(update_id, int):
                    continue
                parsed = Update(update_id)
            updates.append(parsed)
        return updates
