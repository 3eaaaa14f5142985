"""`grievance desk ...`: the caseworker's commands, registered into the main command line.

Key files are opened (Argon2id) before the event loop starts, and their passphrases are asked
only once the cheap checks passed (the server answers and accepts the token, the files are key
files). A mistake or a refusal by the server is one line on stderr and exit status 1, as
everywhere in `grievance`; with --json it is one JSON object on stderr instead
(`{"error": "...", "status": 1}`), while results go to stdout. The output helpers at the end are
shared with `grievance` (bot/cli.py), so both speak the same way.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, NoReturn, TypeVar

from crypto.errors import CryptoError
from crypto.keyfile import KeyKind, read_partner_key
from crypto.tokens import looks_like_token
from desk import actions, assignment, render
from desk.cases import WORKER_STATUS_LABELS, Keyring
from desk.client import STATUSES, CaseClient, DeskError, parse_case_id
from desk.console.cli import add_command as add_console_command
from desk.passphrase import PASSPHRASE_VARIABLE, check_key_file, passphrase_for

PROG: Final = "grievance"
SERVER_VARIABLE: Final = "GRIEVANCE_SERVER"
TOKEN_VARIABLE: Final = "GRIEVANCE_TOKEN"  # noqa: S105 (a variable name)
KEY_FILE_VARIABLE: Final = "GRIEVANCE_KEY_FILE"
VERIFY_KEY_VARIABLE: Final = "GRIEVANCE_ADMIN_VERIFY_KEY"
MAX_MESSAGE_CHARS: Final = 500
JSON_ERRORS: Final = (
    "With --json, results are JSON on stdout and an error is one JSON object on stderr, "
    '{"error": "...", "status": N}, with the same non-zero exit status.'
)
ENVIRONMENT: Final = {
    SERVER_VARIABLE: "the grievance server's address (or --server)",
    TOKEN_VARIABLE: "your caseworker token (or --token)",
    KEY_FILE_VARIABLE: "the partner key file (or --key)",
    PASSPHRASE_VARIABLE: "the key file's passphrase; otherwise it is asked in the terminal",
    VERIFY_KEY_VARIABLE: "the administrators' verify key: checks the partner's active key "
    "before anything is sealed to it",
}
CONNECT: Final = (SERVER_VARIABLE, TOKEN_VARIABLE)
OPEN_KEYS: Final = (*CONNECT, KEY_FILE_VARIABLE, PASSPHRASE_VARIABLE)

T = TypeVar("T")


def environment_help(names: Sequence[str], meanings: Mapping[str, str] = ENVIRONMENT) -> str:
    """The epilog of a command's --help: the environment variables it reads, and why."""
    if not names:
        return "This command reads no environment variables."
    width = max(len(name) for name in names)
    lines = [f"  {name:<{width}}  {meanings[name]}" for name in names]
    return "environment variables it reads:\n" + "\n".join(lines)


def _help(names: Sequence[str]) -> dict[str, Any]:
    return {
        "epilog": environment_help(names) + "\n\n" + JSON_ERRORS,
        "formatter_class": argparse.RawDescriptionHelpFormatter,
    }


