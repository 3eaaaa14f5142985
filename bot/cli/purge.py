"""`grievance admin purge`: closed cases unchanged for longer than the retention, purged."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from bot.cli.environment import MEANINGS, PURGE
from desk.commandline import add_command

if TYPE_CHECKING:
    from bot.cli.results import Purged


def add(admin_commands: argparse._SubParsersAction[Any]) -> None:
    """Add `admin purge`."""
    purge = add_command(
        admin_commands,
        "purge",
        run_purge,
        help="purge closed cases unchanged for longer than GRIEVANCE_RETENTION_DAYS "
        "(serve does it daily)",
        environment=PURGE,
        meanings=MEANINGS,
    )
    purge.add_argument("--dry-run", action="store_true", help="only say what would be purged")


def run_purge(args: argparse.Namespace) -> int:
    """grievance admin purge [--dry-run]: a dry run only reads, and creates no database."""
    import asyncio
    import os

    from bot import config, retention
    from bot.cli.results import Purged
    from bot.cli.running import database, done
    from bot.database import open_database

    days = config.retention_days(os.environ)
    url = database(args)

    async def run() -> retention.PurgeResult:
        async with open_database(url, create=not args.dry_run) as sessions:
            return await retention.purge_expired(sessions, days, dry_run=args.dry_run)

    result = asyncio.run(run())
    purged = Purged(result.dry_run, days, result.before, len(result.case_ids), result.case_ids)
    return done(args, purged, purged_text)


def purged_text(result: Purged) -> str:
    from bot.config import RETENTION_VARIABLE

    done = "Dry run: would purge" if result.dry_run else "Purged"
    return (
        f"{done} {result.count} closed case(s) last changed before {result.before.isoformat()} "
        f"({RETENTION_VARIABLE}={result.retention_days})."
    )
