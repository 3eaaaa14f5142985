"""Bot vs its framework: event-loop CPU per update of our bot against a bare PTB echo bot.

Run from the project root (about two minutes; everything on 127.0.0.1)::

    .venv/bin/python -m bench.bot
    .venv/bin/python -m bench.bot --conversations 80 --rate 30 --duration 30
    .venv/bin/python -m bench.bot --profile /tmp/bot.prof    # cProfile of our bot's CPU phase

Two processes: this one runs the bots (bench/bots.py: the echo bot, then ours), a spawned one
the stand-in Bot API and the workers (bench/standin.py), so that the workers never share the
bots' event loop or core. For each bot, in the same run:

1. **flow check**: one whole conversation (for ours, a report to its receipt: it fails loudly if
   the conversation changed);
2. **CPU per update**: `--conversations` conversations by `--workers` workers, each acting as
   soon as the bot answered; the event-loop thread's CPU (`time.thread_time`) over the phase,
   minus what the idle bot uses in the same time (long polling), divided by the updates. The
   process's CPU (all threads: Argon2id and SQLite too, for ours) is shown beside it;
3. **latency at 30 updates/s** (`--rate`, Telegram's cap for one bot): workers paced by an
   exponential clock for `--duration` seconds; p50 and p99 from an update's queueing to the
   answer the worker waits for, the Send update (Argon2id, sealing, commit) apart.

Then, for ours, `--halfway` conversations are left half done (text typed) and the process's
resident memory grows by what each holds. Goal: ours at most 1.5x the echo bot's CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import multiprocessing
import shutil
import sys
import tempfile
import time
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from bench import standin
from bench.bots import echo_bot, our_bot
from bench.harness import Table, machine, micro, percentile, ratio, seconds

GOAL = 1.5
IDLE_SECONDS = 2.0
START_TIMEOUT = 60


class Orders:
    """The pipe to the stand-in: an order, then its answer within `wait` seconds."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def drive(self, wait: float, **order: Any) -> standin.Drive:
        self.conn.send(order)
        if not await asyncio.to_thread(self.conn.poll, wait):
            raise RuntimeError(f"the stand-in did not answer within {wait:.0f} s")
        answer = self.conn.recv()
        if not answer["ok"]:
            raise RuntimeError(answer["error"])
        drive: standin.Drive = answer["drive"]
        if drive.errors:
            raise RuntimeError(f"a worker failed: {drive.errors[0]}")
        return drive


@dataclass
class Figures:
    loop_cpu: float
    process_cpu: float
    updates: int
    others: list[float]
    send: list[float]
    requests: dict[str, int]


def rss() -> int:
    return int(Path("/proc/self/statm").read_text().split()[1]) * 4096


async def measure(
    bot: AbstractAsyncContextManager[Any], orders: Orders, args: argparse.Namespace, ours: bool
) -> Figures:
    kind = "ours" if ours else "echo"
    send_label = {standin.SEND} if ours else set()
    patience = args.patience
    async with bot:
        await orders.drive(120, bot=kind, conversations=1, workers=1, rate=0, patience=patience)
        loop0, wall0 = time.thread_time(), time.monotonic()
        await asyncio.sleep(IDLE_SECONDS)
        idle = (time.thread_time() - loop0) / (time.monotonic() - wall0)
        profile = cProfile.Profile() if ours and args.profile else None
        loop0, cpu0, wall0 = time.thread_time(), time.process_time(), time.monotonic()
        if profile is not None:
            profile.enable()
        closed = await orders.drive(
            args.limit, bot=kind, conversations=args.conversations, workers=args.workers,
            rate=0, patience=patience,
        )  # fmt: skip
        if profile is not None:
            profile.disable()
            profile.dump_stats(args.profile)
        wall = time.monotonic() - wall0
        loop_cpu = time.thread_time() - loop0 - idle * wall
        process_cpu = time.process_time() - cpu0 - idle * wall
        paced_count = max(1, round(args.rate * args.duration / len(standin.FLOW)))
        paced = await orders.drive(
            args.limit, bot=kind, conversations=paced_count, workers=args.paced_workers,
            rate=args.rate, patience=patience,
        )  # fmt: skip
        if ours and args.halfway:
            before = rss()
            await orders.drive(args.limit, bot=kind, conversations=args.halfway, workers=20,
                               rate=0, patience=patience, steps=9)  # fmt: skip
            grown = (rss() - before) / args.halfway
            print(f"memory: {args.halfway} conversations left halfway: "
                  f"{grown / 1024:.1f} KiB of resident memory each", flush=True)  # fmt: skip
    send = paced.latencies.get(standin.SEND, []) if ours else []
    others = [t for label, ts in paced.latencies.items() if label not in send_label for t in ts]
    return Figures(loop_cpu / closed.updates, process_cpu / closed.updates, closed.updates,
                   others, send, closed.requests)  # fmt: skip


