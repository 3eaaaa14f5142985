"""The stand-in process: tests/fake_bot_api.py's Bot API and simulated workers driving a bot.

It runs in a spawned process of its own, so that its work (the fake server, the workers, the
photo thumbnails) never runs on the bot's event loop, and takes orders from the bot process
over a pipe: `drive` some conversations, `stop`. Latency is measured here, as a worker sees
it: from the moment an update is queued for the bot to the moment the answer the worker waits
for is in the chat (the next message, or a button ticked).
"""

from __future__ import annotations

import asyncio
import io
import itertools
import random
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from PIL import Image

from bench.harness import ROOT

sys.path.insert(0, str(ROOT / "tests"))  # the stand-in Bot API lives with the tests
from fake_bot_api import FakeBotAPI, FakeUser

TOKEN = "987654321:BENCH-TOKEN-abcdefghijklmnopqrstuvwxyz012345"
FIRST_WORKER_ID = 6_100_000_000
REPORT_TEXT = (
    "My wages were cut by 2000 baht in October and the supervisor says it is for the dormitory, "
    "but nobody signed anything. When we asked, he said whoever complains will not get overtime."
)
SEND = "Send (seal)"

# One worker's whole report, as tests/test_telegram_intake.py files it (without the voice note):
# (label, action, argument, what the worker waits for: a message containing it, or a button).
FLOW: tuple[tuple[str, str, str, str], ...] = (
    ("/start", "command", "/start", ""),
    ("language", "press", "English", "Telegram itself can see this chat"),
    ("safety info", "press", "I have read this", "Do you want to continue?"),
    ("consent", "press", "Yes, continue", "Which workplace"),
    ("workplace", "press", "Lamphun Plant 2", "What is the problem about?"),
    ("tick a box", "press", "▫️ Wages and deductions", "button:✅ Wages and deductions"),
    ("multi: Done", "press", "Done", "in danger"),
    ("danger: No", "press", "No", "What happened?"),
    ("text typed", "text", REPORT_TEXT, "When did it happen?"),
    ("date", "press", "This month", "how many workers"),
    ("number", "text", "12", "evidence"),
    ("photo", "photo", "", "1 file"),
    ("evidence: Done", "press", "Done", "What would you like to happen?"),
    ("outcome: Done", "press", "Done", "Please check your answers"),
    (SEND, "press", "Send", "receipt number"),
)


@dataclass
class Drive:
    """What one `drive` order found: latencies by step, and what went wrong."""

    updates: int = 0
    finished: int = 0
    latencies: dict[str, list[float]] = field(default_factory=dict)
    requests: dict[str, int] = field(default_factory=dict)
    """Bot API requests the bot made, by method (getUpdates and getFile aside)."""
    errors: list[str] = field(default_factory=list)


class Pacer:
    """Slots at exponential intervals adding up to `rate` updates/s over every worker (0: none)."""

    def __init__(self, rate: float, rng: random.Random) -> None:
        self.rate, self.rng, self.next = rate, rng, time.monotonic()

    async def slot(self) -> None:
        if self.rate <= 0:
            return
        now = time.monotonic()
        self.next = max(self.next, now - 1.0) + self.rng.expovariate(self.rate)
        await asyncio.sleep(max(0.0, self.next - now))


def _phone_photo() -> bytes:
    """A 1600x1200 JPEG with some texture, the size of a phone photo sent through Telegram."""
    image = Image.effect_noise((1600, 1200), 40).convert("RGB")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


class StandIn:
    def __init__(self, api: FakeBotAPI, seed: int) -> None:
        self.api, self.rng = api, random.Random(seed)
        self.ids = itertools.count(FIRST_WORKER_ID)
        self.photo = api.photo_sizes(_phone_photo())  # registered once, sent by every worker

    async def drive(self, order: dict[str, Any]) -> Drive:
        """`conversations` by `workers` at `rate` updates/s, each to its end or `steps`."""
        steps = FLOW[: order.get("steps") or len(FLOW)]
        echo = order["bot"] == "echo"
        pacer, result = Pacer(order["rate"], self.rng), Drive()
        patience, count = order["patience"], itertools.count()

        async def worker() -> None:
            while next(count) < order["conversations"] and not result.errors:
                user = self.api.user(next(self.ids), "Worker", language_code="th")
                try:
                    await self._walk(user, steps, echo, pacer, patience, result)
                except Exception as exc:  # a wrong answer or a timeout: the bot misbehaved
                    result.errors.append(f"{type(exc).__name__}: {exc}"[:3000])
                    return
                result.finished += 1
                if order.get("forget", True):
                    self.api.users.pop(user.id, None)  # keeps the stand-in small

        await asyncio.gather(*(worker() for _ in range(order["workers"])))
        await self.api.wait_idle(timeout=max(30.0, patience), quiet=0.3)
        for call in self.api.calls:
            if call.method not in {"getUpdates", "getFile"}:
                result.requests[call.method] = result.requests.get(call.method, 0) + 1
        self.api.calls.clear()
        return result

    async def _walk(
        self,
        user: FakeUser,
        steps: Sequence[tuple[str, str, str, str]],
        echo: bool,
        pacer: Pacer,
        patience: float,
        result: Drive,
    ) -> None:
        for label, action, argument, expect in steps:
            await pacer.slot()
            if action == "command":
                await user.send_command(argument)
            elif action == "text":
                await user.send_text(argument)
            elif action == "photo":
                await user.send_photo_sizes(self.photo)
            elif echo:
                await user.send_raw_callback(argument[:60])
            else:
                await user.press(argument)
            # The actions queue their update without yielding: the bot cannot have seen it yet,
            # so the clock starts at its queueing.
            started = time.monotonic()
            result.updates += 1
            if echo:
                await user.wait_for_bot_message(timeout=patience)
            elif expect.startswith("button:"):
                await user.wait_until(_button_shown(user, expect[7:]), timeout=patience)
            else:
                await user.wait_for_bot_message(_containing(expect), timeout=patience)
            result.latencies.setdefault(label, []).append(time.monotonic() - started)


def _containing(fragment: str) -> Callable[[Any], bool]:
    return lambda message: fragment in ((message.text or "") + (message.caption or ""))


def _button_shown(user: FakeUser, label: str) -> Callable[[], bool]:
    def shown() -> bool:
        last = user.last_bot_message()
        return last is not None and label in last.button_texts()

    return shown


def main(conn: Connection, seed: int) -> None:
    """Entry point of the spawned process."""
    asyncio.run(_serve(conn, seed))


async def _serve(conn: Connection, seed: int) -> None:
    api = FakeBotAPI(token=TOKEN)
    await api.start()
    stand_in = StandIn(api, seed)
    conn.send({"port": api.port})
    try:
        while True:
            order = await asyncio.to_thread(conn.recv)
            if order.get("cmd") == "stop":
                return
            try:
                conn.send({"ok": True, "drive": await stand_in.drive(order)})
            except Exception:
                conn.send({"ok": False, "error": traceback.format_exc()})
    finally:
        await api.stop()
