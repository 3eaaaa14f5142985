"""`grievance admin audit`: the audit log, read: day, actor, action and subject of each event.

That is all an event holds; nothing in it is a report's content or about a worker.
"""

from __future__ import annotations

import argparse
from datetime import date
from typing import TYPE_CHECKING, Any

from bot.cli.environment import DATABASE, MEANINGS
from desk.commandline import add_command

if TYPE_CHECKING:
    from bot.admin.audit import AuditLog

MAX_LIMIT = 1_000_000


def add(admin_commands: argparse._SubParsersAction[Any]) -> None:
    """Add `admin audit`."""
    audit = add_command(
        admin_commands,
        "audit",
        run_audit,
        help="who changed partners, keys, sites, credentials and cases, by day (oldest first)",
        environment=DATABASE,
        meanings=MEANINGS,
    )
    audit.add_argument(
        "--since", type=day, metavar="YYYY-MM-DD", help="only events of this day or later"
    )
    audit.add_argument(
        "--limit", type=limit, metavar="N", help="only the newest N events (default: every one)"
    )


def day(text: str) -> date:
    """A day as the administrator typed it, YYYY-MM-DD."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{text[:30]}' is not a day; write it as YYYY-MM-DD"
        ) from None


def limit(text: str) -> int:
    """A number of events: a whole number from 1."""
    cleaned = text.strip()
    if not (cleaned.isascii() and cleaned.isdigit()) or not 1 <= int(cleaned) <= MAX_LIMIT:
        raise argparse.ArgumentTypeError(
            f"'{text[:30]}' is not a number of events (a whole number from 1 to {MAX_LIMIT:,})"
        )
    return int(cleaned)


def run_audit(args: argparse.Namespace) -> int:
    """grievance admin audit [--since DAY] [--limit N]: reads only, creates no database."""
    from bot.admin import audit
    from bot.cli.running import done, in_session

    log = in_session(
        args,
        lambda session: audit.read(session, since=args.since, limit=args.limit),
        create=False,
    )
    return done(args, log, audit_text)


def audit_text(result: AuditLog) -> str:
    from desk.commandline import one_line

    if not result.events:
        return "No events."
    actor = max(len(e.actor) for e in result.events)
    action = max(len(e.action) for e in result.events)
    return "\n".join(
        one_line(
            f"{e.day.isoformat()}  {e.actor:<{actor}}  {e.action:<{action}}  {e.subject or ''}"
        ).rstrip()
        for e in result.events
    )
