"""A Bot that survives an update it cannot read, instead of fetching it again forever.

python-telegram-bot parses a whole getUpdates batch at once; one update the library cannot read
(a newer Bot API than the library knows) fails the batch, and the same batch comes back at every
poll. Here, only when that happens, each update is tried on its own and one that fails is
replaced by its bare update id, so the offset moves past it and nothing of it is kept or logged.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from telegram import Update
from telegram.ext import ExtBot

log = logging.getLogger(__name__)


class TolerantBot(ExtBot[Any]):
    """ExtBot whose getUpdates skips the updates it cannot parse."""

    _batch: list[Any] | None = None

    async def _post(self, endpoint: str, data: Any = None, *args: Any, **kwargs: Any) -> Any:
        result = await super()._post(endpoint, data, *args, **kwargs)
        if endpoint == "getUpdates":
            self._batch = result if isinstance(result, list) else None
        return result

    async def get_updates(self, *args: Any, **kwargs: Any) -> tuple[Update, ...]:
        """The batch as PTB parses it; item by item if the batch as a whole does not parse."""
        self._batch = None
        try:
            return await super().get_updates(*args, **kwargs)
        except (TypeError, ValueError, KeyError, AttributeError):
            if self._batch is None:
                raise
            return tuple(self._one_by_one(self._batch))

    def _one_by_one(self, batch: Sequence[Any]) -> list[Update]:
        updates = []
        for item in batch:
            try:
                parsed = Update.de_json(item, self)
            except (TypeError, ValueError, KeyError, AttributeError) as exc:
                log.warning(
                    "an update the library cannot read was skipped (%s)", type(exc).__name__
                )
                update_id = item.get("update_id") if isinstance(item, dict) else None
                if not isinstance(update_id, int):
                    continue
                parsed = Update(update_id)
            updates.append(parsed)
        return updates
