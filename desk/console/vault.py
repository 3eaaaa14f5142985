"""Locked or unlocked: the one place that holds the key and every decrypted byte.

Unlocking opens the key file (Argon2id, in a worker thread), connects to the server and starts
opening the queue. Locking — by the button, or after the idle time — cancels that work, closes
the connection and drops the keyring, the queue, the opened cases with their files and the
filters (a search word is case content). Python cannot overwrite the bytes it freed; what it
can do is hold no reference to them, so no page can show them again without the passphrase.

Work that was under way when the console locked finds a new `generation` when it ends and
throws its result away rather than bring content back into a locked console.

What the caseworker does to a case that is not content goes through here as well, so that the
opened case and its queue row stay in step with the server: marking the worker's entries seen
once a case page has shown them, assigning the case, and the cheap count that tells what
arrived since the queue was opened.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final, TypeVar

from crypto.errors import WrongPassphrase
from crypto.keyfile import read_partner_key
from crypto.keys import PrivateKey
from desk import actions, assignment
from desk.assignment import Team
from desk.cases import CaseView, Keyring
from desk.client import CaseCount, DeskError, Partner
from desk.console import queue
from desk.console.config import ConsoleConfig
from desk.console.i18n import N_, ConsoleError
from desk.console.loader import Progress, WatchedClient, open_queue
from desk.console.logs import LOGGER
from desk.console.queue import Queue
from vocabulary import OLD_KEYS

T = TypeVar("T")

OPEN_CASES: Final = 20
"""Opened cases (with their files) kept in memory: enough to go back and forth."""
NEWS_SECONDS: Final = 30.0
"""How long the count of what arrived since the queue was opened is trusted before asking again."""
NEWS_WAIT: Final = 2.0
"""Seconds a page waits for that count: a hint, never worth a slow page."""


class Locked(ConsoleError):
    """The console is locked: the passphrase must be given again."""

    def __init__(self) -> None:
        super().__init__(N_("The console is locked. Give your passphrase to open it again."))


@dataclass
class Unlocked:
    """What exists only while the console is unlocked."""

    keys: list[PrivateKey]
    keyring: Keyring
    client: WatchedClient
    partner: Partner
    loading: asyncio.Task[queue.Queue]
    progress: Progress
    cases: OrderedDict[str, CaseView]
    filters: queue.Filters
    team: Team
    """The partner's caseworkers as they were at unlock (the queue refreshes them)."""
    notice: str = ""
    """A one-time line for the next page ("Reply sent"), never case content."""
    news: tuple[float, queue.Queue, CaseCount] | None = None
    """The last count of the server's queue: when it came, for which opened queue, and what."""
    news_stale: bool = False
    """The console marked entries seen since that count: it must be asked again."""


