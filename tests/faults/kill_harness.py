"""The test side of the zygote (tests/faults/zygote.py): start service processes, SIGKILL them.

The test process runs an event loop (the stand-in Bot API, the checks), so it never forks
itself: it spawns the zygote once (one interpreter start), and the zygote forks each service
process. The test sends the SIGKILL itself, at the moment it chose, then has the zygote reap
the child: a kill is complete only when the process is gone.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp

from bot.config import Config

ZYGOTE = Path(__file__).with_name("zygote.py")
ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT_SECONDS = 30.0


class ChildDied(AssertionError):
    """A service process ended before the test killed it: it crashed on its own."""


@dataclasses.dataclass
class Child:
    """A service process forked by the zygote."""

    pid: int
    log: Path
    reaped: bool = False

    def log_tail(self, lines: int = 40) -> str:
        """The end of its log, for an assertion message."""
        try:
            text = self.log.read_text(errors="replace")
        except FileNotFoundError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])


class CommitWatch:
    """The read end of the pipe the bot processes write a byte to after each case commit."""

    def __init__(self) -> None:
        self.read_fd, self.write_fd = os.pipe()
        os.set_blocking(self.read_fd, False)
        self.commits = 0
        self._changed = asyncio.Event()
        asyncio.get_running_loop().add_reader(self.read_fd, self._read)

    def _read(self) -> None:
        with contextlib.suppress(BlockingIOError):
            self.commits += len(os.read(self.read_fd, 4096))
        self._changed.set()

    async def beyond(self, count: int, timeout: float) -> bool:  # noqa: ASYNC109
        """Wait until more than `count` commits were seen; False on timeout."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.commits <= count:
            self._changed.clear()
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)
        return True

    def close(self) -> None:
        asyncio.get_running_loop().remove_reader(self.read_fd)
        os.close(self.read_fd)
        os.close(self.write_fd)


class Zygote:
    """One zygote process and the requests to it (one at a time)."""

    def __init__(self, process: asyncio.subprocess.Process, commits: CommitWatch) -> None:
        self._process = process
        self._lock = asyncio.Lock()
        self.commits = commits

    async def _ask(self, **request: Any) -> dict[str, Any]:
        stdin, stdout = self._process.stdin, self._process.stdout
        assert stdin is not None and stdout is not None
        async with self._lock:
            stdin.write((json.dumps(request) + "\n").encode())
            await stdin.drain()
            line = await stdout.readline()
        if not line:
            raise AssertionError(f"the zygote ended (exit {await self._process.wait()})")
        answer: dict[str, Any] = json.loads(line)
        return answer

    async def start_bot(self, config: Config, log: Path, poll_timeout: int = 10) -> Child:
        """A fresh `serve` process (long polling) with this configuration."""
        fields = {f.name: getattr(config, f.name) for f in dataclasses.fields(config)}
        fields["data_dir"] = str(config.data_dir)
        answer = await self._ask(
            op="bot",
            config=fields,
            log=str(log),
            poll_timeout=poll_timeout,
            commits_fd=self.commits.write_fd,
        )
        return Child(int(answer["pid"]), log)

    async def start_api(self, database_url: str, listen: str, log: Path) -> Child:
        """A fresh case API process on `listen` (HOST:PORT); returns once it answers."""
        answer = await self._ask(op="api", database_url=database_url, listen=listen, log=str(log))
        child = Child(int(answer["pid"]), log)
        await _wait_healthy(f"http://{listen}/healthz", child)
        return child

    async def kill(self, child: Child) -> None:
        """SIGKILL, then wait until the process is gone; ChildDied if it had ended already."""
        if child.reaped:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(child.pid, signal.SIGKILL)
        answer = await self._ask(op="reap", pid=child.pid)
        child.reaped = True
        if answer.get("signal") != signal.SIGKILL:
            raise ChildDied(f"the service process ended by itself: {answer}\n{child.log_tail()}")

    async def close(self) -> None:
        """Close the zygote's stdin: it kills what is left and exits."""
        stdin = self._process.stdin
        if stdin is not None and not stdin.is_closing():
            stdin.close()
        try:
            await asyncio.wait_for(self._process.wait(), 10)
        except TimeoutError:
            self._process.kill()
            await self._process.wait()


@contextlib.asynccontextmanager
async def zygote(log: Path) -> AsyncIterator[Zygote]:
    """A zygote process (its own errors go to `log`), closed on exit."""
    commits = CommitWatch()
    try:
        with log.open("ab") as errors:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                str(ZYGOTE),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=errors,
                cwd=ROOT,
                pass_fds=(commits.write_fd,),
            )
        started = Zygote(process, commits)
        try:
            yield started
        finally:
            await started.close()
    finally:
        commits.close()


async def _wait_healthy(url: str, child: Child) -> None:
    """Poll the health check until it answers 200 (the server is listening)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + READY_TIMEOUT_SECONDS
    async with aiohttp.ClientSession() as client:
        while True:
            with contextlib.suppress(aiohttp.ClientError):
                async with client.get(url) as response:
                    if response.status == 200:
                        return
            if loop.time() > deadline:
                raise AssertionError(f"the case API did not start\n{child.log_tail()}")
            await asyncio.sleep(0.01)
