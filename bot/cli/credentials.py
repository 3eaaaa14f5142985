"""`grievance admin credential ...`: caseworkers' credentials for the case API."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from bot.cli.environment import DATABASE, MEANINGS
from desk.commandline import Parser, add_command
from vocabulary import CredentialRole

if TYPE_CHECKING:
    from bot.admin.credentials import Credential, Credentials, NewCredential


def add(admin_commands: argparse._SubParsersAction[Any]) -> None:
    """Add `admin credential` and its commands."""
    credential = admin_commands.add_parser(
        "credential", help="caseworkers' credentials for the case API"
    )
    commands = credential.add_subparsers(
        dest="credential_command", required=True, parser_class=Parser
    )
    issue = add_command(
        commands,
        "issue",
        run_issue,
        help="a new credential for one partner's queue (the token is shown once)",
        environment=DATABASE,
        meanings=MEANINGS,
    )
    issue.add_argument("partner", metavar="PARTNER", help="slug of the partner")
    issue.add_argument(
        "--label",
        default="",
        help="which laptop or caseworker it is for, e.g. 'office laptop 2' (shown in lists)",
    )
    issue.add_argument(
        "--role",
        choices=tuple(CredentialRole),
        default=CredentialRole.TRIAGE,
        help="triage (default): read, set status, reply, note, re-wrap; "
        "lead: all that, and purge cases for good",
    )
    add_command(
        commands,
        "list",
        run_list,
        help="all credentials, revoked too",
        environment=DATABASE,
        meanings=MEANINGS,
    )
    revoke = add_command(
        commands,
        "revoke",
        run_revoke,
        help="the credential's token opens nothing from now on",
        environment=DATABASE,
        meanings=MEANINGS,
    )
    revoke.add_argument("credential_id", metavar="ID", type=credential_id)


def credential_id(text: str) -> int:
    """A credential id as `credential list` shows it: a whole number, `#` allowed."""
    cleaned = text.strip().removeprefix("#")
    if not (cleaned.isascii() and cleaned.isdigit()) or len(cleaned) > 18:
        raise argparse.ArgumentTypeError(f"'{text[:30]}' is not a credential id (a whole number)")
    return int(cleaned)


def run_issue(args: argparse.Namespace) -> int:
    """grievance admin credential issue PARTNER [--label TEXT] [--role triage|lead]."""
    from bot.admin import credentials
    from bot.cli.running import done, in_session

    issued = in_session(
        args, lambda session: credentials.issue(session, args.partner, args.label, args.role)
    )
    warnings = (
        []
        if issued.partner_has_active_key
        else [
            f"partner '{issued.credential.partner}' has no active key, so its queue receives no "
            "new reports until 'partner rotate' gives it one"
        ]
    )
    return done(args, issued.credential, issued_text, warnings)


def issued_text(result: NewCredential) -> str:
    label = f" ({result.label})" if result.label else ""
    return (
        f"Credential #{result.id} ({result.role}) for partner "
        f"'{result.partner}'{label} issued.\n"
        "Give this token to the caseworker now; it is not stored and is never shown again:\n"
        f"{result.token}"
    )


def run_list(args: argparse.Namespace) -> int:
    """grievance admin credential list."""
    from bot.admin import credentials
    from bot.cli.running import done, in_session

    return done(args, in_session(args, credentials.list_all, create=False), list_text)


def list_text(result: Credentials) -> str:
    lines = []
    for item in result.credentials:
        state = f"revoked {item.revoked_day.isoformat()}" if item.revoked_day else "active"
        label = f"  {item.label}" if item.label else ""
        lines.append(
            f"#{item.id}  {item.partner}  {item.role:<6}  "
            f"issued {item.created_day.isoformat()}  {state}{label}"
        )
    return "\n".join(lines) or "No credentials yet."


def run_revoke(args: argparse.Namespace) -> int:
    """grievance admin credential revoke ID."""
    from bot.admin import credentials
    from bot.cli.running import done, in_session

    result = in_session(args, lambda session: credentials.revoke(session, args.credential_id))
    return done(args, result, revoked_text)


def revoked_text(result: Credential) -> str:
    return (
        f"Credential #{result.id} of partner '{result.partner}' is revoked; "
        "its token opens nothing from now on."
    )
