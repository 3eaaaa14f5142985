"""`grievance desk ...` and `python -m desk ...`: the caseworker's commands.

One module per group of commands (queue: cases, show, export; casework: status, assign, reply,
note; rewrap; and the console), each importing what it needs inside its run functions, so that
building the command line (and so any --help) loads neither the HTTP client nor PyNaCl. How
they speak (one line on stderr and status 1 for a mistake, or one JSON object there with
--json; results on stdout) is `desk.commandline`, shared with `grievance`.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from crypto.errors import CryptoError
from desk.cli import casework, queue, rewrap
from desk.commandline import JSON_ERRORS, PROG, Parser, add_version, run_main
from desk.console.cli import add_command as add_console_command
from desk.errors import DeskError

MISTAKES = (DeskError, CryptoError)
"""What the desk's commands raise for a caseworker's mistake or a server's refusal."""


def register(commands: argparse._SubParsersAction[Any]) -> None:
    """Add the case commands under `grievance desk` (beside `keygen`), or to `python -m desk`."""
    queue.add(commands)
    casework.add(commands)
    rewrap.add(commands)
    add_console_command(commands)


def build_parser() -> Parser:
    """`python -m desk`: the case commands alone."""
    parser = Parser(prog=f"{PROG} desk", description="The caseworker's desk.", epilog=JSON_ERRORS)
    add_version(parser)
    register(parser.add_subparsers(dest="desk_command", required=True, parser_class=Parser))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m desk CMD`: the same commands as `grievance desk CMD`, on a caseworker's laptop
    where nothing of the server need be installed."""
    return run_main(build_parser(), argv, mistakes=MISTAKES)
