"""`grievance desk ...`: the caseworker's commands (`desk.cli`, also `python -m desk`), and
`desk keygen` for a partner's key pair."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desk import cli as desk_cli
from desk.cli.options import ENVIRONMENT
from desk.commandline import Parser, add_command
from desk.passphrase import PASSPHRASE_VARIABLE

if TYPE_CHECKING:
    from bot.cli.results import PartnerKeyCreated


def add(commands: argparse._SubParsersAction[Any], name: str, help: str) -> None:
    """Add `desk` and its commands."""
    desk = commands.add_parser(name, help=help)
    desk_commands = desk.add_subparsers(dest="desk_command", required=True, parser_class=Parser)
    keygen = add_command(
        desk_commands,
        "keygen",
        run_keygen,
        help="create a partner key pair",
        environment=(PASSPHRASE_VARIABLE,),
        meanings=ENVIRONMENT,
    )
    keygen.add_argument("--out", type=Path, required=True, help="key file to create")
    desk_cli.register(desk_commands)


def run_keygen(args: argparse.Namespace) -> int:
    """grievance desk keygen --out FILE: the place is checked before the passphrase is asked."""
    from bot.cli.results import PartnerKeyCreated
    from bot.cli.running import done
    from desk.keygen import create_partner_key
    from desk.passphrase import check_new_file, passphrase_for

    check_new_file(args.out)
    passphrase = passphrase_for(str(args.out), new=True)
    created = create_partner_key(args.out, passphrase)
    result = PartnerKeyCreated(created.public_key, created.key_id, str(args.out))
    return done(args, result, keygen_text)


def keygen_text(result: PartnerKeyCreated) -> str:
    return (
        f"Partner key written to {result.file}. It never leaves this machine.\n"
        "Give the administrators this public key:\n"
        f"public key: {result.public_key}\n"
        f"key id:     {result.key_id}"
    )
