"""`desk status`, `desk assign`, `desk reply`, `desk note`: what a caseworker changes in a case.

Replies and notes are sealed here, to keys the desk checked; the server stores envelopes only.
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from desk.cli.options import CONNECT, ENVIRONMENT, SEAL, server_options
from desk.commandline import add_command, show
from vocabulary import STATUSES, status_label

if TYPE_CHECKING:
    from desk.cli.results import Assigned, EntryAdded, StatusSet
    from desk.client import Entry


def add(commands: argparse._SubParsersAction[Any]) -> None:
    """Add status, assign, reply and note to the desk's commands."""
    server = server_options()
    status = add_command(
        commands,
        "status",
        run_status,
        parents=[server],
        help="set a case's status (the worker sees it); the change is recorded, sealed to your "
        "partner's key, for the buyers' reports",
        environment=SEAL,
        meanings=ENVIRONMENT,
    )
    status.add_argument("case", metavar="CASE")
    status.add_argument("status", metavar="STATUS", choices=STATUSES, help=", ".join(STATUSES))

    assign = add_command(
        commands,
        "assign",
        run_assign,
        parents=[server],
        help="assign a case to a caseworker of your partner, to yourself, or to nobody",
        environment=CONNECT,
        meanings=ENVIRONMENT,
    )
    assign.add_argument("case", metavar="CASE")
    whom = assign.add_mutually_exclusive_group(required=True)
    whom.add_argument("--to", metavar="CREDENTIAL_ID", help="a caseworker credential's id")
    whom.add_argument("--me", action="store_true", help="the credential this desk uses")
    whom.add_argument("--nobody", action="store_true", help="nobody")

    for name, run, help in (
        ("reply", run_reply, "answer the worker (they read it with /status)"),
        ("note", run_note, "a note for your organisation only"),
    ):
        command = add_command(
            commands,
            name,
            run,
            parents=[server],
            help=help,
            environment=SEAL,
            meanings=ENVIRONMENT,
        )
        command.add_argument("case", metavar="CASE")
        command.add_argument("text", metavar="TEXT")


def run_status(args: argparse.Namespace) -> int:
    """grievance desk status CASE STATUS."""
    from desk import actions
    from desk.cli.connect import verify_key, with_client
    from desk.cli.results import StatusSet

    verify = verify_key()
    case = with_client(
        args,
        lambda client: actions.set_status(client, args.case, args.status, verify_key=verify),
    )
    label = status_label(case.status)
    show(StatusSet(case.id, case.status, label, case.updated_day), status_text, as_json=args.json)
    return 0


def status_text(result: StatusSet) -> str:
    return f'Case {result.case} is now {result.status}; the worker sees "{result.worker_status}".'


def run_assign(args: argparse.Namespace) -> int:
    """grievance desk assign CASE (--to CREDENTIAL_ID | --me | --nobody)."""
    from desk import assignment
    from desk.cli.connect import with_client
    from desk.cli.results import Assigned

    choice = assignment.ME if args.me else assignment.NOBODY if args.nobody else args.to
    case, team = with_client(args, lambda client: assignment.assign(client, args.case, choice))
    result = Assigned(case.id, case.assignee, team.label(case.assignee))
    show(result, assigned_text, as_json=args.json)
    return 0


def assigned_text(result: Assigned) -> str:
    from desk.render import clean

    if result.assignee_label is None:
        return f"Case {result.case} is now assigned to nobody."
    label, number = result.assignee_label, f"#{result.assignee}"
    named = label if label == number else f"{label} ({number})"
    return clean(f"Case {result.case} is now assigned to {named}.")


def run_reply(args: argparse.Namespace) -> int:
    """grievance desk reply CASE TEXT."""
    from desk import actions

    return _added(args, actions.add_reply)


def run_note(args: argparse.Namespace) -> int:
    """grievance desk note CASE TEXT."""
    from desk import actions

    return _added(args, actions.add_note)


def _added(args: argparse.Namespace, add: Callable[..., Awaitable[Entry]]) -> int:
    from desk.cli.connect import verify_key, with_client
    from desk.cli.results import EntryAdded
    from desk.client import parse_case_id

    verify = verify_key()
    entry = with_client(args, lambda client: add(client, args.case, args.text, verify_key=verify))
    case = parse_case_id(args.case)
    result = EntryAdded(
        case, entry.id, entry.seq, entry.purpose, entry.created_day, sorted(entry.wraps)
    )
    show(result, entry_text, as_json=args.json)
    return 0


def entry_text(result: EntryAdded) -> str:
    if result.purpose == "reply":
        what, who = "Reply", "the worker reads it with their receipt (/status)"
    else:
        what, who = "Note", "for your organisation only; the worker cannot read it"
    return f"{what} #{result.seq} added to case {result.case}: {who}."
