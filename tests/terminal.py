"""A command run in a pseudo-terminal, as a person at a keyboard runs it: typed lines, Ctrl-C
(the terminal sends SIGINT to the whole foreground process group), and what the screen shows."""

from __future__ import annotations

import os
import pty
import select
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

GRIEVANCE = [sys.executable, "-m", "bot.cli"]
WAIT_SECONDS = 60.0
"""A bound on every wait, so that a broken program fails the test instead of hanging it."""


class Terminal:
    """`grievance ARGV` (or `command`) on a pseudo-terminal of its own."""

    def __init__(
        self,
        argv: Sequence[str] = (),
        cwd: Path | None = None,
        command: Sequence[str] | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.command = list(command) if command is not None else [*GRIEVANCE, *argv]
        self.cwd = cwd
        self.env = env
        self.output = ""
        self._seen = 0
        self._pid = 0
        self._fd = -1
        self.status: int | None = None

    def __enter__(self) -> Terminal:
        pid, fd = pty.fork()
        if pid == 0:  # the child: a new session whose controlling terminal is the pty
            try:
                if self.cwd is not None:
                    os.chdir(self.cwd)
                environment = {
                    k: v for k, v in os.environ.items() if not k.startswith("GRIEVANCE_")
                }
                environment.update(self.env or {})
                os.execvpe(self.command[0], self.command, environment)
            finally:
                os._exit(127)
        self._pid, self._fd = pid, fd
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.status is None:
            os.kill(self._pid, signal.SIGKILL)
            os.waitpid(self._pid, 0)
        os.close(self._fd)

    def type(self, line: str) -> None:
        """Type `line` and Enter."""
        self._seen = len(self.output)
        os.write(self._fd, line.encode() + b"\r")

    def interrupt(self) -> None:
        """Press Ctrl-C once."""
        os.write(self._fd, b"\x03")

    def wait_for(self, text: str, after_last: bool = False) -> None:
        """Until the screen shows `text` (with `after_last`, after what was last typed)."""
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            start = self._seen if after_last else 0
            if text in self.output[start:]:
                return
            if self._read(deadline - time.monotonic()) != "data":
                raise AssertionError(f"never saw {text!r}; the screen shows:\n{self.output}")

    def wait(self) -> int:
        """Until the program ends; its exit status."""
        deadline = time.monotonic() + WAIT_SECONDS
        while (read := self._read(deadline - time.monotonic())) == "data":
            pass
        if read == "timeout":
            raise AssertionError(f"still running; the screen shows:\n{self.output}")
        _, status = os.waitpid(self._pid, 0)
        self.status = os.waitstatus_to_exitcode(status)
        return self.status

    def _read(self, timeout: float) -> str:
        """Read what comes within `timeout`: "data", "eof" (the program closed the terminal) or
        "timeout"."""
        ready, _, _ = select.select([self._fd], [], [], max(timeout, 0))
        if not ready:
            return "timeout"
        try:
            data = os.read(self._fd, 65536)
        except OSError:
            return "eof"
        if not data:
            return "eof"
        self.output += data.decode(errors="replace").replace("\r\n", "\n")
        return "data"
