#!/usr/bin/env python3
"""Run the project from a fresh clone with nothing but Python >= 3.11.

    python3 dev.py demo   # the local sandbox: the worker's conversation in this terminal
    python3 dev.py test   # the whole test suite

Each command creates the virtual environment `.venv` and installs the project into it when
needed (again whenever pyproject.toml changes), then runs inside it. One Ctrl-C stops it at any
moment with one line: during the set-up (a half-made environment is made again next time) or in
the command, which says for itself that it was interrupted.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import venv
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".installed-from"
# setuptools' default editable mode: with the layout pyproject.toml declares (package-dir), one
# .pth line puts this checkout on sys.path, so the source folders stay importable as they are.
INSTALL = ["-e", f"{ROOT}[dev]"]


class SetUpFailed(Exception):
    """A step of the set-up failed; pip or ensurepip has said why above."""


def ensure_environment() -> None:
    """Create .venv and install the project with its test tools, unless already current."""
    recipe = (ROOT / "pyproject.toml").read_bytes() + " ".join(INSTALL).encode()
    wanted = hashlib.sha256(recipe).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted and PYTHON.exists():
        return
    if not _has_pip():
        print("Creating the virtual environment in .venv ...", flush=True)
        try:
            venv.EnvBuilder(with_pip=False, clear=True).create(VENV)
            _step([str(PYTHON), "-m", "ensurepip", "--upgrade", "--default-pip"], quiet=True)
        except BaseException:
            # Half made (interrupted, or ensurepip failed): made again from scratch next time.
            shutil.rmtree(VENV, ignore_errors=True)
            raise
    print("Installing the project and its dependencies (first run takes a minute) ...", flush=True)
    pip = [str(PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    _step([*pip, "--upgrade", "pip"])
    _step([*pip, *INSTALL])
    STAMP.write_text(wanted)


def _has_pip() -> bool:
    if not PYTHON.exists():
        return False
    probe = subprocess.run([str(PYTHON), "-c", "import pip"], capture_output=True, check=False)
    return probe.returncode == 0


def _step(command: list[str], quiet: bool = False) -> None:
    """Run one set-up step in its own session: Ctrl-C reaches this script only, which stops
    the step itself (so the step prints no traceback of its own)."""
    output: dict[str, Any] = (
        {"stdout": subprocess.DEVNULL, "stderr": subprocess.PIPE} if quiet else {}
    )
    process = subprocess.Popen(command, start_new_session=True, **output)
    try:
        _, errors = process.communicate()
    except BaseException:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        raise
    if process.returncode != 0:
        if errors:
            sys.stderr.write(errors.decode(errors="replace"))
        raise SetUpFailed(f"'{' '.join(command[2:4])}' failed (exit status {process.returncode})")


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"demo", "test"}:
        print("usage: python3 dev.py demo | test [pytest arguments]", file=sys.stderr)
        return 2
    try:
        ensure_environment()
    except KeyboardInterrupt:
        print("\ndev.py: interrupted; the set-up is finished the next time.", file=sys.stderr)
        return 130
    except SetUpFailed as exc:
        print(f"dev.py: setting up .venv failed: {exc}", file=sys.stderr)
        return 1
    if argv[0] == "test":
        command = [str(PYTHON), "-m", "pytest", *argv[1:]]
    else:
        command = [str(PYTHON), "-m", "bot.cli", "chat", *argv[1:]]
    # Ctrl-C reaches the command too (same terminal); it stops calmly and says so, and this
    # script only waits for it. A handler, not SIG_IGN: the command must not inherit it.
    previous = signal.signal(signal.SIGINT, _let_the_command_answer)
    try:
        return subprocess.run(command, cwd=ROOT, check=False).returncode
    finally:
        signal.signal(signal.SIGINT, previous)


def _let_the_command_answer(signum: int, frame: object) -> None:
    """SIGINT while the command runs: the command handles it."""


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
