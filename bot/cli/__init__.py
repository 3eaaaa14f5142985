"""The `grievance` command line: one entry point for operators, administrators and caseworkers.

A person's mistake (a wrong passphrase, an unknown partner, a bad country code) is printed as one
line on stderr with exit status 1; a malformed command line exits with status 2. Neither prints a
traceback. With --json, results are JSON on stdout and an error is one JSON object on stderr
(`{"error": "...", "status": N}`), as in `python -m desk`: both use `desk.commandline` (it lives
in desk/, which may not import bot/).

One module per group of commands (db, admin and its partner, site, credential, purge and audit
commands, serve, chat, desk), each importing what its commands need inside their run functions,
and only the group the command line names is built (argparse would otherwise build every parser
of every group first): `grievance --help` or `grievance desk cases --help` loads neither
Telegram nor SQLAlchemy nor the HTTP server. Commands that use the database say which one (see
`bot.cli.running`).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Mapping, Sequence
from typing import Final

from bot.errors import UserError
from crypto.errors import CryptoError
from desk.commandline import JSON_ERRORS, PROG, Parser, add_version, run_main
from desk.errors import DeskError
from storage.errors import StorageError

MISTAKES = (UserError, CryptoError, StorageError, DeskError)
"""What a command raises for a person's mistake: one sentence, exit status 1."""
GROUPS: Final = {
    "db": ("bot.cli.db", "database schema"),
    "admin": (
        "bot.cli.admin",
        "administrators: keys, partners, sites, credentials, retention, audit log",
    ),
    "serve": (
        "bot.cli.serve",
        "run the Telegram bot and its HTTP server (health check, webhook, case API)",
    ),
    "chat": ("bot.cli.chat", "the local sandbox: walk the worker's conversation in this terminal"),
    "desk": ("bot.cli.desk", "caseworkers: the partner's key and cases"),
}
"""Each first word of a command: the module that adds its commands, and what it is for."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return its exit status."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    return run_main(build_parser(arguments), arguments, mistakes=MISTAKES, context=_database)


def build_parser(argv: Sequence[str] | None = None) -> Parser:
    """Every command and its options; given the command line, only the group it names is built
    in full (the others are their name and help, all that `grievance --help` shows)."""
    parser = Parser(
        prog=PROG,
        description="Anonymous, end-to-end encrypted grievance channel.",
        epilog=JSON_ERRORS,
    )
    add_version(parser)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    named = None if argv is None else next((a for a in argv if not a.startswith("-")), "")
    for name, (module, help) in GROUPS.items():
        if named is None or named == name:
            importlib.import_module(module).add(commands, name, help)
        else:
            commands.add_parser(name, help=help)
    return parser


def _database(args: argparse.Namespace) -> Mapping[str, str]:
    """Which database a failed command used, if it got that far."""
    where = getattr(args, "database", None)
    return {"database": where} if where else {}
