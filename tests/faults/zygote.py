"""A zygote for the kill tests: imports the service once, then forks a fresh process per start.

A new Python process spends about 1.5 s importing PTB, SQLAlchemy, aiohttp and the project; a
kill test restarts the service hundreds of times. So this process imports everything once and
`os.fork()`s a child per start, which then runs the real service from its first line
(`bot.service.running_bot`, or the case API of `bot.http.server.make_app`), with its own event loop.
Forking is safe here because the zygote itself never starts an event loop or a thread.

Run as `python tests/faults/zygote.py`; it reads one JSON request a line on stdin and answers one
JSON line on stdout:

    {"op": "bot", "config": {Config fields}, "log": PATH, "poll_timeout": S,
     "commits_fd": FD or null}                                                 -> {"pid": N}
    {"op": "api", "database_url": URL, "listen": "HOST:PORT", "log": PATH}    -> {"pid": N}
    {"op": "reap", "pid": N}      -> {"pid": N, "signal": 9} or {"pid": N, "exit": CODE}

A child's stdout and stderr go to its log file (append). With `commits_fd` (a pipe the test
handed down), the bot child writes one byte there right after each commit that stored a case:
an observer only, so the test can time a kill between a commit and its receipt. When stdin
closes, the zygote kills the children still running, reaps them and exits: a test that dies
leaves no process behind.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import threading
import traceback
from pathlib import Path
from typing import Any

from aiohttp import web
from sqlalchemy import event
from sqlalchemy.orm import Session
from telegram.ext import AIORateLimiter

from bot import logs
from bot.config import Config
from bot.database import open_database
from bot.http.server import make_app, runner_options
from bot.service import running_bot
from storage.models import Case

NEW_CASE = "fault-suite-new-case"


async def _run_bot(request: dict[str, Any]) -> None:
    """`grievance serve` with long polling, as tests/deployment.py runs it, until killed."""
    fields = dict(request["config"])
    fields["data_dir"] = Path(fields["data_dir"])
    config = Config(**fields)
    logs.configure(config.log_level, secrets=(config.token(),), stream=sys.stderr)
    if request.get("commits_fd") is not None:
        _observe_commits(int(request["commits_fd"]))
    # No overall rate limit (the stand-in has none), as in tests/deployment.py.
    limiter = AIORateLimiter(overall_max_rate=0, group_max_rate=0, max_retries=2)
    async with running_bot(config, rate_limiter=limiter, poll_timeout=request["poll_timeout"]):
        await asyncio.Event().wait()


def _observe_commits(fd: int) -> None:
    """One byte to `fd` the moment a transaction that inserted a case has committed."""

    def before_flush(session: Session, *_: Any) -> None:
        if any(isinstance(obj, Case) for obj in session.new):
            session.info[NEW_CASE] = True

    def after_commit(session: Session) -> None:
        if session.info.pop(NEW_CASE, False):
            os.write(fd, b"c")

    def after_rollback(session: Session) -> None:
        session.info.pop(NEW_CASE, None)

    event.listen(Session, "before_flush", before_flush)
    event.listen(Session, "after_commit", after_commit)
    event.listen(Session, "after_rollback", after_rollback)


async def _run_api(request: dict[str, Any]) -> None:
    """The HTTP server of `grievance serve` without Telegram: health check and case API."""
    logs.configure("INFO", stream=sys.stderr)
    host, _, port = str(request["listen"]).rpartition(":")
    async with open_database(request["database_url"]) as sessions:
        runner = web.AppRunner(make_app(sessions=sessions), **runner_options())
        await runner.setup()
        await web.TCPSite(runner, host, int(port)).start()
        try:
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()


CHILDREN = {"bot": _run_bot, "api": _run_api}


def _fork(request: dict[str, Any]) -> int:
    if threading.active_count() != 1:
        raise RuntimeError("the zygote must not fork with a thread running")
    target = CHILDREN[request["op"]]
    pid = os.fork()
    if pid:
        return pid
    # The child: never read the zygote's requests or write its answers; never return into
    # the zygote's loop, whatever happens.
    status = 1
    try:
        log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.close(null)
        os.close(log)
        sys.stdin = open(os.devnull)  # noqa: SIM115 (lives as long as the process)
        sys.stdout = os.fdopen(1, "w", buffering=1)
        sys.stderr = os.fdopen(2, "w", buffering=1)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        asyncio.run(target(request))
        status = 0
    except BaseException:
        traceback.print_exc()
    finally:
        os._exit(status)


def _reap(pid: int) -> dict[str, Any]:
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:
        return {"pid": pid, "unknown": True}
    if os.WIFSIGNALED(status):
        return {"pid": pid, "signal": os.WTERMSIG(status)}
    return {"pid": pid, "exit": os.waitstatus_to_exitcode(status)}


def main() -> None:
    children: set[int] = set()
    try:
        for line in sys.stdin:
            request = json.loads(line)
            if request["op"] == "reap":
                answer = _reap(int(request["pid"]))
                children.discard(answer["pid"])
            else:
                pid = _fork(request)
                children.add(pid)
                answer = {"pid": pid}
            sys.stdout.write(json.dumps(answer) + "\n")
            sys.stdout.flush()
    finally:
        for pid in children:
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass


if __name__ == "__main__":
    main()
