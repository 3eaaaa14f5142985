"""Opening the whole queue for the console: `desk.actions.list_cases`, watched on its way.

The console needs two things the listing does not return: how far it has got (for the page
shown while a long queue opens) and how many entries are still wrapped to a retired or revoked
key (to offer the re-wrap). Both are read from the sealed pages as they pass through
`CaseClient.pages`, so the queue is downloaded once and decrypted by the desk's own code.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from desk import actions
from desk.cases import Keyring
from desk.client import Case, CaseClient
from desk.console import queue


@dataclass
class Progress:
    """What a queue being opened has got to (counts only, never content)."""

    downloaded: int = 0
    old_key_entries: int = 0
    old_key_ids: frozenset[str] = field(default_factory=frozenset)


class WatchedClient(CaseClient):
    """A case client that counts the cases of every page it hands out."""

    def __init__(self, server: str, token: str) -> None:
        super().__init__(server, token)
        self.progress = Progress()

    def watch(self, old_key_ids: frozenset[str]) -> Progress:
        """Start counting afresh, looking for wraps to `old_key_ids`."""
        self.progress = Progress(old_key_ids=old_key_ids)
        return self.progress

    async def pages(
        self,
        *,
        status: str | None = None,
        changed_since: str | None = None,
        page_size: int | None = None,
    ) -> AsyncIterator[list[Case]]:
        progress = self.progress
        async for page in super().pages(
            status=status, changed_since=changed_since, page_size=page_size
        ):
            progress.downloaded += len(page)
            if progress.old_key_ids:
                progress.old_key_entries += _old_wrapped(page, progress.old_key_ids)
            yield page


def _old_wrapped(page: list[Case], old_ids: frozenset[str]) -> int:
    return sum(1 for case in page for entry in case.entries if not old_ids.isdisjoint(entry.wraps))


async def open_queue(client: WatchedClient, keyring: Keyring, progress: Progress) -> queue.Queue:
    """Every case decrypted (reports and messages; files stay sealed until a case is opened),
    then the rows built in a worker thread: the event loop keeps answering meanwhile.

    `progress` is the one `client.watch` returned, counting as the pages pass.
    """
    views = await actions.list_cases(client, keyring, thread=True)
    return await asyncio.to_thread(queue.build, views, progress.old_key_entries)
