"""How `grievance` and `python -m desk` speak: one argparse helper and one output helper.

Both command lines build their commands with `add_command` (each --help ends with the environment
variables the command reads and, with --json, how its errors look), run them with `run_main`, and
print with `show`: a result is a frozen dataclass, printed as JSON (`dataclasses.asdict`) with
--json, else as the text its command's one function for that result type makes. A person's
mistake is one line on stderr (`grievance: error: ...`) with exit status 1, or with --json one
JSON object there (`{"error": "...", "status": N}`); a malformed command line has status 2.

It lives in desk/ because desk may not import bot (import-linter) while bot may import desk:
`bot/cli` imports it from here. It imports only argparse and sys at module level, so that building
every command (and so any --help) loads neither the server nor the HTTP client: the modules of
the commands import what they need inside their run functions.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final, NoReturn, TypeVar

PROG: Final = "grievance"
MAX_MESSAGE_CHARS: Final = 500
JSON_ERRORS: Final = (
    "With --json, results are JSON on stdout and an error is one JSON object on stderr, "
    '{"error": "...", "status": N}, with the same non-zero exit status.'
)

Run = Callable[[argparse.Namespace], int]
R = TypeVar("R")


class UsageError(Exception):
    """A malformed command line (exit status 2), reported like every other mistake."""


class Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line (or one JSON object), not a usage block."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


# Building commands ----------------------------------------------------------------------------


def add_version(parser: argparse.ArgumentParser) -> None:
    """--version, looked up only when asked for (the package metadata is slow to load)."""
    parser.add_argument("--version", action=_Version, nargs=0, help="print the version and exit")


class _Version(argparse.Action):
    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> NoReturn:
        print(f"{parser.prog} {version()}")
        parser.exit()


def version() -> str:
    """The installed version of the grievance channel."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("grievance-channel")
    except PackageNotFoundError:
        return "unknown (not installed)"


def environment_help(names: Sequence[str], meanings: Mapping[str, str]) -> str:
    """The epilog of a command's --help: the environment variables it reads, and why."""
    if not names:
        return "This command reads no environment variables."
    width = max(len(name) for name in names)
    lines = [f"  {name:<{width}}  {meanings[name]}" for name in names]
    return "environment variables it reads:\n" + "\n".join(lines)


def add_command(
    commands: argparse._SubParsersAction[Any],
    name: str,
    run: Run,
    *,
    help: str,
    environment: Sequence[str],
    meanings: Mapping[str, str],
    json_flag: bool = True,
    parents: Iterable[argparse.ArgumentParser] = (),
) -> argparse.ArgumentParser:
    """A leaf command whose --help says what it does, the environment variables it reads and,
    with --json (given unless `json_flag` is false), how its errors look."""
    epilog = environment_help(environment, meanings)
    if json_flag:
        epilog += "\n\n" + JSON_ERRORS
    parser: argparse.ArgumentParser = commands.add_parser(
        name,
        parents=list(parents),
        help=help,
        description=help[0].upper() + help[1:] + ".",
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    if json_flag:
        parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(run=run)
    return parser


def run_main(
    parser: argparse.ArgumentParser,
    argv: Sequence[str] | None,
    *,
    mistakes: tuple[type[Exception], ...],
    context: Callable[[argparse.Namespace], Mapping[str, str]] = lambda args: {},
) -> int:
    """Parse `argv` (default: the process's arguments), run the command, return its exit status.

    An exception of one of `mistakes` is a person's mistake: one sentence, exit status 1, with
    `context` (say, which database) added to it. Ctrl-C is one line and status 130.
    """
    arguments = list(sys.argv[1:] if argv is None else argv)
    as_json = "--json" in arguments
    args: argparse.Namespace | None = None
    try:
        args = parser.parse_args(arguments)
        return int(args.run(args) or 0)
    except UsageError as exc:
        return report_error(str(exc), as_json=as_json, status=2)
    except mistakes as exc:
        where = dict(context(args)) if args is not None else {}
        message = str(exc)
        if as_json:
            return report_error(message, as_json=True, details=where)
        said = [f"{what}: {value}" for what, value in where.items() if value not in message]
        if said:
            message += f" ({'; '.join(said)})"
        return report_error(message, as_json=False)
    except KeyboardInterrupt:
        return report_error("interrupted; nothing more was done", as_json=as_json, status=130)


# Output ---------------------------------------------------------------------------------------


def show(
    result: R,
    text: Callable[[R], str],
    *,
    as_json: bool,
    extra: Mapping[str, Any] | None = None,
    warnings: Sequence[str] = (),
) -> None:
    """Print a result: as JSON (its fields, then `extra`, then any warnings), or as `text(result)`
    on stdout with each warning on stderr."""
    if as_json:
        data = {**plain(result), **(extra or {})}
        if warnings:
            data["warnings"] = list(warnings)
        print_json(data)
        return
    said = text(result)
    if said:
        print(said)
    for warning in warnings:
        report_warning(warning)


def plain(result: Any) -> dict[str, Any]:
    """A dataclass's fields (nested ones too) as a dict, for JSON; a mapping as it is."""
    import dataclasses

    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        return dataclasses.asdict(result)
    return dict(result)


def print_json(data: Any) -> None:
    """A result, as JSON on stdout; days as YYYY-MM-DD."""
    import json

    print(json.dumps(data, indent=2, ensure_ascii=False, default=_day))


def _day(value: Any) -> str:
    from datetime import date

    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


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
        import json

        body = {"error": one_line(message), "status": status, **(details or {})}
        print(json.dumps(body, ensure_ascii=False), file=sys.stderr)
    else:
        print(f"{PROG}: error: {one_line(message)}", file=sys.stderr)
    return status


def report_warning(message: str) -> None:
    """Something the person should know although the command did what it was asked."""
    print(f"{PROG}: warning: {one_line(message)}", file=sys.stderr)