def register(commands: argparse._SubParsersAction[Any]) -> None:
    """Add the case commands under `grievance desk` (beside `keygen`)."""
    server = argparse.ArgumentParser(add_help=False)
    server.add_argument(
        "--server", metavar="URL", help=f"the grievance server (default: ${SERVER_VARIABLE})"
    )
    server.add_argument(
        "--token",
        help=f"your caseworker token (default: ${TOKEN_VARIABLE}; prefer the variable, since "
        "a command line is visible to other users of the machine)",
    )
    keys = argparse.ArgumentParser(add_help=False)
    keys.add_argument(
        "--key",
        action="append",
        type=Path,
        metavar="FILE",
        dest="keys",
        help=f"partner key file (default: ${KEY_FILE_VARIABLE}); repeat to open several",
    )
    as_json = argparse.ArgumentParser(add_help=False)
    as_json.add_argument("--json", action="store_true", help="print JSON")

    cases = commands.add_parser(
        "cases",
        parents=[server, keys, as_json],
        help="the queue, decrypted: urgent first, then new cases and unread follow-ups",
        **_help(OPEN_KEYS),
    )
    cases.add_argument("--status", choices=STATUSES, help="only cases with this status")
    cases.add_argument(
        "--changed-since", metavar="YYYY-MM-DD", help="only cases changed on or after this day"
    )
    cases.add_argument("--mine", action="store_true", help="only cases assigned to you")
    cases.set_defaults(run=_guarded(run_cases))

    show = commands.add_parser(
        "show",
        parents=[server, keys, as_json],
        help="one case, its whole thread decrypted; the worker's new entries are then marked seen",
        **_help(OPEN_KEYS),
    )
    show.add_argument("case", metavar="CASE", help="case id, e.g. 7KQ2M9XD4H1A")
    show.add_argument(
        "--save-attachments",
        type=Path,
        metavar="DIR",
        help="write the case's files into DIR (mode 0600); otherwise nothing is written",
    )
    show.set_defaults(run=_guarded(run_show))

    status = commands.add_parser(
        "status",
        parents=[server, as_json],
        help="set a case's status (the worker sees it); the change is recorded, sealed to your "
        "partner's key, for the buyers' reports",
        **_help((*CONNECT, VERIFY_KEY_VARIABLE)),
    )
    status.add_argument("case", metavar="CASE")
    status.add_argument("status", metavar="STATUS", choices=STATUSES, help=", ".join(STATUSES))
    status.set_defaults(run=_guarded(run_status))

    assign = commands.add_parser(
        "assign",
        parents=[server, as_json],
        help="assign a case to a caseworker of your partner, to yourself, or to nobody",
    )
    assign.add_argument("case", metavar="CASE")
    whom = assign.add_mutually_exclusive_group(required=True)
    whom.add_argument("--to", metavar="CREDENTIAL_ID", help="a caseworker credential's id")
    whom.add_argument("--me", action="store_true", help="the credential this desk uses")
    whom.add_argument("--nobody", action="store_true", help="nobody")
    assign.set_defaults(run=_guarded(run_assign))

    reply = commands.add_parser(
        "reply",
        parents=[server, as_json],
        help="answer the worker (they read it with /status)",
        **_help((*CONNECT, VERIFY_KEY_VARIABLE)),
    )
    reply.add_argument("case", metavar="CASE")
    reply.add_argument("text", metavar="TEXT")
    reply.set_defaults(run=_guarded(run_reply))

    note = commands.add_parser(
        "note",
        parents=[server, as_json],
        help="a note for your organisation only",
        **_help((*CONNECT, VERIFY_KEY_VARIABLE)),
    )
    note.add_argument("case", metavar="CASE")
    note.add_argument("text", metavar="TEXT")
    note.set_defaults(run=_guarded(run_note))

    export = commands.add_parser(
        "export",
        parents=[server, keys],
        help="every case decrypted, as CSV or JSON",
        **_help(OPEN_KEYS),
    )
    export.add_argument("--format", choices=("csv", "json"), required=True)
    export.add_argument("--status", choices=STATUSES, help="only cases with this status")
    export.add_argument(
        "--out", type=Path, metavar="FILE", help="a new file (mode 0600); default: stdout"
    )
    export.set_defaults(run=_guarded(run_export))

    rewrap = commands.add_parser(
        "rewrap",
        parents=[server, keys, as_json],
        help="after a key rotation: move every case from the old key(s) to the active key",
        **_help((*OPEN_KEYS, VERIFY_KEY_VARIABLE)),
    )
    rewrap.set_defaults(run=_guarded(run_rewrap))

    add_console_command(commands)


# Commands -------------------------------------------------------------------------------------


