"""Opening the whole queue for the console: `desk.actions.list_cases`, watched on its way.

The console needs things the listing does not return: how far it has got (for the page shown
while a long queue opens) and how many entries are still wrapped to a retired or revoked key
(to offer the re-wrap). Both are read from the sealed pages as they pass through
`CaseClient.pages`, so the queue is downloaded once and decrypted by the desk's own code. How
many cases there are to come is one cheap count asked beside the first pages (the loading page
shows "N of TOTAL"), and the partner's caseworkers (whom to assign to) one more small request.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from desk import actions
from desk.assignment import Team
from desk.cases import Keyring
from desk.client import Case, CaseClient, Caseworker, DeskError
from desk.console import queue
from desk.console.logs import LOGGER


@dataclass
class Progress:
    """What a queue being opened has got to (counts only, never content)."""

    downloaded: int = 0
    old_key_entries: int = 0
    old_key_ids: frozenset[str] = field(default_factory=frozenset)
    total: int | None = None
    """How many cases the server counted when the queue started opening (None until known)."""

    @property
    def expected(self) -> int | None:
        """The total to show beside `downloaded` (never less: cases may arrive meanwhile)."""
        return None if self.total is None else max(self.total, self.downloaded)


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


async def open_queue(
    client: WatchedClient, keyring: Keyring, progress: Progress, me: Caseworker | None = None
) -> queue.Queue:
    """Every case decrypted (reports and messages; files stay sealed until a case is opened),
    then the rows built in a worker thread: the event loop keeps answering meanwhile.

    `progress` is the one `client.watch` returned, counting as the pages pass; `me` is the
    console's own credential, for "assigned to me".
    """
    counting = asyncio.ensure_future(_count(client, progress))
    try:
        caseworkers = await client.caseworkers()
        views = await actions.list_cases(client, keyring, thread=True)
    finally:
        counting.cancel()
        await asyncio.gather(counting, return_exceptions=True)
    team = Team(me, tuple(caseworkers))
    return await asyncio.to_thread(queue.build, views, progress.old_key_entries, team)


async def _count(client: CaseClient, progress: Progress) -> None:
    """The total for the loading page: a hint, so a failure leaves the page without it."""
    try:
        progress.total = (await client.count()).total
    except DeskError as exc:
        LOGGER.warning("the queue's count did not come (%s)", type(exc).__name__)