class Vault:
    """The console's state, locked or unlocked, with the idle clock."""

    def __init__(
        self, lock_after_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.lock_after = lock_after_seconds
        self.clock = clock
        self.generation = 0
        self._open: Unlocked | None = None
        self._last_used = clock()
        self._unlocking = asyncio.Lock()

    # Locking --------------------------------------------------------------------------------

    @property
    def locked(self) -> bool:
        """True when no key is held (after checking the idle clock)."""
        self.check_idle()
        return self._open is None

    def touch(self) -> None:
        """The caseworker did something: the idle clock starts again."""
        self._last_used = self.clock()

    def idle_seconds(self) -> float:
        """Seconds since the caseworker last did something."""
        return self.clock() - self._last_used

    def check_idle(self) -> None:
        """Lock if the console has been idle for too long."""
        if self._open is not None and self.idle_seconds() >= self.lock_after:
            self.lock()

    def lock(self) -> None:
        """Drop the key and everything decrypted; cancel what is under way."""
        opened, self._open = self._open, None
        self.generation += 1
        if opened is None:
            return
        self._stop_warming(opened)
        opened.loading.cancel()
        opened.cases.clear()
        opened.keys.clear()
        # Closing the connection needs the loop; the session holds no plaintext meanwhile.
        task = asyncio.ensure_future(_close(opened.client, opened.loading))
        _BACKGROUND.add(task)
        task.add_done_callback(_BACKGROUND.discard)
        del opened
        gc.unfreeze()  # the queue's objects, frozen when it opened (loader.open_queue)
        gc.collect()

    async def shutdown(self) -> None:
        """Lock, and wait until the connection to the server is closed (the console stops)."""
        self.lock()
        await asyncio.gather(*_BACKGROUND, return_exceptions=True)

    def require(self) -> Unlocked:
        """The unlocked state, or `Locked` for the page to send the caseworker to unlock."""
        self.check_idle()
        if self._open is None:
            raise Locked
        return self._open

    # Unlocking ------------------------------------------------------------------------------

    async def unlock(self, config: ConsoleConfig, passphrase: str) -> None:
        """Open the key file, check it against the server, and start opening the queue.

        The queue starts downloading while Argon2id still runs (a second or so): its pages wait,
        sealed, for the key, and are thrown away if the passphrase is wrong.
        """
        async with self._unlocking:
            if self._open is not None:
                self.touch()
                return
            generation = self.generation
            key = asyncio.create_task(_open_key(Path(config.key_file), passphrase))
            client = WatchedClient(config.server, config.token)
            started: list[asyncio.Task[Any]] = [key]
            await client.__aenter__()
            try:
                partner = await _after_key(key, client.partner())
                progress = client.watch(_old_ids(partner))
                keyring = asyncio.create_task(_checked_keyring(key, partner))
                loading = asyncio.create_task(open_queue(client, keyring, progress, partner.me))
                started += [keyring, loading]
                team = Team(partner.me, tuple(await _after_key(keyring, client.caseworkers())))
                await keyring
            except BaseException:
                for task in started:
                    task.cancel()
                await asyncio.gather(*started, return_exceptions=True)
                await client.__aexit__(None, None, None)
                raise
            if generation != self.generation:  # locked while the key was opening
                loading.cancel()
                await _close(client, loading)
                raise Locked
            self._open = Unlocked(
                keys=[key.result()],
                keyring=keyring.result(),
                client=client,
                partner=partner,
                loading=loading,
                progress=progress,
                cases=OrderedDict(),
                filters=queue.Filters(),
                team=team,
            )
            self.touch()

    def reload(self) -> None:
        """Open the queue again from the server (new cases, a re-wrap)."""
        opened = self.require()
        self._stop_warming(opened)
        opened.loading.cancel()
        opened.progress = opened.client.watch(_old_ids(opened.partner))
        opened.loading = asyncio.ensure_future(
            open_queue(opened.client, opened.keyring, opened.progress, opened.partner.me)
        )
        opened.cases.clear()
        opened.news, opened.news_stale = None, False

    async def queue(self, wait: float) -> queue.Queue | None:
        """The opened queue, waiting up to `wait` seconds for it; None while it still opens.

        A failure while opening (the server went away) is raised once, as a `DeskError`, and the
        console then locks: a half-opened queue would look like a short one.
        """
        opened = self.require()
        loading = opened.loading
        if not loading.done():
            await asyncio.wait([loading], timeout=wait)
        if not loading.done():
            return None
        if loading.cancelled():
            raise Locked
        error = loading.exception()
        if error is not None:
            self.lock()
            raise error if isinstance(error, DeskError) else DeskError(str(error))
        return loading.result()

    # Cases ----------------------------------------------------------------------------------

    async def case(self, case_id: str) -> CaseView:
        """One case with its whole thread and files, from memory or from the server."""
        opened = self.require()
        if case_id in opened.cases:
            opened.cases.move_to_end(case_id)
            return opened.cases[case_id]
        generation = self.generation
        view = await actions.show_case(opened.client, opened.keyring, case_id, keep_files=True)
        if generation != self.generation:
            raise Locked
        opened.cases[view.id] = view
        while len(opened.cases) > OPEN_CASES:
            opened.cases.popitem(last=False)
        found = self._opened_queue(opened)
        if found is not None:
            found.update(view)
        return view

    def _opened_queue(self, opened: Unlocked) -> Queue | None:
        loading = opened.loading
        if loading.done() and not loading.cancelled() and loading.exception() is None:
            return loading.result()
        return None

    def _stop_warming(self, opened: Unlocked) -> None:
        found = self._opened_queue(opened)
        if found is not None and found.warming is not None:
            found.warming.cancel()

    def team(self) -> Team:
        """The partner's caseworkers: the opened queue's, else those known at unlock."""
        opened = self.require()
        found = self._opened_queue(opened)
        return found.team if found is not None else opened.team

    async def mark_seen(self, view: CaseView) -> CaseView:
        """Tell the server the worker's entries `view` opened are seen; the view and its queue
        row as they are now. Only what the page showed: an entry that did not open stays."""
        opened = self.require()
        if not view.opened_unseen:
            return view
        generation = self.generation
        unseen = await actions.mark_seen(opened.client, view)
        if generation != self.generation:
            raise Locked
        seen = view.marked_seen(view.opened_unseen, unseen or 0)
        self._keep(opened, seen)
        opened.news_stale = True  # the server's count of unseen cases has just changed too
        return seen

    async def assign(self, case_id: str, choice: str) -> int | None:
        """Assign the case to `choice` (`me`, `nobody` or a credential id of the partner, as
        the page's form sends it); the credential id it is now assigned to."""
        opened = self.require()
        target = assignment.target_of(self.team(), choice)
        generation = self.generation
        changed = await opened.client.set_assignee(case_id, target)
        if generation != self.generation:
            raise Locked
        if changed.id in opened.cases:
            self._keep(opened, replace(opened.cases[changed.id], assignee=changed.assignee))
        found = self._opened_queue(opened)
        if found is not None:
            found.set_assignee(changed.id, changed.assignee)
        return changed.assignee

    def _keep(self, opened: Unlocked, view: CaseView) -> None:
        if view.id in opened.cases:
            opened.cases[view.id] = view
        found = self._opened_queue(opened)
        if found is not None:
            found.update(view)

    async def news(self, opened_queue: Queue) -> int:
        """How many cases are new, or have new entries from the worker, since `opened_queue`
        was opened, from the server's cheap count (0 when it cannot tell).

        A hint: a colleague opening cases meanwhile can hide some; "Check for new cases"
        opens the queue again and settles it.
        """
        opened = self.require()
        now = self.clock()
        fresh = opened.news is None or opened.news[1] is not opened_queue
        if fresh and not opened.news_stale and opened.progress.counted is not None:
            # The count asked while this queue opened: the first page needs no other request.
            opened.news = (now, opened_queue, opened.progress.counted)
        if (
            opened.news is None
            or opened.news_stale
            or opened.news[1] is not opened_queue
            or (now - opened.news[0] >= NEWS_SECONDS)
        ):
            generation = self.generation
            try:
                counted = await asyncio.wait_for(opened.client.count(), NEWS_WAIT)
            except (DeskError, TimeoutError) as exc:
                LOGGER.warning("the count of new cases did not come (%s)", type(exc).__name__)
                return 0
            if generation != self.generation:
                raise Locked
            opened.news, opened.news_stale = (now, opened_queue, counted), False
        counted = opened.news[2]
        arrived = counted.total - len(opened_queue.rows)
        unseen = counted.unseen_cases - opened_queue.unseen_cases()
        return max(arrived, unseen, 0)

    def forget(self, case_id: str) -> None:
        """Drop an opened case so that it is fetched again (after a reply or a note)."""
        opened = self.require()
        opened.cases.pop(case_id, None)

    async def open_more_keys(self, key_file: Path, passphrase: str) -> Keyring:
        """The held keys and one more (a retired key for a re-wrap), for this use only."""
        opened = self.require()
        extra = await _open_key(key_file, passphrase)
        return Keyring([*opened.keys, extra])


def _old_ids(partner: Partner) -> frozenset[str]:
    return frozenset(key.key_id for key in partner.keys if key.status in OLD_KEYS)


async def _open_key(path: Path, passphrase: str) -> PrivateKey:
    try:
        return await asyncio.to_thread(read_partner_key, path, passphrase)
    except WrongPassphrase as exc:
        raise ConsoleError(
            N_("The passphrase does not open the key file {path}."), path=str(path)
        ) from exc


async def _after_key(key: asyncio.Task[Any], asked: Awaitable[T]) -> T:
    """What the server answered; if it failed, a wrong passphrase is said first, as it would be
    had the key been opened before the server was asked."""
    try:
        return await asked
    except BaseException:
        await asyncio.wait([key])
        failed = None if key.cancelled() else key.exception()
        if failed is not None:
            raise failed from None
        raise


async def _checked_keyring(key: asyncio.Task[PrivateKey], partner: Partner) -> Keyring:
    """The opened key as a keyring, once it is known to be the partner's active key."""
    keyring = Keyring([await key])
    actions.check_keyring(partner, keyring)
    return keyring


async def _close(client: WatchedClient, loading: asyncio.Task[queue.Queue]) -> None:
    await asyncio.wait([loading])
    if not loading.cancelled():
        loading.exception()  # seen: a failure after the lock has no one left to tell
    await client.__aexit__(None, None, None)


_BACKGROUND: set[asyncio.Task[None]] = set()