def run_cases(args: argparse.Namespace) -> int:
    """grievance desk cases."""
    files = key_files(args)
    changed_since = _day(args.changed_since) if args.changed_since else None

    async def action(client: CaseClient) -> tuple[list[Any], assignment.Team]:
        async with _opening(files) as keyring:
            partner = await client.partner()
            team = assignment.Team(partner.me, tuple(await client.caseworkers()))
            if args.mine and team.me is None:
                raise DeskError("the server does not say which credential this desk uses")
            views = await actions.list_cases(
                client, keyring, status=args.status, changed_since=changed_since
            )
            actions.check_keyring(partner, await keyring)
            return views, team

    views, team = _run(args, action)
    if args.mine:
        views = [view for view in views if team.is_me(view.assignee)]
    labels = team.labels()
    if args.json:
        _print_json({"cases": [render.summary_json(view, labels) for view in views]})
    elif args.mine and not views:
        print(
            "No cases assigned to you" + (f" with status '{args.status}'." if args.status else ".")
        )
    else:
        print(render.list_text(views, args.status, labels))
    return 0


def run_assign(args: argparse.Namespace) -> int:
    """grievance desk assign CASE (--to CREDENTIAL_ID | --me | --nobody)."""
    choice = assignment.ME if args.me else assignment.NOBODY if args.nobody else args.to
    case, team = _run(args, lambda client: assignment.assign(client, args.case, choice))
    label = team.label(case.assignee)
    if args.json:
        _print_json({"case": case.id, "assignee": case.assignee, "assignee_label": label})
    elif label is None:
        print(f"Case {case.id} is now assigned to nobody.")
    else:
        named = label if label == f"#{case.assignee}" else f"{label} (#{case.assignee})"
        print(render.clean(f"Case {case.id} is now assigned to {named}."))
    return 0


def run_show(args: argparse.Namespace) -> int:
    """grievance desk show CASE."""
    keyring = open_keys(args)
    keep = args.save_attachments is not None

    async def action(client: CaseClient) -> Any:
        actions.check_keyring(await client.partner(), keyring)
        return await actions.show_case(client, keyring, args.case, keep_files=keep)

    view = _run(args, action)
    saved = render.save_attachments(view, args.save_attachments) if keep else {}
    if args.json:
        _print_json(render.case_json(view, saved))
    else:
        print(render.case_text(view, saved))
    # Only now that the case is on the screen: the worker's new entries count as seen.
    try:
        _run(args, lambda client: actions.mark_seen(client, view))
    except DeskError as exc:
        print(f"{PROG}: error: the case was shown, but not marked as seen: {exc}", file=sys.stderr)
        return 1
    return 0


def run_status(args: argparse.Namespace) -> int:
    """grievance desk status CASE STATUS."""
    verify = os.environ.get(VERIFY_KEY_VARIABLE) or None
    case = _run(
        args,
        lambda client: actions.set_status(client, args.case, args.status, verify_key=verify),
    )
    label = WORKER_STATUS_LABELS.get(case.status, case.status)
    if args.json:
        _print_json(
            {
                "case": case.id,
                "status": case.status,
                "worker_status": label,
                "updated_day": case.updated_day,
            }
        )
    else:
        print(f'Case {case.id} is now {case.status}; the worker sees "{label}".')
    return 0


def run_reply(args: argparse.Namespace) -> int:
    """grievance desk reply CASE TEXT."""
    verify = os.environ.get(VERIFY_KEY_VARIABLE) or None
    entry = _run(
        args, lambda client: actions.add_reply(client, args.case, args.text, verify_key=verify)
    )
    return _added(args, entry, "Reply", "the worker reads it with their receipt (/status)")


def run_note(args: argparse.Namespace) -> int:
    """grievance desk note CASE TEXT."""
    verify = os.environ.get(VERIFY_KEY_VARIABLE) or None
    entry = _run(
        args, lambda client: actions.add_note(client, args.case, args.text, verify_key=verify)
    )
    return _added(args, entry, "Note", "for your organisation only; the worker cannot read it")


def run_export(args: argparse.Namespace) -> int:
    """grievance desk export --format csv|json [--out FILE]."""
    if args.out is not None and args.out.exists():
        raise DeskError(f"{args.out} already exists; nothing was overwritten")
    files = key_files(args)

    async def action(client: CaseClient) -> tuple[str, list[Any]]:
        async with _opening(files) as keyring:
            partner = await client.partner()
            views = await actions.list_cases(client, keyring, status=args.status, thread=True)
            actions.check_keyring(partner, await keyring)
            return partner.slug, views

    slug, views = _run(args, action)
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


