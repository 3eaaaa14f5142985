"""`desk rewrap`: after a key rotation, every case moved from the old key(s) to the active key."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from desk.cli.options import (
    ENVIRONMENT,
    OPEN_KEYS,
    VERIFY_KEY_VARIABLE,
    key_options,
    server_options,
)
from desk.commandline import add_command, report_error, show

if TYPE_CHECKING:
    from desk.actions import RewrapResult


def add(commands: argparse._SubParsersAction[Any]) -> None:
    """Add rewrap to the desk's commands."""
    add_command(
        commands,
        "rewrap",
        run_rewrap,
        parents=[server_options(), key_options()],
        help="after a key rotation: move every case from the old key(s) to the active key",
        environment=(*OPEN_KEYS, VERIFY_KEY_VARIABLE),
        meanings=ENVIRONMENT,
    )


def run_rewrap(args: argparse.Namespace) -> int:
    """grievance desk rewrap: what is left undone is said once, on stderr; the counts stand."""
    from desk import actions
    from desk.cli.connect import open_keys, verify_key, with_client

    keyring = open_keys(args)
    verify = verify_key()
    result = with_client(
        args, lambda client: actions.rewrap_all(client, keyring, verify_key=verify)
    )
    show(result, rewrapped_text, as_json=args.json)
    left = [
        f"{count} entries are sealed to key {key}" for key, count in result.missing_keys.items()
    ]
    if result.damaged:
        left.append(f"{result.damaged} entries did not open (damaged) and were left as they are")
    if left:
        advice = " (run again with that key's file: --key)" if result.missing_keys else ""
        return report_error(f"not all moved: {'; '.join(left)}{advice}", as_json=args.json)
    return 0


def rewrapped_text(result: RewrapResult) -> str:
    text = (
        f"Re-wrapped {result.rewrapped} entries of {result.cases} cases from key(s) "
        f"{', '.join(result.old_key_ids)} to the active key {result.active_key_id}."
    )
    if result.cleaned:
        text += f"\nRemoved leftover old wraps from {result.cleaned} more entries."
    return text
