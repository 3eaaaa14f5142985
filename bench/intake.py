"""Intake benchmark: many simulated workers file reports through the real PTB Application.

Run from the project root (the default run takes about a minute and stops by itself)::

    .venv/bin/python bench/intake.py
    .venv/bin/python bench/intake.py --workers 200 --rate 300 --duration 30
    .venv/bin/python bench/intake.py --conversations 2000 --reports 0 --duration 0 \
        --saturate-duration 0                  # memory alone, the full 2,000 (several minutes)
    .venv/bin/python bench/intake.py --what-if lean-responses   # a possible fix, this run only
    .venv/bin/python bench/intake.py --help

Two processes, everything on 127.0.0.1:

* **the bot** (this process): ``bot.service.running_bot`` with the real PTB ``Application``
  (long polling, concurrent updates), the real engine, routing and ``StoredSubmitter`` (Argon2id,
  sealing, SQLite in a temporary folder). PTB's ``AIORateLimiter`` is kept but with its caps off
  (``overall_max_rate=0, group_max_rate=0``): Telegram's 30 messages/s is Telegram's limit, and
  the point here is what the bot itself can do.
* **the stand-in** (a ``multiprocessing`` child, spawned): ``tests/fake_bot_api.FakeBotAPI`` and the
  simulated workers (``FakeUser``), so that the stand-in's own work does not run on the bot's
  event loop and the bot has a core of its own.

Phases:

1. flow check: two full reports, one after the other (fails loudly if the conversation changed);
2. memory: N conversations opened and left halfway (text typed); the bot's SessionStore is
   measured object by object (deep size), the process by RSS, live objects by type
   (``--tracemalloc FRAMES`` adds allocation sites, at several times the cost);
3. reports: a few workers file full reports (photo, Argon2id, commit) to the receipt: reports/s;
4. paced: W workers with exponential think times adding up to R updates/s (the goal's load),
   start times spread over the warm-up: latency per update at that load;
5. saturation: closed loop, each worker acts as soon as the bot answered: the most updates/s.

``--what-if`` tries a suggested fix of non-test code by monkeypatching this process only
(``lean-responses``; see ``apply_what_ifs``); the project's files stay as they are. Earlier
what-ifs (PTB over aiohttp, Argon2id on its own pool, parsing updates once) are now in the code.

How the time per update is measured (both, as the brief asks):

* **end-to-end, at the stand-in**: from the moment the stand-in hands the update to the bot (the
  ``getUpdates`` answer is built) to the moment the *last* Bot API request caused by that update
  arrives at the stand-in. Attribution is exact, not guessed from timing: the bot process wraps
  ``TelegramAdapter.on_update`` and sets a context variable to the update id; the bot's HTTP
  client (``bot.telegram.aiohttp_request``) copies it into an ``X-Bench-Update`` header, and the
  stand-in reads it. (Context variables follow every ``await`` of the handler, and PTB runs each
  update in its own task, so concurrent updates never mix.) Both time stamps are taken in the
  stand-in process.
* **in the bot**: how long ``TelegramAdapter.on_update`` runs (engine, Argon2id, photo cleaning,
  and waiting for the stand-in's answers to the bot's requests).

Also shown: "delivered -> handler starts" (PTB parsing the batch, queueing, and CPU contention; it
compares the two processes' ``time.monotonic()``, which on Linux is the system-wide
CLOCK_MONOTONIC) and "sent -> delivered" (how long an update waited at the stand-in for the bot's
next ``getUpdates``).

Also shown: CPU per update of the event-loop thread (``time.thread_time``), the most telling
figure when other processes share the machine, and how much CPU those other processes took.

Nothing here asserts on timing; it prints figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import contextvars
import gc
import io
import itertools
import math
import multiprocessing
import os
import platform
import random
import resource
import signal
import sys
import tempfile
import time
import traceback
import tracemalloc
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for _path in (ROOT / "tests", ROOT):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from fake_bot_api import FakeBotAPI, FakeUser  # noqa: E402  (needs tests/ on sys.path)

TOKEN = "987654321:BENCH-TOKEN-abcdefghijklmnopqrstuvwxyz012345"
UPDATE_HEADER = "X-Bench-Update"
FIRST_WORKER_ID = 6_100_000_000
REPORT_TEXT = (
    "My wages were cut by 2000 baht in October and the supervisor says it is for the dormitory, "
    "but nobody signed anything. When we asked, he said whoever complains will not get overtime "
    "next month. It happens on line 4 and line 5, day shift, to many of the migrant workers."
)
ARGON2_NOTE = "one Argon2id derivation (64 MiB) per report, in a thread"


class BenchError(Exception):
    """A failure worth one clear line (and the stand-in's traceback, if it has one)."""


# =================================================================================================
# The stand-in process: the fake Bot API and the simulated workers
# =================================================================================================


class TimedBotAPI(FakeBotAPI):
    """The fake Bot API, plus time stamps: when each update was sent, handed over, answered."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.label = "?"
        """What the next update is (set by a worker right before its action)."""
        self.enqueued: dict[int, tuple[float, str]] = {}
        self.delivered: dict[int, float] = {}
        self.last_request: dict[int, float] = {}
        self.requests: Counter[int] = Counter()
        self.untagged = 0
        self.receipts = 0
        """Receipts the bot sent, over the whole run (to compare with the cases stored)."""

    def _enqueue(self, kind: str, payload: dict[str, Any], chat_id: int) -> int:
        update_id = super()._enqueue(kind, payload, chat_id)
        self.enqueued[update_id] = (time.monotonic(), self.label)
        return update_id

    async def _get_updates(self, params: dict[str, Any], request: Any) -> list[dict[str, Any]]:
        batch = await super()._get_updates(params, request)
        now = time.monotonic()
        for update in batch:
            self.delivered.setdefault(update["update_id"], now)
        return batch

    async def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        sent = await super()._send_message(params)
        if str(params.get("text", "")).startswith("Your report has been sent."):
            self.receipts += 1
        return sent

    def _arrived(self, request: Any) -> None:
        tag = request.headers.get(UPDATE_HEADER)
        if tag is None:
            self.untagged += 1
            return
        update_id = int(tag)
        # One update's requests are made one after the other, so the latest is the last.
        self.last_request[update_id] = time.monotonic()
        self.requests[update_id] += 1

    async def _handle_method(self, request: Any) -> Any:
        if request.match_info.get("method", "").lower() != "getupdates":
            self._arrived(request)
        return await super()._handle_method(request)

    async def _handle_file(self, request: Any) -> Any:
        self._arrived(request)
        return await super()._handle_file(request)

    def forget(self) -> None:
        """Drop the time stamps (and the chats) of a finished phase: keeps the stand-in small."""
        self.enqueued.clear()
        self.delivered.clear()
        self.last_request.clear()
        self.requests.clear()
        self.calls.clear()
        self.users.clear()
        self._callbacks.clear()


class PhotoKit:
    """One phone photo with EXIF (GPS, serial), registered once in all of Telegram's sizes.

    ``FakeUser.send_photo`` makes the smaller sizes anew for every photo, which at 1280x960 costs
    the stand-in tens of milliseconds of CPU per report; a Telegram file id may be sent again by
    anyone, so every worker sends this same set.
    """

    def __init__(self, api: FakeBotAPI, width: int, height: int) -> None:
        self.jpeg = _phone_photo(width, height)
        self.sizes: list[dict[str, Any]] = []
        for side in (90, 320, 800):
            if max(width, height) <= side:
                continue
            small, dims = _thumbnail(self.jpeg, side)
            file = api.register_file(small, kind="photos", extension="jpg")
            self.sizes.append({**file.as_dict(), "width": dims[0], "height": dims[1]})
        full = api.register_file(self.jpeg, kind="photos", extension="jpg")
        self.sizes.append({**full.as_dict(), "width": width, "height": height})

    def send(self, user: FakeUser) -> int:
        return user._send({"photo": [dict(size) for size in self.sizes]})


def _phone_photo(width: int, height: int) -> bytes:
    """A JPEG about as heavy as a phone photo Telegram has compressed (textured, with EXIF)."""
    from PIL import ExifTags, Image

    noise = Image.effect_noise((width, height), 10)
    gradient = Image.linear_gradient("L").resize((width, height))
    image = Image.merge("RGB", (noise, gradient, Image.blend(noise, gradient, 0.5)))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "BenchPhone"
    exif[ExifTags.Base.BodySerialNumber] = "BENCH-SERIAL-42"
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (18.0, 34.0, 12.0),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (99.0, 0.0, 30.0),
    }
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, exif=exif)  # ~150 KB at 1280x960
    return out.getvalue()


def _thumbnail(jpeg: bytes, side: int) -> tuple[bytes, tuple[int, int]]:
    from PIL import Image

    with Image.open(io.BytesIO(jpeg)) as source:
        image = source.convert("RGB")
    image.thumbnail((side, side))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue(), image.size


class Pacer:
    """Think time: each worker waits an exponential pause before each action (none if rate is 0).

    With `workers` workers each pausing `workers / rate` seconds on average, their actions add up
    to Poisson arrivals at `rate` a second as long as the bot keeps up (a closed system: a slow bot
    gets fewer actions, as with real people waiting for an answer). Independent pauses, and start
    times spread over the warm-up, keep the workers from marching through the steps in lockstep
    (which would make every Argon2id of a round coincide).
    """

    def __init__(self, rate: float, workers: int, rng: random.Random) -> None:
        self.per_worker = rate / workers if rate > 0 else 0.0
        self.rng = rng

    async def slot(self) -> None:
        if self.per_worker > 0:
            await asyncio.sleep(self.rng.expovariate(self.per_worker))


def _message_with(fragment: str) -> Callable[[Any], bool]:
    return lambda message: message.text is not None and fragment in message.text


def _button_shown(user: FakeUser, label: str) -> Callable[[], bool]:
    def shown() -> bool:
        last = user.last_bot_message()
        return last is not None and label in last.button_texts()

    return shown


# One worker's whole conversation, as in tests/test_telegram_intake.py (without the voice note):
# (label, action, argument, what to wait for). Halfway = the first HALFWAY steps (text typed).
FLOW: tuple[tuple[str, str, str, Any], ...] = (
    ("/start", "command", "/start", None),
    ("language", "press", "English", "Telegram itself can see this chat"),
    ("safety info", "press", "I have read this", "Do you want to continue?"),
    ("consent", "press", "Yes, continue", "Which workplace"),
    ("workplace", "press", "Lamphun Plant 2", "What is the problem about?"),
    ("tick a box", "press", "▫️ Wages and deductions", ("button", "✅ Wages and deductions")),
    ("multi: Done", "press", "Done", "in danger"),
    ("danger: No", "press", "No", "What happened?"),
    ("text typed", "text", REPORT_TEXT, "When did it happen?"),
    ("date", "press", "This month", "how many workers"),
    ("number", "text", "12", "evidence"),
    ("photo", "photo", "", "1 file"),
    ("evidence: Done", "press", "Done", "What would you like to happen?"),
    ("outcome: Done", "press", "Done", "Please check your answers"),
    ("Send (seal)", "press", "Send", "receipt number"),
)
HALFWAY = 9
LABELS = [step[0] for step in FLOW]


class Stopped(Exception):
    """The phase is over: a worker stops before its next action."""


async def _walk(
    api: TimedBotAPI,
    user: FakeUser,
    kit: PhotoKit,
    pacer: Pacer,
    steps: Iterable[tuple[str, str, str, Any]],
    patience: float,
    stop: asyncio.Event,
) -> None:
    for label, action, argument, expect in steps:
        await pacer.slot()
        if stop.is_set():
            raise Stopped
        api.label = label  # read by _enqueue, which runs before the next await
        if action == "command":
            await user.send_command(argument)
        elif action == "text":
            await user.send_text(argument)
        elif action == "photo":
            kit.send(user)
        else:
            await user.press(argument)
        if isinstance(expect, tuple):
            await user.wait_until(_button_shown(user, expect[1]), timeout=patience)
        else:
            await user.wait_for_bot_message(
                _message_with(expect) if expect else None, timeout=patience
            )


class StandIn:
    """The stand-in process's state: the fake server, the photo, the worker ids."""

    def __init__(self, api: TimedBotAPI, kit: PhotoKit, seed: int) -> None:
        self.api = api
        self.kit = kit
        self.rng = random.Random(seed)
        self.ids = itertools.count(FIRST_WORKER_ID)

    def new_user(self) -> FakeUser:
        user_id = next(self.ids)
        return self.api.user(user_id, "Worker", language_code="th")

    async def run_workers(
        self,
        workers: int,
        rate: float,
        duration: float,
        warmup: float,
        patience: float,
        steps_taken: int = 0,
        conversations: int = 0,
    ) -> dict[str, Any]:
        """Workers go through conversations until time (or the count) is up, then stop."""
        api = self.api
        api.forget()
        steps = FLOW[:steps_taken] if steps_taken else FLOW
        pacer = Pacer(rate, workers, self.rng)
        finished: list[float] = []
        errors: list[str] = []
        started = itertools.count()
        failed = asyncio.Event()
        stop = asyncio.Event()

        async def worker(delay: float) -> None:
            if delay > 0:
                await asyncio.sleep(delay)
            while not (failed.is_set() or stop.is_set()):
                if conversations and next(started) >= conversations:
                    return
                user = self.new_user()
                try:
                    await _walk(api, user, self.kit, pacer, steps, patience, stop)
                except (asyncio.CancelledError, Stopped):
                    return
                except Exception as exc:  # a wrong answer or a timeout: the bot misbehaved
                    errors.append(f"{type(exc).__name__}: {exc}"[:4000])
                    failed.set()
                    return
                finished.append(time.monotonic())

        usage0 = resource.getrusage(resource.RUSAGE_SELF)
        begin = time.monotonic()
        spread = warmup if duration > 0 else 0.0  # timed phases: start times over the warm-up
        tasks = [asyncio.create_task(worker(self.rng.uniform(0, spread))) for _ in range(workers)]
        failure = asyncio.create_task(failed.wait())
        everyone = asyncio.gather(*tasks)
        # Timed: until the time is up. Counted: until every conversation is through. Either way
        # the first failure ends the phase at once.
        waiters: list[asyncio.Future[Any]] = [failure, everyone]
        await asyncio.wait(
            waiters,
            timeout=duration if duration > 0 else None,
            return_when=asyncio.FIRST_COMPLETED,
        )
        end = time.monotonic()
        # Stop the workers: a flag they check before each action, and cancellation for those
        # waiting on the bot (asyncio.wait_for in Python 3.11 can swallow a cancellation, so
        # cancel again until every worker is gone).
        stop.set()
        remaining = {failure, *tasks}
        while remaining:
            for task in remaining:
                task.cancel()
            _done, remaining = await asyncio.wait(remaining, timeout=1.0)
        with contextlib.suppress(BaseException):
            await everyone
        usage1 = resource.getrusage(resource.RUSAGE_SELF)
        # Let the bot finish what it was given (the abandoned conversations stay open in it).
        try:
            await api.wait_idle(timeout=max(30.0, patience), quiet=0.3)
        except AssertionError as exc:
            errors.append(f"the bot did not become idle: {exc}")
        window = (begin + warmup, end) if duration > 0 else (begin, end)
        rows = []
        for update_id, (sent, label) in api.enqueued.items():
            if window[0] <= sent <= window[1]:
                rows.append(
                    (
                        update_id,
                        label,
                        sent,
                        api.delivered.get(update_id),
                        api.last_request.get(update_id),
                        api.requests.get(update_id, 0),
                    )
                )
        cpu = (usage1.ru_utime - usage0.ru_utime) + (usage1.ru_stime - usage0.ru_stime)
        return {
            "begin": begin,
            "end": end,
            "window": window,
            "updates": rows,
            "updates_sent": len(api.enqueued),
            "conversations_finished": len(finished),
            "finished_in_window": sum(1 for t in finished if window[0] <= t <= window[1]),
            "errors": errors,
            "cpu_seconds": cpu,
            "untagged_requests": api.untagged,
            "receipts_sent": api.receipts,
        }


async def _stand_in_main(conn: Any, token: str, photo: tuple[int, int], seed: int) -> None:
    api = TimedBotAPI(token=token)
    await api.start()
    kit = PhotoKit(api, *photo)
    stand_in = StandIn(api, kit, seed)
    loop = asyncio.get_running_loop()
    pipe = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bench-pipe")
    watchdog = asyncio.create_task(_exit_with_parent())
    conn.send({"ok": True, "port": api.port, "pid": os.getpid(), "photo_bytes": len(kit.jpeg)})
    try:
        while True:
            try:
                command = await loop.run_in_executor(pipe, conn.recv)
            except (EOFError, OSError):
                return  # the bot process is gone
            if command.get("cmd") == "stop":
                return
            try:
                result = await stand_in.run_workers(**command["args"])
                conn.send({"ok": True, "result": result})
            except Exception:
                conn.send({"ok": False, "error": traceback.format_exc()})
    finally:
        watchdog.cancel()
        await api.stop()
        pipe.shutdown(wait=False, cancel_futures=True)


async def _exit_with_parent() -> None:
    """If the bot process dies mid-phase (killed), do not linger: nobody will read our answer."""
    parent = os.getppid()
    while True:
        await asyncio.sleep(0.5)
        if os.getppid() != parent:
            os._exit(3)


def stand_in_process(conn: Any, token: str, photo: tuple[int, int], seed: int) -> None:
    """Entry point of the stand-in process (module level, so that spawn can find it)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the bot process decides when we stop
    try:
        asyncio.run(_stand_in_main(conn, token, photo, seed))
    except Exception:
        with contextlib.suppress(Exception):
            conn.send({"ok": False, "error": traceback.format_exc()})
        raise


# =================================================================================================
# The bot process
# =================================================================================================

CURRENT_UPDATE: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "bench_current_update", default=None
)


class BotTimer:
    """Wraps TelegramAdapter.on_update: when each update's handler ran, and how many are running."""

    def __init__(self) -> None:
        self.spans: dict[int, tuple[float, float]] = {}
        self.running = 0
        self.raised = 0

    def install(self) -> Callable[[], None]:
        from bot.telegram.adapter import TelegramAdapter

        original = TelegramAdapter.on_update
        timer = self

        async def on_update(adapter: Any, update: Any, context: Any) -> None:
            started = time.monotonic()
            timer.running += 1
            token = CURRENT_UPDATE.set(update.update_id)
            try:
                await original(adapter, update, context)
            except BaseException:
                timer.raised += 1
                raise
            finally:
                CURRENT_UPDATE.reset(token)
                timer.running -= 1
                timer.spans[update.update_id] = (started, time.monotonic())

        TelegramAdapter.on_update = on_update  # type: ignore[method-assign,assignment]

        def uninstall() -> None:
            TelegramAdapter.on_update = original  # type: ignore[method-assign]

        return uninstall

    async def settle(self, limit: float = 30.0) -> None:
        """Wait until no handler is running (the stand-in already saw the bot go quiet)."""
        deadline = time.monotonic() + limit
        while self.running:
            if time.monotonic() > deadline:
                raise BenchError(f"{self.running} update handler(s) still running after {limit} s")
            await asyncio.sleep(0.02)


def tag_requests(application: Any) -> None:
    """Make every Bot API request carry the id of the update whose handler made it."""
    import bot.telegram.aiohttp_request as sender

    if not isinstance(application.bot.request, sender.AiohttpRequest):
        raise BenchError("cannot tag Bot API requests: the bot no longer sends through aiohttp")
    body = sender._body

    def tagged(request_data: Any) -> tuple[Any, dict[str, str] | None]:
        data, headers = body(request_data)
        update_id = CURRENT_UPDATE.get()
        if update_id is not None:
            headers = {**(headers or {}), UPDATE_HEADER: str(update_id)}
        return data, headers

    sender._body = tagged


class LogSink(io.TextIOBase):
    """Where the bot's (redacted) log lines go: counted by level, the first few kept."""

    def __init__(self) -> None:
        self.levels: Counter[str] = Counter()
        self.first: list[str] = []

    def write(self, text: str) -> int:
        for line in text.splitlines():
            if line.strip():
                self.levels[line.split(" ", 1)[0]] += 1
                if len(self.first) < 8:
                    self.first.append(line)
        return len(text)


class Pipe:
    """The bot process's end of the pipe to the stand-in, usable from the event loop."""

    def __init__(self, conn: Any, process: Any) -> None:
        self.conn = conn
        self.process = process
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bench-pipe")

    def receive(self, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while not self.conn.poll(0.2):
            if not self.process.is_alive():
                raise BenchError(f"the stand-in process died (exit code {self.process.exitcode})")
            if time.monotonic() > deadline:
                raise BenchError(f"no answer from the stand-in process in {timeout:.0f} s")
        try:
            answer: dict[str, Any] = self.conn.recv()
        except EOFError:
            raise BenchError("the stand-in process closed the pipe") from None
        if not answer.get("ok"):
            raise BenchError(f"the stand-in process failed:\n{answer.get('error')}")
        return answer

    async def ask(self, wait: float, **args: Any) -> dict[str, Any]:
        self.conn.send({"cmd": "run", "args": args})
        loop = asyncio.get_running_loop()
        answer = await loop.run_in_executor(self.executor, self.receive, wait)
        result: dict[str, Any] = answer["result"]
        return result

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.send({"cmd": "stop"})
        self.executor.shutdown(wait=False, cancel_futures=True)


class StubSubmitter:
    """`--submitter stub`: a receipt without Argon2id, sealing or the database (diagnosis only)."""

    def __init__(self, *args: Any) -> None:
        pass

    async def submit(self, draft: Any) -> str:
        from crypto.receipts import new_receipt

        return new_receipt()


# ----- figures ----------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not values:
        return math.nan
    rank = max(1, math.ceil(q / 100 * len(values)))
    return values[min(rank, len(values)) - 1]


def ms(seconds: float) -> str:
    return "   n/a" if math.isnan(seconds) else f"{seconds * 1000:6.1f}"


def distribution(values: Iterable[float]) -> tuple[str, list[float]]:
    ordered = sorted(values)
    text = (
        f"p50 {ms(percentile(ordered, 50))}  p90 {ms(percentile(ordered, 90))}  "
        f"p99 {ms(percentile(ordered, 99))}  max {ms(ordered[-1] if ordered else math.nan)} ms"
        f"  (n={len(ordered)})"
    )
    return text, ordered


def rss_bytes() -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def mib(n: float) -> str:
    return f"{n / 2**20:.1f} MiB"


def machine_busy_seconds() -> float:
    """CPU seconds all processes of the machine have used since boot (from /proc/stat)."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return math.nan
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    busy = sum(fields[:8]) - idle  # user nice system idle iowait irq softirq steal
    return busy / os.sysconf("SC_CLK_TCK")


class CpuClock:
    """CPU used by this process (all threads), by the event loop's thread, by the whole machine."""

    def __init__(self) -> None:
        self.process = time.process_time()
        self.loop_thread = time.thread_time()  # called on the event loop's thread
        self.machine = machine_busy_seconds()

    def since(self) -> tuple[float, float, float]:
        return (
            time.process_time() - self.process,
            time.thread_time() - self.loop_thread,
            machine_busy_seconds() - self.machine,
        )


def timed_phase_report(
    title: str,
    result: dict[str, Any],
    timer: BotTimer,
    cpu: tuple[float, float, float],
    handled: int,
    wall: float,
    per_label: bool,
) -> dict[str, float]:
    """Print one timed phase; return its headline figures."""
    w0, w1 = result["window"]
    span = max(w1 - w0, 1e-9)
    rows = result["updates"]
    e2e: list[float] = []
    in_bot: list[float] = []
    before_handler: list[float] = []
    waited: list[float] = []
    requests = 0
    without_request = 0
    by_label: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for update_id, label, sent, delivered, last, count in rows:
        requests += count
        spans = timer.spans.get(update_id)
        if delivered is not None:
            waited.append(delivered - sent)
        if delivered is not None and last is not None:
            e2e.append(last - delivered)
        elif delivered is not None:
            without_request += 1
        if spans is not None:
            in_bot.append(spans[1] - spans[0])
            if delivered is not None:
                before_handler.append(spans[0] - delivered)
        if delivered is not None and last is not None and spans is not None:
            by_label[label].append((last - delivered, spans[1] - spans[0]))
    processed = sum(1 for _id, (_s, end) in timer.spans.items() if w0 <= end <= w1)
    updates_per_s = processed / span
    reports_per_s = result["finished_in_window"] / span
    e2e_text, e2e_sorted = distribution(e2e)
    no_send = sorted(
        v for label, pairs in by_label.items() if label != "Send (seal)" for v, _ in pairs
    )
    print(f"\n== {title}")
    print(
        f"   window measured: {span:.1f} s (after the warm-up); updates the workers sent in it: "
        f"{len(rows)} ({len(rows) / span:.1f}/s)"
    )
    print(f"   updates processed by the bot: {updates_per_s:8.1f} /s  ({processed} in the window)")
    print(
        f"   completed reports (to the receipt): {reports_per_s:6.2f} /s  "
        f"({result['finished_in_window']} in the window, {result['conversations_finished']} in all)"
    )
    print(
        f"   Bot API requests per update: {requests / max(len(rows), 1):.2f}"
        + (f"; updates without any request: {without_request}" if without_request else "")
    )
    print("   time per update")
    print(f"     end-to-end (handed over -> last request arrives): {e2e_text}")
    print(f"       the same without the Send (Argon2id) update:  {distribution(no_send)[0]}")
    print(f"     in the bot (on_update runs):                      {distribution(in_bot)[0]}")
    print(
        f"     handed over -> on_update starts:                  {distribution(before_handler)[0]}"
    )
    print(f"     user sends -> handed over (waits for getUpdates): {distribution(waited)[0]}")
    if per_label and by_label:
        print("   by step (end-to-end | in the bot), ms:")
        for label in LABELS:
            pairs = by_label.get(label)
            if not pairs:
                continue
            ends = sorted(p[0] for p in pairs)
            bots = sorted(p[1] for p in pairs)
            print(
                f"     {label:<16} p50 {ms(percentile(ends, 50))} p99 {ms(percentile(ends, 99))}"
                f"  | p50 {ms(percentile(bots, 50))} p99 {ms(percentile(bots, 99))}"
                f"   n={len(pairs)}"
            )
    process_cpu, loop_cpu, machine_cpu = cpu
    others = machine_cpu - process_cpu - result["cpu_seconds"]
    loop_ms = 1000 * loop_cpu / max(handled, 1)
    print(
        f"   CPU over {wall:.1f} s: bot process {process_cpu / wall:.0%} of a core (event-loop "
        f"thread {loop_cpu / wall:.0%}, other threads {max(process_cpu - loop_cpu, 0) / wall:.0%});"
        f" stand-in process {result['cpu_seconds'] / wall:.0%};"
        f" other processes on the machine {others / wall:.0%}"
    )
    print(
        f"   event-loop CPU per update: {loop_ms:.2f} ms -> at most"
        f" ~{1000 / max(loop_ms, 1e-6):.0f} updates/s if the loop had a core to itself"
        " (Argon2id, photo cleaning and SQLite run in other threads)"
    )
    return {
        "updates_per_s": updates_per_s,
        "reports_per_s": reports_per_s,
        "p50": percentile(e2e_sorted, 50),
        "p99": percentile(e2e_sorted, 99),
        "p99_no_send": percentile(no_send, 99),
        "loop_ms_per_update": loop_ms,
        "others": others / wall,
    }


def reports_report(
    args: argparse.Namespace, result: dict[str, Any], cpu: tuple[float, float, float]
) -> float:
    """Print the reports phase; return completed reports per second."""
    elapsed = float(result["end"] - result["begin"])
    count = int(result["conversations_finished"])
    sends = sorted(
        last - delivered
        for _id, label, _sent, delivered, last, _n in result["updates"]
        if label == "Send (seal)" and delivered is not None and last is not None
    )
    rate = count / max(elapsed, 1e-9)
    print(
        f"\n== reports: {count} full reports by {args.report_workers} workers, each acting as soon"
        f" as the bot answered ({len(FLOW)} updates a report, one photo, one Argon2id)"
    )
    print(
        f"   completed reports: {rate:.2f}/s ({elapsed:.1f} s in all; "
        f"{elapsed * args.report_workers / max(count, 1):.2f} s per report per worker)"
    )
    print(f"   the Send update (Argon2id, sealing, commit, receipt): {distribution(sends)[0]}")
    print(
        f"   CPU: bot process {cpu[0] / elapsed:.0%} of a core (event-loop thread "
        f"{cpu[1] / elapsed:.0%}); other processes on the machine "
        f"{(cpu[2] - cpu[0] - result['cpu_seconds']) / elapsed:.0%}"
    )
    return rate


def _group(filename: str) -> str:
    """A traced allocation's file, as a short name: project file, or third-party package."""
    path = Path(filename)
    with contextlib.suppress(ValueError):
        relative = path.relative_to(ROOT)
        if relative.parts and relative.parts[0] not in (".venv",):
            return str(relative)
    parts = path.parts
    if "site-packages" in parts:
        return parts[parts.index("site-packages") + 1] + " (package)"
    if filename.startswith("<"):
        return filename
    return (parts[-2] + "/" if len(parts) > 1 and parts[-2] != "python3.11" else "") + parts[-1]


def memory_breakdown(snapshot: tracemalloc.Snapshot, per: float) -> list[str]:
    """Retained bytes grouped by the innermost project frame (else the innermost frame)."""
    project = (
        str(ROOT / "handlers"),
        str(ROOT / "bot"),
        str(ROOT / "crypto"),
        str(ROOT / "storage"),
    )
    groups: Counter[str] = Counter()
    for trace in snapshot.traces:
        frames = trace.traceback  # most recent call first
        where = next((f for f in frames if f.filename.startswith(project)), None)
        if where is not None:
            key = f"{_group(where.filename)}:{where.lineno}"
        else:
            key = _group(frames[0].filename)
        groups[key] += trace.size
    return [f"{size / per / 1024:8.1f} KiB  {key}" for key, size in groups.most_common(8)]


def print_profile(path: str, updates: int) -> None:
    """The event loop thread's hot spots in the paced phase (cProfile inflates small calls)."""
    import pstats

    stream = io.StringIO()
    stats = pstats.Stats(path, stream=stream)
    stats.sort_stats("tottime").print_stats(18)
    stats.sort_stats("cumulative").print_stats(40)
    print(
        f"\n== cProfile of the event-loop thread, paced phase ({updates} updates), saved to {path}"
    )
    for line in stream.getvalue().splitlines():
        if line.strip() and not line.startswith(("   Ordered by", "   List reduced")):
            print(f"   {line[:150]}")


def deep_size(root: object) -> int:
    """Bytes of `root` and everything it alone leads to (shared things are skipped)."""
    import types

    skip = (
        type,
        types.ModuleType,
        types.FunctionType,
        types.MethodType,
        types.BuiltinFunctionType,
        asyncio.AbstractEventLoop,
        types.FrameType,
        types.CodeType,
    )
    seen: set[int] = set()
    stack = [root]
    total = 0
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, skip) or obj is None:
            continue
        seen.add(id(obj))
        total += sys.getsizeof(obj)
        stack.extend(gc.get_referents(obj))
    return total


def object_counts() -> Counter[str]:
    """Live objects tracked by the garbage collector, by type name."""
    return Counter(type(obj).__qualname__ for obj in gc.get_objects())


async def memory_phase(args: argparse.Namespace, pipe: Pipe, timer: BotTimer, store: Any) -> None:
    """Open conversations, leave them halfway, and see what the bot process holds for them."""
    # Warm-up: as many conversations as will be open at a time, so that connection pools,
    # caches and the allocator's arenas have grown before the baseline is taken.
    warm = await pipe.ask(
        wait=120 + args.open_concurrency * 2,
        workers=args.open_concurrency,
        rate=0,
        duration=0,
        warmup=0,
        patience=args.timeout,
        steps_taken=args.open_steps,
        conversations=args.open_concurrency,
    )
    if warm["errors"]:
        raise BenchError("opening conversations failed:\n" + warm["errors"][0])
    await timer.settle()
    gc.collect()
    sessions_before = len(store)
    store_before = deep_size(store._sessions)
    counts_before = object_counts()
    rss0 = rss_bytes()
    if args.tracemalloc:
        tracemalloc.start(args.tracemalloc)
    started = time.monotonic()
    try:
        opened = await pipe.ask(
            wait=120 + args.conversations * 2,
            workers=args.open_concurrency,
            rate=0,
            duration=0,
            warmup=0,
            patience=args.timeout,
            steps_taken=args.open_steps,
            conversations=args.conversations,
        )
        took = time.monotonic() - started
        if opened["errors"]:
            raise BenchError("opening conversations failed:\n" + opened["errors"][0])
        await timer.settle()
        gc.collect()
        rss1 = rss_bytes()
        traced = 0
        snapshot = None
        if args.tracemalloc:
            traced = tracemalloc.get_traced_memory()[0]
            rss1 -= tracemalloc.get_tracemalloc_memory()
            snapshot = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    store_after = deep_size(store._sessions)
    counts_after = object_counts()
    count = opened["conversations_finished"]
    per = max(count, 1) / 1000
    print(
        f"\n== memory: {count} conversations opened and left after {args.open_steps} updates "
        f"(last: {FLOW[args.open_steps - 1][0]!r}); {took:.1f} s, "
        f"{args.open_concurrency} at a time"
        + (f", tracemalloc on ({args.tracemalloc} frames)" if args.tracemalloc else "")
    )
    print(f"   sessions held by the bot (SessionStore): +{len(store) - sessions_before}")
    print(
        f"   the conversations' own objects (deep size of SessionStore): "
        f"{mib((store_after - store_before) / per)} per 1,000 open conversations "
        f"({(store_after - store_before) / max(count, 1) / 1024:.1f} KiB each)"
    )
    print(
        f"   process RSS growth: {mib((rss1 - rss0) / per)} per 1,000 "
        f"({mib(rss1 - rss0)} for {count}; includes allocator slack and caches warming up)"
    )
    if args.tracemalloc and snapshot is not None:
        print(
            f"   Python allocations still alive (tracemalloc): {mib(traced / per)} per 1,000; by"
            " innermost project line:"
        )
        for line in memory_breakdown(snapshot, per):
            print(f"     {line}")
    growth = counts_after - counts_before
    print(
        "   objects that grew (garbage-collected kinds; per 1,000 conversations): "
        + ", ".join(f"{name} +{n / per:.0f}" for name, n in growth.most_common(8))
    )


# ----- what-ifs: a suggested fix tried in this process only, never in the project's files -------


def apply_what_ifs(items: list[str]) -> list[str]:
    """Monkeypatch this bench process to try out a fix; returns what was applied, for the output."""
    applied = []
    for item in items:
        if item == "lean-responses":
            # What reading only `message_id` from the raw JSON would save: PTB builds a whole
            # Message (keyboard and all) from every sendMessage/edit* answer, and the adapter
            # only ever reads `message_id` (in Bot._send_message, the one place).
            import telegram._bot as ptb_bot
            from telegram import Message

            class LeanMessage(Message):
                @classmethod
                def de_json(cls, data: Any, bot: Any = None) -> Any:
                    kept = {key: data[key] for key in ("message_id", "date", "chat") if key in data}
                    return Message.de_json(kept, bot)

            ptb_bot.Message = LeanMessage  # type: ignore[attr-defined]
            applied.append(
                "lean-responses: answers to sendMessage/edit* parsed down to message_id (as "
                "reading the raw JSON would)"
            )
        else:
            raise BenchError(f"unknown --what-if {item!r} (lean-responses)")
    return applied


# ----- the run ----------------------------------------------------------------------------------


def measure_argon2(parallel: int) -> tuple[float, float]:
    """Seconds per derivation alone, and derivations/s with `parallel` threads at once."""
    from crypto.receipts import derive_case_keys, new_receipt, new_salt

    salt = new_salt()
    derive_case_keys(new_receipt(), salt)  # warm
    runs = 3
    started = time.perf_counter()
    for _ in range(runs):
        derive_case_keys(new_receipt(), salt)
    alone = (time.perf_counter() - started) / runs
    jobs = parallel * 2
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        started = time.perf_counter()
        list(pool.map(lambda _i: derive_case_keys(new_receipt(), salt), range(jobs)))
        rate = jobs / (time.perf_counter() - started)
    return alone, rate


async def bot_main(args: argparse.Namespace, pipe: Pipe, hello: dict[str, Any], tmp: str) -> int:
    for line in apply_what_ifs(args.what_if):  # before bot.service is imported
        print(f"WHAT-IF (not the project's code as it is): {line}")
    from deployment import register_partner
    from sqlalchemy import func, select
    from telegram.ext import AIORateLimiter

    from bot import logs
    from bot.config import Config
    from bot.database import open_database
    from bot.service import RATE_LIMIT_RETRIES, running_bot
    from crypto.keys import new_partner_key, new_signing_key, verify_key_text
    from storage.models import Case

    cores = os.cpu_count() or 1
    if not args.skip_argon2:
        alone, rate = measure_argon2(cores)
        print(
            f"\nArgon2id alone (crypto.receipts.derive_case_keys, bot not running): "
            f"{alone * 1000:.0f} ms per derivation; {rate:.1f} derivations/s with {cores} threads"
            f"\n   -> ceiling for completed reports/s on this machine, whatever else: ~{rate:.0f}/s"
        )

    url = f"sqlite:///{Path(tmp) / 'grievance.sqlite3'}"
    signing_key, partner_key = new_signing_key(), new_partner_key()
    await register_partner(url, signing_key, partner_key)
    sink = LogSink()
    logs.configure(args.log_level, secrets=(TOKEN,), stream=sink)  # type: ignore[arg-type]
    config = Config(
        data_dir=Path(tmp) / "data",
        database_url=url,
        admin_verify_key_text=verify_key_text(signing_key.verify_key),
        telegram_token=TOKEN,
        telegram_api_url=f"http://127.0.0.1:{hello['port']}",
        http_listen="127.0.0.1:0",
        log_level=args.log_level,
    )
    # Telegram's caps off: this measures the bot, not Telegram's 30 messages a second.
    limiter = AIORateLimiter(overall_max_rate=0, group_max_rate=0, max_retries=RATE_LIMIT_RETRIES)
    overrides: dict[str, Any] = {}
    if args.submitter == "stub":
        overrides["submitter_factory"] = StubSubmitter
    timer = BotTimer()
    uninstall = timer.install()
    headline: dict[str, dict[str, float]] = {}
    headline_reports: float | None = None
    receipts = 0
    try:
        async with running_bot(
            config, rate_limiter=limiter, poll_timeout=args.poll_timeout, **overrides
        ) as service:
            tag_requests(service.application)
            print(f"\nbot running (pid {os.getpid()}); stand-in on port {hello['port']}")

            # 1. Flow check: two whole reports, one after the other; fails loudly if the flow broke.
            started = time.monotonic()
            check = await pipe.ask(
                wait=60 + args.timeout * 2 * len(FLOW),
                workers=1,
                rate=0,
                duration=0,
                warmup=0,
                patience=args.timeout,
                conversations=2,
            )
            if check["errors"]:
                raise BenchError("flow check failed:\n" + check["errors"][0])
            await timer.settle()
            receipts = check["receipts_sent"]
            print(
                f"flow check: {check['conversations_finished']} reports, one after the other, in "
                f"{time.monotonic() - started:.2f} s ({len(FLOW)} updates each)"
            )

            # 2. Memory per open conversation.
            if args.conversations > 0:
                await memory_phase(args, pipe, timer, service.store)

            # 3. Completed reports per second: a few workers, each report to its receipt.
            if args.reports > 0:
                await timer.settle()
                clock = CpuClock()
                done = await pipe.ask(
                    wait=120 + args.reports * len(FLOW) * 2,
                    workers=args.report_workers,
                    rate=0,
                    duration=0,
                    warmup=0,
                    patience=args.timeout,
                    conversations=args.reports,
                )
                if done["errors"]:
                    raise BenchError("reports phase failed:\n" + done["errors"][0])
                await timer.settle()
                receipts = done["receipts_sent"]
                headline_reports = reports_report(args, done, clock.since())

            # 4. Paced: the goal's load, Poisson arrivals.
            if args.duration > 0:
                await timer.settle()
                profiler = None
                if args.cprofile:
                    import cProfile

                    profiler = cProfile.Profile()
                    profiler.enable()  # this thread only: the event loop's
                clock, handled0, started = CpuClock(), len(timer.spans), time.monotonic()
                paced = await pipe.ask(
                    wait=args.duration + 120,
                    workers=args.workers,
                    rate=args.rate,
                    duration=args.duration,
                    warmup=args.warmup,
                    patience=args.timeout,
                )
                cpu, wall = clock.since(), time.monotonic() - started
                if profiler is not None:
                    profiler.disable()
                    profiler.dump_stats(args.cprofile)
                    print_profile(args.cprofile, len(timer.spans) - handled0)
                if paced["errors"]:
                    raise BenchError("paced phase failed:\n" + paced["errors"][0])
                await timer.settle()
                receipts = paced["receipts_sent"]
                offered = (
                    f"Poisson arrivals at {args.rate:g} updates/s overall"
                    if args.rate > 0
                    else "closed loop, no think time"
                )
                headline["paced"] = timed_phase_report(
                    f"paced: {args.workers} workers, {offered}, {args.duration:g} s",
                    paced,
                    timer,
                    cpu,
                    len(timer.spans) - handled0,
                    wall,
                    per_label=True,
                )

            # 5. Saturation: closed loop, as fast as the bot answers.
            if args.saturate_duration > 0:
                await timer.settle()
                clock, handled0, started = CpuClock(), len(timer.spans), time.monotonic()
                saturated = await pipe.ask(
                    wait=args.saturate_duration + 120,
                    workers=args.saturate_workers,
                    rate=0,
                    duration=args.saturate_duration,
                    warmup=args.warmup,
                    patience=args.timeout,
                )
                cpu, wall = clock.since(), time.monotonic() - started
                if saturated["errors"]:
                    raise BenchError("saturation phase failed:\n" + saturated["errors"][0])
                await timer.settle()
                receipts = saturated["receipts_sent"]
                headline["saturation"] = timed_phase_report(
                    f"saturation: {args.saturate_workers} workers, closed loop (each acts as "
                    f"soon as the bot answered), {args.saturate_duration:g} s",
                    saturated,
                    timer,
                    cpu,
                    len(timer.spans) - handled0,
                    wall,
                    per_label=False,
                )

            if args.submitter == "real":
                async with open_database(url) as sessions, sessions() as session:
                    stored = await session.scalar(select(func.count()).select_from(Case))
                print(f"\ncases committed: {stored}; receipts the bot sent: {receipts}")
                if stored != receipts:
                    print(f"WARNING: {receipts} receipts sent but {stored} cases stored")
    finally:
        uninstall()

    print(
        f"bot log lines: {dict(sink.levels) or 'none'}; update handlers that raised: {timer.raised}"
        f"; peak RSS of the bot process: {mib(peak_rss_bytes())}"
    )
    for line in sink.first:
        print(f"   {line}")

    if headline:
        print("\n== summary")
        for name, figures in headline.items():
            print(
                f"   {name}: {figures['updates_per_s']:.0f} updates/s; end-to-end p50 "
                f"{figures['p50'] * 1000:.1f} ms, p99 {figures['p99'] * 1000:.1f} ms (without the"
                f" Send update: {figures['p99_no_send'] * 1000:.1f} ms);"
                f" {figures['reports_per_s']:.1f} reports/s; event loop"
                f" {figures['loop_ms_per_update']:.2f} ms CPU per update; other processes used"
                f" {figures['others']:.0%} of a core meanwhile"
            )
        if headline_reports is not None:
            print(f"   completed reports (to the receipt): {headline_reports:.1f}/s")
        best = max(h["updates_per_s"] for h in headline.values())
        p99 = headline.get("paced", next(iter(headline.values())))["p99"]
        verdict = "met" if best >= 300 and p99 < 0.050 else "NOT met"
        print(
            f"   goal (>= 300 updates/s, p99 < 50 ms per update at the paced load): {verdict} "
            f"(best {best:.0f} updates/s, paced p99 {p99 * 1000:.0f} ms)"
        )
    return 0


# =================================================================================================
# Command line
# =================================================================================================


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Simulated workers file reports through the real bot; prints figures.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--workers", type=int, default=100, help="workers in the paced phase")
    parser.add_argument(
        "--rate",
        type=float,
        default=300.0,
        help="updates/s the paced workers send overall (Poisson); 0 = closed loop",
    )
    parser.add_argument("--duration", type=float, default=12.0, help="paced phase, s (0 skips)")
    parser.add_argument(
        "--reports", type=int, default=18, help="full reports in the reports phase (0 skips)"
    )
    parser.add_argument("--report-workers", type=int, default=6)
    parser.add_argument("--saturate-workers", type=int, default=16)
    parser.add_argument(
        "--saturate-duration", type=float, default=8.0, help="saturation phase, s (0 skips)"
    )
    parser.add_argument(
        "--conversations",
        type=int,
        default=100,
        help="conversations opened and left halfway for the memory figure (0 skips); the figure "
        "is per 1,000, e.g. --conversations 2000 for the full measure (minutes at today's speed)",
    )
    parser.add_argument(
        "--open-steps",
        type=int,
        default=HALFWAY,
        help=f"steps each conversation goes through in the memory phase ({HALFWAY}: halfway, "
        f"~{len(REPORT_TEXT)} characters typed; 12: the photo is in the draft too)",
    )
    parser.add_argument(
        "--open-concurrency", type=int, default=10, help="conversations being opened at a time"
    )
    parser.add_argument(
        "--warmup", type=float, default=2.0, help="seconds left out at the start of a timed phase"
    )
    parser.add_argument("--photo", default="1280x960", help="the photo each worker sends, WxH")
    parser.add_argument(
        "--submitter",
        choices=("real", "stub"),
        default="real",
        help="stub: no Argon2id, sealing or database (to see the bot without them)",
    )
    parser.add_argument("--timeout", type=float, default=30.0, help="longest wait for one answer")
    parser.add_argument("--poll-timeout", type=int, default=1, help="getUpdates long-poll timeout")
    parser.add_argument("--log-level", default="INFO")
    parser.add_argument(
        "--tracemalloc",
        type=int,
        default=0,
        metavar="FRAMES",
        help="also trace allocations in the memory phase (slow: the bot runs several times slower)",
    )
    parser.add_argument("--skip-argon2", action="store_true", help="skip the Argon2id timing")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--cprofile", metavar="FILE", help="profile the bot's event-loop thread in the paced phase"
    )
    parser.add_argument(
        "--what-if",
        action="append",
        default=[],
        metavar="FIX",
        help="try a suggested fix by monkeypatching this run only: sniffio, pool=N, aiohttp, "
        "argon2=N, lean-responses, single-parse (repeatable)",
    )
    args = parser.parse_args(argv)
    try:
        width, height = (int(n) for n in args.photo.lower().split("x"))
    except ValueError:
        parser.error(f"--photo must be WIDTHxHEIGHT, not {args.photo!r}")
    if not (16 <= width <= 4096 and 16 <= height <= 4096):
        parser.error("--photo sides must be 16..4096 pixels")
    args.photo_size = (width, height)
    if not 1 <= args.open_steps < len(FLOW):
        parser.error(f"--open-steps must be 1..{len(FLOW) - 1}")
    for name in ("workers", "saturate_workers", "open_concurrency", "report_workers"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.warmup >= args.duration > 0 or args.warmup >= args.saturate_duration > 0:
        parser.error("--warmup must be shorter than the phases")
    return args


def _load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM: the same clean shutdown as Ctrl-C


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    with contextlib.suppress(AttributeError, ValueError):
        sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    import telegram

    cores = os.cpu_count() or 1
    clock = time.get_clock_info("monotonic")
    print("intake benchmark: simulated workers -> stand-in Bot API -> real PTB Application")
    print(
        f"machine: {cores} CPU(s) ({len(os.sched_getaffinity(0))} usable), {platform.machine()}, "
        f"{platform.system()} {platform.release()}; Python {platform.python_version()}; "
        f"python-telegram-bot {telegram.__version__}; clock {clock.implementation}"
    )
    print(
        f"settings: memory {args.conversations} conversations ({args.open_concurrency} at a "
        f"time); reports {args.reports} by {args.report_workers} workers; paced {args.workers} "
        f"workers at {args.rate:g} updates/s for {args.duration:g} s; saturation "
        f"{args.saturate_workers} workers for {args.saturate_duration:g} s;\n          warm-up "
        f"{args.warmup:g} s; photo {args.photo}; submitter {args.submitter}; getUpdates timeout "
        f"{args.poll_timeout} s; log level {args.log_level}; seed {args.seed}"
        + (f"; what-if {', '.join(args.what_if)}" if args.what_if else "")
    )
    print(f"command line: {' '.join([Path(sys.executable).name, *sys.argv])}")
    print(
        "notes: PTB's AIORateLimiter runs with its caps OFF (overall_max_rate=0, "
        "group_max_rate=0), so Telegram's ~30 messages/s does not apply: this measures the bot."
        "\n       The stand-in Bot API and the simulated workers run in a separate process (own "
        "core); SQLite in a temporary folder;\n       "
        f"{ARGON2_NOTE}; each full report = {len(FLOW)} updates incl. one photo."
    )
    print(
        f"load average before the run: {_load()} (other processes on the machine skew the figures)"
    )
    if "CLOCK_MONOTONIC" not in clock.implementation:
        print("warning: time.monotonic() is not CLOCK_MONOTONIC; cross-process figures are off")
    sys.stdout.flush()

    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    process = context.Process(
        target=stand_in_process,
        args=(theirs, TOKEN, args.photo_size, args.seed),
        name="bench-stand-in",
        daemon=True,
    )
    process.start()
    theirs.close()
    pipe = Pipe(ours, process)
    code = 1
    try:
        hello = pipe.receive(timeout=60)
        print(f"stand-in Bot API ready (pid {hello['pid']}), photo {hello['photo_bytes']} bytes")
        with tempfile.TemporaryDirectory(prefix="grievance-bench-") as tmp:
            code = asyncio.run(bot_main(args, pipe, hello, tmp))
    except BenchError as exc:
        print(f"\nbenchmark failed: {exc}", file=sys.stderr)
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        code = 130
    finally:
        pipe.close()
        print(f"load average after the run: {_load()}")
        process.join(timeout=10 if code != 130 else 0.5)  # interrupted: it may be mid-phase
        if process.is_alive():
            process.terminate()
            process.join(timeout=5)
    return code


if __name__ == "__main__":
    sys.exit(main())