def run_rewrap(args: argparse.Namespace) -> int:
    """grievance desk rewrap."""
    keyring = open_keys(args)
    verify = os.environ.get(VERIFY_KEY_VARIABLE) or None
    result = _run(args, lambda client: actions.rewrap_all(client, keyring, verify_key=verify))
    missing = dict(sorted(result.missing.items()))
    if args.json:
        _print_json(
            {
                "partner": result.partner,
                "active_key_id": result.active_key_id,
                "old_key_ids": result.old_key_ids,
                "cases": result.cases,
                "rewrapped": result.rewrapped,
                "cleaned": result.cleaned,
                "damaged": result.damaged,
                "missing_keys": missing,
            }
        )
    else:
        print(
            f"Re-wrapped {result.rewrapped} entries of {result.cases} cases from key(s) "
            f"{', '.join(result.old_key_ids)} to the active key {result.active_key_id}."
        )
        if result.cleaned:
            print(f"Removed leftover old wraps from {result.cleaned} more entries.")
    # What is left undone is said once, on stderr, like any other error; the counts stand.
    left = [f"{count} entries are sealed to key {key}" for key, count in missing.items()]
    if result.damaged:
        left.append(f"{result.damaged} entries did not open (damaged) and were left as they are")
    if left:
        advice = " (run again with that key's file: --key)" if missing else ""
        return report_error(f"not all moved: {'; '.join(left)}{advice}", as_json=args.json)
    return 0


# Plumbing -------------------------------------------------------------------------------------


class UsageError(Exception):
    """A malformed command line (exit status 2), reported like every other mistake."""


class Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line (or one JSON object), not a usage block."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


