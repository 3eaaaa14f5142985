"""A Bot that survives an update it cannot read, instead of fetching it again forever.

python-telegram-bot parses a whole getUpdates batch at once; one update the library cannot read
(a newer Bot API than the library knows) fails the batch, and the same batch comes back at every
poll. Here each update is tried on its own, and one that fails is replaced by its bare update id,
so the offset moves past it and nothing of it is kept or logged.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.ext import ExtBot

log = logging.getLogger(__name__)


class TolerantBot(ExtBot[Any]):
    """ExtBot with getUpdates results checked one update at a time."""

    async def _post(self, endpoint: str, data: Any = None, *args: Any, **kwargs: Any) -> Any:
        result = await super()._post(endpoint, data, *args, **kwargs)
        if endpoint == "getUpdates" and isinstance(result, list):
            return [self._readable(item) for item in result]
        return result

    def _readable(self, item: Any) -> Any:
        try:
            Update.de_json(item, self)
        except Exception as exc:
            log.warning("an update the library cannot read was skipped (%s)", type(exc).__name__)
            update_id = item.get("update_id") if isinstance(item, dict) else None
            return {"update_id": update_id} if isinstance(update_id, int) else item
        return item
