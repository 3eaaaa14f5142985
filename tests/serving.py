"""`grievance serve` as its own process, as an operator starts it: only GRIEVANCE_* variables given,
stopped with a signal, its stderr read back."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass

GRIEVANCE = [sys.executable, "-m", "bot.cli"]
START_TIMEOUT = 60.0
"""Generous bounds on waits that would otherwise hang a broken test; nothing is timed."""


@dataclass
class Stopped:
    """What a `grievance serve` process left when it ended."""

    status: int
    err: str
    out: str


def clean_environment(variables: Mapping[str, str]) -> dict[str, str]:
    """This process's environment without any GRIEVANCE_* variable, plus `variables`."""
    kept = {k: v for k, v in os.environ.items() if not k.startswith("GRIEVANCE_")}
    return {**kept, **variables}


async def run_grievance(*argv: str, env: Mapping[str, str]) -> Stopped:
    """`grievance ARGV` to its end (it is expected to end by itself)."""
    process = await asyncio.create_subprocess_exec(
        *GRIEVANCE,
        *argv,
        env=clean_environment(env),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), START_TIMEOUT)
    return Stopped(process.returncode or 0, err.decode(), out.decode())


class Serving:
    """A running `grievance serve`; `stop()` sends a signal and collects what it said."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.stopped: Stopped | None = None

    async def stop(self, sig: int = signal.SIGTERM) -> Stopped:
        if self.stopped is None:
            if self.process.returncode is None:
                self.process.send_signal(sig)
            out, err = await asyncio.wait_for(self.process.communicate(), START_TIMEOUT)
            self.stopped = Stopped(self.process.returncode or 0, err.decode(), out.decode())
        return self.stopped


@contextlib.asynccontextmanager
async def serving(*argv: str, env: Mapping[str, str]) -> AsyncIterator[Serving]:
    """`grievance serve ARGV` running until the block ends (or it is stopped earlier)."""
    process = await asyncio.create_subprocess_exec(
        *GRIEVANCE,
        "serve",
        *argv,
        env=clean_environment(env),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    running = Serving(process)
    try:
        yield running
    finally:
        if process.returncode is None and running.stopped is None:
            process.kill()
            await process.communicate()


async def wait_for_health(port: int, running: Serving) -> None:
    """Until /healthz answers on `port` (or the process has ended, which fails the test)."""
    import aiohttp

    loop = asyncio.get_running_loop()
    deadline = loop.time() + START_TIMEOUT
    async with aiohttp.ClientSession() as client:
        while loop.time() < deadline:
            if running.process.returncode is not None:
                stopped = await running.stop()
                raise AssertionError(f"serve ended early ({stopped.status}): {stopped.err}")
            with contextlib.suppress(aiohttp.ClientError):
                async with client.get(f"http://127.0.0.1:{port}/healthz") as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(0.1)
    raise AssertionError("serve never answered /healthz")