def version() -> str:
    """The installed version of the grievance channel."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("grievance-channel")
    except PackageNotFoundError:
        return "unknown (not installed)"


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m desk CMD`: the case commands alone, without the server's imports.

    The same commands as `grievance desk CMD`; it starts in a fraction of the time because
    nothing of the bot (Telegram, SQLAlchemy) is loaded on the caseworker's laptop.
    """
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = Parser(
        prog=f"{PROG} desk",
        description="The caseworker's desk.",
        epilog=JSON_ERRORS,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    register(parser.add_subparsers(dest="desk_command", required=True, parser_class=Parser))
    as_json = "--json" in arguments
    try:
        args = parser.parse_args(arguments)
        return int(args.run(args))
    except UsageError as exc:
        return report_error(str(exc), as_json=as_json, status=2)
    except KeyboardInterrupt:
        return report_error("interrupted; nothing more was done", as_json=as_json, status=130)


@dataclass(frozen=True)
class KeyFiles:
    """Key files and their passphrases, asked for up front (a prompt needs the terminal)."""

    files: tuple[tuple[Path, str], ...]

    def open(self) -> Keyring:
        """Argon2id for each file: call it before the event loop starts, or in a thread."""
        return Keyring(read_partner_key(path, passphrase) for path, passphrase in self.files)


def key_files(args: argparse.Namespace, environ: Mapping[str, str] = os.environ) -> KeyFiles:
    """The key files of --key or GRIEVANCE_KEY_FILE, each with its passphrase.

    The connection settings are checked first, so a caseworker does not type a passphrase
    only to learn that the server is not set.
    """
    server, token = connection(args, environ)
    paths: list[Path] = args.keys or []
    if not paths:
        from_env = environ.get(KEY_FILE_VARIABLE)
        if not from_env:
            raise DeskError(f"no key file: pass --key FILE or set {KEY_FILE_VARIABLE}")
        paths = [Path(from_env)]
    for path in paths:
        check_key_file(path, KeyKind.PARTNER)
    asyncio.run(_answers(server, token))
    return KeyFiles(
        tuple((path, passphrase_for(str(path), new=False, environ=environ)) for path in paths)
    )


async def _answers(server: str, token: str) -> None:
    """The server is there and takes the token (one request), before a passphrase is asked."""
    async with CaseClient(server, token) as client:
        await client.partner()


@contextlib.asynccontextmanager
async def _opening(files: KeyFiles) -> AsyncIterator[asyncio.Future[Keyring]]:
    """The key files opened (Argon2id) in a thread while the first pages download.

    Its outcome is always collected, so a failure elsewhere never leaves a second one unread.
    """
    keyring = asyncio.ensure_future(asyncio.to_thread(files.open))
    try:
        yield keyring
    finally:
        await asyncio.wait([keyring])
        if not keyring.cancelled():
            keyring.exception()


def open_keys(args: argparse.Namespace, environ: Mapping[str, str] = os.environ) -> Keyring:
    """Open the partner key files here, before any event loop runs."""
    return key_files(args, environ).open()


def connection(
    args: argparse.Namespace, environ: Mapping[str, str] = os.environ
) -> tuple[str, str]:
    """Server and token from the options, else from the environment."""
    server = args.server or environ.get(SERVER_VARIABLE)
    token = args.token or environ.get(TOKEN_VARIABLE)
    if not server:
        raise DeskError(f"no server: pass --server URL or set {SERVER_VARIABLE}")
    if not token:
        raise DeskError(f"no token: set {TOKEN_VARIABLE} (or pass --token)")
    token = token.strip()
    if not looks_like_token(token):
        raise DeskError("this is not a caseworker token (they start with 'gct_')")
    return server, token


def _run(args: argparse.Namespace, action: Callable[[CaseClient], Awaitable[T]]) -> T:
    server, token = connection(args)

    async def main() -> T:
        async with CaseClient(server, token) as client:
            return await action(client)

    return asyncio.run(main())


def _guarded(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """One line on stderr (one JSON object with --json) and status 1 for anything the
    caseworker can act on."""

    def run(args: argparse.Namespace) -> int:
        try:
            return command(args)
        except (DeskError, CryptoError) as exc:
            return report_error(str(exc), as_json=getattr(args, "json", False))

    run.__doc__ = command.__doc__
    return run


def _added(args: argparse.Namespace, entry: Any, what: str, who: str) -> int:
    if args.json:
        _print_json(
            {
                "case": parse_case_id(args.case),
                "entry_id": entry.id,
                "seq": entry.seq,
                "purpose": entry.purpose,
                "day": entry.created_day,
                "wraps": sorted(entry.wraps),
            }
        )
    else:
        print(f"{what} #{entry.seq} added to case {parse_case_id(args.case)}: {who}.")
    return 0


def _day(text: str) -> str:
    try:
        return datetime.strptime(text, "%Y-%m-%d").date().isoformat()
    except ValueError as exc:
        raise DeskError(f"'{text}' is not a day; write it as YYYY-MM-DD") from exc


def _print_json(data: Any) -> None:
    print_json(data)


# Output shared with `grievance` ------------------------------------------------------------------


def print_json(data: Any) -> None:
    """A result, as JSON on stdout."""
    print(json.dumps(data, indent=2, ensure_ascii=False))


def one_line(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """`text` safe for a terminal and a log: control characters escaped, long text cut."""
    safe = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return safe if len(safe) <= limit else safe[:limit] + "…"


def report_error(
    message: str, *, as_json: bool, status: int = 1, details: Mapping[str, Any] | None = None
) -> int:
    """Say a mistake: `grievance: error: ...` on stderr, or one JSON object there with --json.

    Returns `status`, the exit status to leave with.
    """
    if as_json:
        body = {"error": one_line(message), "status": status, **(details or {})}
        print(json.dumps(body, ensure_ascii=False), file=sys.stderr)
    else:
        print(f"{PROG}: error: {one_line(message)}", file=sys.stderr)
    return status


def report_warning(message: str) -> None:
    """Something the person should know although the command did what it was asked."""
    print(f"{PROG}: warning: {one_line(message)}", file=sys.stderr)
