"""`grievance db upgrade`: the database schema brought to the newest version."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from bot.cli.environment import DATABASE, MEANINGS
from desk.commandline import Parser, add_command

if TYPE_CHECKING:
    from bot.cli.results import SchemaUpgraded


def add(commands: argparse._SubParsersAction[Any], name: str, help: str) -> None:
    """Add `db` and its commands."""
    db = commands.add_parser(name, help=help).add_subparsers(
        dest="db_command", required=True, parser_class=Parser
    )
    add_command(
        db,
        "upgrade",
        run_upgrade,
        help="bring the database schema to the newest version",
        environment=DATABASE,
        meanings=MEANINGS,
    )


def run_upgrade(args: argparse.Namespace) -> int:
    """grievance db upgrade."""
    import asyncio

    from bot.cli.results import SchemaUpgraded
    from bot.cli.running import database, done
    from bot.database import upgrade_database

    asyncio.run(upgrade_database(database(args)))
    return done(args, SchemaUpgraded(), upgraded_text)


def upgraded_text(result: SchemaUpgraded) -> str:
    return "The database schema is up to date."
