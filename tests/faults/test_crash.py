"""The crash suite: `serve` killed with SIGKILL around submissions, restarted, hundreds of times.

Each run forks a fresh service process from the zygote (tests/faults/zygote.py) against the
stand-in Bot API, which lives in this process and so survives every kill. Two to four workers
walk the questionnaire at once (some with a photo) and press Send at staggered moments; the
process is killed at a moment drawn around the presses and the commits (before any press, just
before one worker's receipt, or anywhere in the window). After each restart the ledger checks
what a worker and a caseworker would notice: every receipt the stand-in received has its case,
every case is whole and opens with the partner's key, nothing is orphaned, nobody got two cases.

The random choices come from a fixed seed printed with the figures: GRIEVANCE_CRASH_SEED replays
or varies them, GRIEVANCE_CRASH_KILL_POINTS sets how many kills a database gets.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import re
import statistics
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from crash_ledger import MARKER, RECEIPT, Ledger
from deployment import TOKEN, phone_photo, register_partner, walk_on, walk_to
from fake_bot_api import FakeBotAPI, FakeMessage, FakeUser
from kill_harness import Child, Zygote, zygote

from bot.config import Config
from bot.database import open_database
from crypto.keys import new_partner_key, new_signing_key, verify_key_text

SEED = int(os.environ.get("GRIEVANCE_CRASH_SEED") or 7007)
KILL_POINTS = int(os.environ.get("GRIEVANCE_CRASH_KILL_POINTS") or 150)
WORKERS_PER_RUN = (2, 4)
PHOTO_SHARE = 0.3
PRESS_SPREAD_SECONDS = 0.25
FIRST_LATENCY_SECONDS = 0.3
"""A first guess of the time from a Send press to its receipt; then measured as the runs go."""
COMMIT_TO_RECEIPT_SECONDS = 0.002
"""Less than the time from a commit to its receipt reaching the stand-in (1 to 3 ms measured)."""
RESTART_TIMEOUT_SECONDS = 30.0
STATUS_CHECKS = 3
"""Shown receipts tried with /status on the last restart, as the worker would."""
PHOTO = phone_photo()


@dataclass
class Worker:
    """One worker of a run: what they will do, and when things happened."""

    user: FakeUser
    photo: bool
    press_at: float
    pressed: float | None = None
    receipt_at: float | None = None

    @property
    def in_flight(self) -> bool:
        return self.pressed is not None and self.receipt_at is None


@dataclass
class Timing:
    """Press-to-receipt times seen so far: where the commits fall."""

    latencies: list[float]

    @property
    def latency(self) -> float:
        recent = self.latencies[-25:]
        return statistics.median(recent) if recent else FIRST_LATENCY_SECONDS


def kill_plan(rng: random.Random, presses: list[float], latency: float) -> tuple[str, float]:
    """When the process dies: ("timed", seconds after the presses begin), or ("commit", seconds
    after the service process reports the run's first committed case)."""
    roll = rng.random()
    first, last = min(presses), max(presses)
    if roll < 0.1:
        return "timed", rng.uniform(0.0, first)  # before any Send: drafts are lost, no case
    if roll < 0.35:
        # Between a commit and its receipt: the window a receipt could be lost in.
        return "commit", rng.uniform(0.0, COMMIT_TO_RECEIPT_SECONDS)
    if roll < 0.65:
        # Around one worker's commit: sealing, committing, sending the receipt.
        return "timed", rng.choice(presses) + latency * rng.uniform(0.3, 1.15)
    return "timed", rng.uniform(first, last + 1.5 * latency)


async def walk_to_review(worker: Worker) -> FakeMessage:
    """The questionnaire up to the review, with the worker's marker and perhaps a photo."""
    text = MARKER.format(uid=worker.user.id)
    if not worker.photo:
        return await walk_to(worker.user, "review", what_happened=text)
    await walk_to(worker.user, "evidence", what_happened=text)
    await worker.user.send_photo(PHOTO)
    listed = await worker.user.wait_for_bot_message(
        lambda m: "You have sent 1 file" in (m.text or "")
    )
    return await walk_on(worker.user, "evidence", listed, "review", what_happened=text)


async def press_send(worker: Worker, review: FakeMessage) -> None:
    """Press Send at the planned moment, then wait for the receipt (until the kill)."""
    loop = asyncio.get_running_loop()
    await asyncio.sleep(worker.press_at)
    await worker.user.press("Send", review)
    worker.pressed = loop.time()
    await worker.user.wait_for_bot_message(lambda m: bool(RECEIPT.search(m.text or "")), 60)
    worker.receipt_at = loop.time()


async def restarted(api: FakeBotAPI, mark: int, child: Child) -> None:
    """Wait until the new process polls the stand-in: the restart is complete."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + RESTART_TIMEOUT_SECONDS
    # Polled: the stand-in signals activity on updates, not on an empty getUpdates.
    while not any(call.method == "getUpdates" for call in api.calls[mark:]):
        if loop.time() > deadline:
            raise AssertionError(f"the service did not restart\n{child.log_tail()}")
        await asyncio.sleep(0.005)


async def one_run(
    rng: random.Random,
    uids: Iterator[int],
    api: FakeBotAPI,
    ledger: Ledger,
    timing: Timing,
    processes: Zygote,
    config: Config,
    log: Path,
) -> list[Worker]:
    """Restart, walk, check the last kill's aftermath, press Send, kill. Returns the workers."""
    workers = [
        Worker(
            api.user(next(uids), "SentinelWorker"),
            photo=rng.random() < PHOTO_SHARE,
            press_at=rng.uniform(0.0, PRESS_SPREAD_SECONDS),
        )
        for _ in range(rng.randint(*WORKERS_PER_RUN))
    ]
    presses = [w.press_at for w in workers]
    mode, delay = kill_plan(rng, presses, timing.latency)
    mark = len(api.calls)
    child = await processes.start_bot(config, log)

    async def check_after_restart() -> None:
        await restarted(api, mark, child)
        await ledger.check(api)

    check = asyncio.create_task(check_after_restart())
    try:
        reviews = await asyncio.gather(*(walk_to_review(w) for w in workers))
        await check  # before anyone presses Send: nothing is written while the ledger reads
    except AssertionError as exc:
        check.cancel()
        raise AssertionError(f"{exc}\n--- service log\n{child.log_tail()}") from exc
    before = processes.commits.commits
    loop = asyncio.get_running_loop()
    start = loop.time()
    pressing = [
        asyncio.create_task(press_send(w, review))
        for w, review in zip(workers, reviews, strict=True)
    ]
    if mode == "commit":
        await processes.commits.beyond(before, max(presses) + 3 * timing.latency + 1.0)
        start = loop.time()
    await asyncio.sleep(max(0.0, start + delay - loop.time()))
    await processes.kill(child)
    for task in pressing:
        task.cancel()
    for task in pressing:
        with contextlib.suppress(asyncio.CancelledError):
            await task
    ledger.figures.kill_modes[mode] += 1
    timing.latencies += [
        w.receipt_at - w.pressed for w in workers if w.receipt_at is not None and w.pressed
    ]
    return workers


async def status_shows_the_case(api: FakeBotAPI, uid: int, receipt: str) -> None:
    """The worker asks /status with their receipt on the restarted service and sees the case."""
    worker = api.users[uid]
    await worker.send_command("/status")
    await worker.wait_for_bot_message(lambda m: "receipt number" in (m.text or ""), 10)
    await worker.send_text(receipt)
    await worker.wait_for_bot_message(lambda m: "Received" in (m.text or ""), 20)


async def test_a_killed_service_never_shows_a_receipt_without_its_whole_case(
    database_url: str,
    tmp_path: Path,
    report_figures: Callable[[str], None],
    stored_bytes: Callable[[str, Path], Awaitable[bytes]],
) -> None:
    began = time.monotonic()
    rng = random.Random(SEED)
    signing_key, partner_key = new_signing_key(), new_partner_key()
    await register_partner(database_url, signing_key, partner_key)
    log = tmp_path / "serve.log"
    uids = iter(range(810_000_001, 820_000_000))
    database = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    async with (
        open_database(database_url) as sessions,
        FakeBotAPI(token=TOKEN) as api,
        zygote(tmp_path / "zygote.log") as processes,
    ):
        ledger = Ledger(sessions, partner_key)
        timing = Timing([])
        config = Config(
            data_dir=tmp_path / "data",
            database_url=database_url,
            admin_verify_key_text=verify_key_text(signing_key.verify_key),
            telegram_token=TOKEN,
            telegram_api_url=api.base_url.removesuffix("/bot"),
            http_listen="127.0.0.1:0",
            log_level="DEBUG",  # every level: the sentinels below must be in none
        )
        try:
            for _ in range(KILL_POINTS):
                workers = await one_run(rng, uids, api, ledger, timing, processes, config, log)
                ledger.finish({w.user.id: int(w.photo) for w in workers})
                ledger.figures.kill_points += 1
                ledger.figures.presses += sum(1 for w in workers if w.pressed is not None)
                ledger.figures.kills_in_flight += any(w.in_flight for w in workers)
            await last_restart(processes, config, log, api, ledger, rng)
        finally:
            report_figures(
                f"[{database}] seed {SEED}: {ledger.figures.line()}; median press-to-receipt "
                f"{timing.latency:.2f} s; wall time {time.monotonic() - began:.0f} s"
            )
    figures = ledger.figures
    assert not ledger.problems, "\n".join(ledger.problems[:20])
    assert (figures.orphans, figures.incomplete_cases) == (0, 0)
    assert (figures.receipts_without_case, figures.duplicate_cases) == (0, 0)
    # The suite would prove nothing if the kills never met a submission.
    assert figures.receipts_shown and figures.kills_in_flight
    # Killed at any moment, the service still left no worker's id or words in a file, a log
    # line or a row.
    sentinels = [
        b"SentinelWorker",
        b"SENTINEL-CRASH",
        *(str(u).encode() for u in ledger.photos_sent),
    ]
    found = re.findall(
        b"|".join(map(re.escape, sentinels)), await stored_bytes(database_url, tmp_path)
    )
    assert not found, f"stored or logged: {sorted(set(found))[:5]}"


async def last_restart(
    processes: Zygote,
    config: Config,
    log: Path,
    api: FakeBotAPI,
    ledger: Ledger,
    rng: random.Random,
) -> None:
    """A final restart: the ledger's check, and /status for a few shown receipts."""
    mark = len(api.calls)
    child = await processes.start_bot(config, log)
    try:
        await restarted(api, mark, child)
        await ledger.check(api)
        shown = sorted(ledger.receipts.items())
        for receipt, uid in rng.sample(shown, min(STATUS_CHECKS, len(shown))):
            await status_shows_the_case(api, uid, receipt)
    finally:
        await processes.kill(child)
