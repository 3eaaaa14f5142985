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
import gc
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass, field

from desk import actions
from desk.assignment import Team
from desk.cases import Keyring
from desk.client import Case, CaseClient, CaseCount, Caseworker, DeskError
from desk.console import queue
from desk.console.logs import LOGGER


@dataclass
class Progress:
    """What a queue being opened has got to (counts only, never content)."""

    downloaded: int = 0
    old_key_entries: int = 0
    old_key_ids: frozenset[str] = field(default_factory=frozenset)
    counted: CaseCount | None = None
    """The server's count when the queue started opening (None until it came)."""

    @property
    def expected(self) -> int | None:
        """The total to show beside `downloaded` (never less: cases may arrive meanwhile)."""
        return None if self.counted is None else max(self.counted.total, self.downloaded)


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
    client: WatchedClient,
    keyring: Keyring | Awaitable[Keyring],
    progress: Progress,
    team: Team | Caseworker | None,
) -> queue.Queue:
    """Every case decrypted (reports and messages; files stay sealed until a case is opened),
    then the rows built in a worker thread: the event loop keeps answering meanwhile. The rows'
    search text and facts are built after the queue is returned (`Queue.warm`).

    `keyring` may still be opening: the pages download meanwhile. `progress` is the one
    `client.watch` returned, counting as the pages pass. `team` is the
    partner's caseworkers if just fetched; else they are fetched beside the pages, for this
    console's own credential (`me`, or None if the server does not name it).
    """
    counting = asyncio.ensure_future(_count(client, progress))
    fetching = asyncio.ensure_future(_team(client, team))
    with actions.collector_paused():
        try:
            views = await actions.list_cases(client, keyring, thread=True)
            found = await fetching
        finally:
            for task in (counting, fetching):
                task.cancel()
            await asyncio.gather(counting, fetching, return_exceptions=True)
        built = await asyncio.to_thread(queue.build, views, progress.old_key_entries, found)
        # The queue lives until the console locks, without reference cycles: the collector
        # would scan its hundreds of thousands of objects again and again and find nothing
        # (the first time, while the rows are built: a third of a second on 10,000 cases).
        # Vault.lock gives them back to it.
        gc.freeze()
    built.warming = asyncio.ensure_future(built.warm())
    built.warming.add_done_callback(_warmed)
    return built


def _warmed(task: asyncio.Task[None]) -> None:
    failed = None if task.cancelled() else task.exception()
    if failed is not None:
        # Seen, never content: a row that failed here fails again, plainly, when it is asked.
        LOGGER.warning("the queue's search text was not built (%s)", type(failed).__name__)


async def _team(client: CaseClient, known: Team | Caseworker | None) -> Team:
    if isinstance(known, Team):
        return known
    return Team(known, tuple(await client.caseworkers()))


async def _count(client: CaseClient, progress: Progress) -> None:
    """The total for the loading page: a hint, so a failure leaves the page without it."""
    try:
        progress.counted = await client.count()
    except DeskError as exc:
        LOGGER.warning("the queue's count did not come (%s)", type(exc).__name__)