async def run(args: argparse.Namespace, folder: Path) -> Table:
    context = multiprocessing.get_context("spawn")
    conn, child_end = context.Pipe()
    child = context.Process(target=standin.main, args=(child_end, args.seed), daemon=True)
    child.start()
    try:
        if not conn.poll(START_TIMEOUT):
            raise RuntimeError(f"the stand-in did not start within {START_TIMEOUT} s")
        api_url = f"http://127.0.0.1:{conn.recv()['port']}"
        orders = Orders(conn)
        echo = await measure(echo_bot(api_url), orders, args, ours=False)
        ours = await measure(our_bot(api_url, folder), orders, args, ours=True)
        conn.send({"cmd": "stop"})
    finally:
        child.join(10)
        if child.is_alive():
            child.terminate()
    table = Table(
        f"Event-loop CPU and latency per update ({ours.updates} updates closed-loop, "
        f"{args.rate:g} updates/s paced for {args.duration:g} s)",
        ["bot", "loop CPU", "process CPU", "p50", "p99", "Send p50", "Send p99"],
    )
    for label, figures in (("bare PTB echo bot", echo), ("our bot", ours)):
        table.add(
            label,
            micro(figures.loop_cpu),
            micro(figures.process_cpu),
            seconds(percentile(figures.others, 50)),
            seconds(percentile(figures.others, 99)),
            seconds(percentile(figures.send, 50)) if figures.send else "",
            seconds(percentile(figures.send, 99)) if figures.send else "",
        )
    table.add("ours / echo", ratio(ours.loop_cpu, echo.loop_cpu, GOAL),
              ratio(ours.process_cpu, echo.process_cpu), "", "", "", "")  # fmt: skip
    for label, figures in (("echo", echo), ("ours", ours)):
        made = ", ".join(f"{method} {n / figures.updates:.2f}"
                         for method, n in sorted(figures.requests.items()))  # fmt: skip
        table.note(f"Bot API requests per update, {label}: {made}")
    table.note("CPU: per update, minus the idle bot's; process CPU includes ours' Argon2id and "
               "SQLite threads. Latency: queueing of the update to the answer in the chat; the "
               "echo bot has no Send, its p50/p99 cover every update.")  # fmt: skip
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=40, help="closed-loop phase")
    parser.add_argument("--workers", type=int, default=8, help="closed-loop workers")
    parser.add_argument("--rate", type=float, default=30.0, help="updates/s of the paced phase")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of the paced phase")
    parser.add_argument("--paced-workers", type=int, default=20)
    parser.add_argument("--halfway", type=int, default=200, help="conversations left half done")
    parser.add_argument("--patience", type=float, default=30.0, help="seconds for one answer")
    parser.add_argument("--limit", type=float, default=600.0, help="seconds for one phase")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--profile", help="write a cProfile of our bot's closed-loop phase here")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    args = parser.parse_args(argv)
    if not (1 <= args.conversations <= 2000 and 1 <= args.workers <= 200 and 0 < args.rate <= 500
            and 1 <= args.duration <= 300 and 0 <= args.halfway <= 5000):  # fmt: skip
        parser.error("counts out of range (see --help)")
    print(f"bot bench: {machine()}\n", flush=True)
    folder = Path(tempfile.mkdtemp(prefix="grievance-bot-bench-"))
    try:
        table = asyncio.run(run(args, folder))
        table.print(markdown=args.markdown)
        return 0
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
