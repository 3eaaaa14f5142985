"""The `grievance` command line: one entry point for operators, administrators and caseworkers.

A person's mistake (a wrong passphrase, an unknown partner, a bad country code) is printed as one
line on stderr with exit status 1; a malformed command line exits with status 2. Neither prints a
traceback. With --json, results are JSON on stdout and an error is one JSON object on stderr
(`{"error": "...", "status": N}`), as in `python -m desk`: both use `desk.commandline` (it lives
in desk/, which may not import bot/).

One module per group of commands (db, admin and its partner, site, credential, purge and audit
commands, serve, chat, desk), each importing what its commands need inside their run functions:
building the command line, and so `grievance --help` or `grievance desk cases --help`, loads
neither Telegram nor SQLAlchemy nor the HTTP server. Commands that use the database say which
one (see `bot.cli.running`).
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence

from bot.cli import admin, chat, db, desk, serve
from bot.errors import UserError
from crypto.errors import CryptoError
from desk.cli import MISTAKES as DESK_MISTAKES
from desk.commandline import JSON_ERRORS, PROG, Parser, add_version, run_main
from storage.errors import StorageError

MISTAKES = (UserError, CryptoError, StorageError, *DESK_MISTAKES)
"""What a command raises for a person's mistake: one sentence, exit status 1."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return its exit status."""
    return run_main(build_parser(), argv, mistakes=MISTAKES, context=_database)


def build_parser() -> Parser:
    """Every command and its options."""
    parser = Parser(
        prog=PROG,
        description="Anonymous, end-to-end encrypted grievance channel.",
        epilog=JSON_ERRORS,
    )
    add_version(parser)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    db.add(commands)
    admin.add(commands)
    serve.add(commands)
    chat.add(commands)
    desk.add(commands)
    return parser


def _database(args: argparse.Namespace) -> Mapping[str, str]:
    """Which database a failed command used, if it got that far."""
    where = getattr(args, "database", None)
    return {"database": where} if where else {}
