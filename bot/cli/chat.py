"""`grievance chat`: the local sandbox, the worker's whole conversation in this terminal."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bot.cli.environment import MEANINGS
from desk.commandline import add_command


def add(commands: argparse._SubParsersAction[Any], name: str, help: str) -> None:
    """Add `chat`."""
    chat = add_command(
        commands,
        name,
        run_chat,
        help=help,
        environment=(),
        meanings=MEANINGS,
        json_flag=False,
    )
    chat.add_argument(
        "--folder",
        type=Path,
        default=Path("sandbox"),
        help="a folder that does not exist yet, or one an earlier 'chat' made (it is wiped); "
        "any other folder is refused (default: ./sandbox)",
    )


def run_chat(args: argparse.Namespace) -> int:
    """grievance chat: a demo partner, the whole conversation, the case as a caseworker sees it."""
    from bot.sandbox import run_sandbox

    return run_sandbox(args.folder)
