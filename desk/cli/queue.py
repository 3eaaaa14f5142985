"""`desk cases`, `desk show`, `desk export`: the queue and the cases, decrypted on this machine."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from desk.cli.options import ENVIRONMENT, OPEN_KEYS, key_options, server_options
from desk.commandline import PROG, add_command
from vocabulary import STATUSES


def add(commands: argparse._SubParsersAction[Any]) -> None:
    """Add cases, show and export to the desk's commands."""
    server, keys = server_options(), key_options()
    cases = add_command(
        commands,
        "cases",
        run_cases,
        parents=[server, keys],
        help="the queue, decrypted: urgent first, then new cases and unread follow-ups",
        environment=OPEN_KEYS,
        meanings=ENVIRONMENT,
    )
    cases.add_argument("--status", choices=STATUSES, help="only cases with this status")
    cases.add_argument(
        "--changed-since", metavar="YYYY-MM-DD", help="only cases changed on or after this day"
    )
    cases.add_argument("--mine", action="store_true", help="only cases assigned to you")

    show = add_command(
        commands,
        "show",
        run_show,
        parents=[server, keys],
        help="one case, its whole thread decrypted; the worker's new entries are then marked seen",
        environment=OPEN_KEYS,
        meanings=ENVIRONMENT,
    )
    show.add_argument("case", metavar="CASE", help="case id, e.g. 7KQ2M9XD4H1A")
    show.add_argument(
        "--save-attachments",
        type=Path,
        metavar="DIR",
        help="write the case's files into DIR (mode 0600); otherwise nothing is written",
    )

    export = add_command(
        commands,
        "export",
        run_export,
        parents=[server, keys],
        help="every case decrypted, as CSV or JSON",
        environment=OPEN_KEYS,
        meanings=ENVIRONMENT,
        json_flag=False,
    )
    export.add_argument("--format", choices=("csv", "json"), required=True)
    export.add_argument("--status", choices=STATUSES, help="only cases with this status")
    export.add_argument(
        "--out", type=Path, metavar="FILE", help="a new file (mode 0600); default: stdout"
    )


def run_cases(args: argparse.Namespace) -> int:
    """grievance desk cases [--status S] [--changed-since DAY] [--mine]."""
    from desk import actions, assignment, render
    from desk.cli.connect import day, key_files, opening, with_client
    from desk.client import CaseClient
    from desk.commandline import print_json
    from desk.errors import DeskError

    files = key_files(args)
    changed_since = day(args.changed_since) if args.changed_since else None

    async def action(client: CaseClient) -> tuple[list[Any], assignment.Team]:
        async with opening(files) as keyring:
            partner = await client.partner()
            team = assignment.Team(partner.me, tuple(await client.caseworkers()))
            if args.mine and team.me is None:
                raise DeskError("the server does not say which credential this desk uses")
            views = await actions.list_cases(
                client, keyring, status=args.status, changed_since=changed_since
            )
            actions.check_keyring(partner, await keyring)
            return views, team

    views, team = with_client(args, action)
    if args.mine:
        views = [view for view in views if team.is_me(view.assignee)]
    labels = team.labels()
    if args.json:
        print_json({"cases": [render.summary_json(view, labels) for view in views]})
    elif args.mine and not views:
        print(
            "No cases assigned to you" + (f" with status '{args.status}'." if args.status else ".")
        )
    else:
        print(render.list_text(views, args.status, labels))
    return 0


def run_show(args: argparse.Namespace) -> int:
    """grievance desk show CASE [--save-attachments DIR]."""
    from desk import actions, render
    from desk.cli.connect import open_keys, with_client
    from desk.client import CaseClient
    from desk.commandline import print_json
    from desk.errors import DeskError

    keyring = open_keys(args)
    keep = args.save_attachments is not None

    async def action(client: CaseClient) -> Any:
        actions.check_keyring(await client.partner(), keyring)
        return await actions.show_case(client, keyring, args.case, keep_files=keep)

    view = with_client(args, action)
    saved = render.save_attachments(view, args.save_attachments) if keep else {}
    if args.json:
        print_json(render.case_json(view, saved))
    else:
        print(render.case_text(view, saved))
    # Only now that the case is on the screen: the worker's new entries count as seen.
    try:
        with_client(args, lambda client: actions.mark_seen(client, view))
    except DeskError as exc:
        print(f"{PROG}: error: the case was shown, but not marked as seen: {exc}", file=sys.stderr)
        return 1
    return 0


def run_export(args: argparse.Namespace) -> int:
    """grievance desk export --format csv|json [--status S] [--out FILE]."""
    import json
    from datetime import UTC, datetime

    from desk import actions, render
    from desk.cli.connect import key_files, opening, with_client
    from desk.client import CaseClient
    from desk.errors import DeskError

    if args.out is not None and args.out.exists():
        raise DeskError(f"{args.out} already exists; nothing was overwritten")
    files = key_files(args)

    async def action(client: CaseClient) -> tuple[str, list[Any]]:
        async with opening(files) as keyring:
            partner = await client.partner()
            views = await actions.list_cases(client, keyring, status=args.status, thread=True)
            actions.check_keyring(partner, await keyring)
            return partner.slug, views

    slug, views = with_client(args, action)
    if args.format == "json":
        today = datetime.now(UTC).date().isoformat()
        text = json.dumps(render.export_json(views, slug, today), indent=2, ensure_ascii=False)
        text += "\n"
    else:
        text = render.export_csv(views)
    if args.out is None:
        sys.stdout.write(text)
    else:
        render.write_private(args.out, text.encode("utf-8"))
        plural = "case" if len(views) == 1 else "cases"
        print(f"{len(views)} {plural} exported to {args.out} (readable by you only).")
    return 0
