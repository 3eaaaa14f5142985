"""`grievance admin ...`: the administrators' commands, one module per thing they administer,
and `admin keygen` for their own signing key."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.cli import audit, credentials, partners, purge, sites
from bot.cli.environment import MEANINGS, PASSPHRASE
from desk.commandline import Parser, add_command

if TYPE_CHECKING:
    from bot.cli.results import SigningKeyCreated


def add(commands: argparse._SubParsersAction[Any], name: str, help: str) -> None:
    """Add `admin` and its commands."""
    admin = commands.add_parser(name, help=help)
    admin_commands = admin.add_subparsers(dest="admin_command", required=True, parser_class=Parser)
    keygen = add_command(
        admin_commands,
        "keygen",
        run_keygen,
        help="create the administrators' signing key",
        environment=PASSPHRASE,
        meanings=MEANINGS,
    )
    keygen.add_argument("--out", type=Path, required=True, help="key file to create")
    partners.add(admin_commands)
    sites.add(admin_commands)
    credentials.add(admin_commands)
    purge.add(admin_commands)
    audit.add(admin_commands)


def run_keygen(args: argparse.Namespace) -> int:
    """grievance admin keygen --out FILE: the place is checked before the passphrase is asked."""
    from bot.cli.results import SigningKeyCreated
    from bot.cli.running import done
    from crypto.keyfile import write_signing_key
    from crypto.keys import new_signing_key, verify_key_text
    from desk.passphrase import check_new_file, passphrase_for

    check_new_file(args.out)
    passphrase = passphrase_for(str(args.out), new=True)
    key = new_signing_key()
    write_signing_key(args.out, key, passphrase)
    return done(
        args, SigningKeyCreated(verify_key_text(key.verify_key), str(args.out)), keygen_text
    )


def keygen_text(result: SigningKeyCreated) -> str:
    from bot.config import VERIFY_KEY_VARIABLE

    return (
        f"Signing key written to {result.file}. Keep it offline; it signs partner keys.\n"
        "Pin this verify key on the server (and export it where you sign):\n"
        f"{VERIFY_KEY_VARIABLE}={result.verify_key}"
    )
