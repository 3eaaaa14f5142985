"""What the desk's commands have in common on the command line: the environment variables they
read, the options that say which server and which key files, and the statuses to choose from.

Only argparse here: building the commands (any --help) must not load the HTTP client or PyNaCl.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Final

from desk.passphrase import PASSPHRASE_VARIABLE

SERVER_VARIABLE: Final = "GRIEVANCE_SERVER"
TOKEN_VARIABLE: Final = "GRIEVANCE_TOKEN"  # noqa: S105 (a variable name)
KEY_FILE_VARIABLE: Final = "GRIEVANCE_KEY_FILE"
VERIFY_KEY_VARIABLE: Final = "GRIEVANCE_ADMIN_VERIFY_KEY"
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
SEAL: Final = (*CONNECT, VERIFY_KEY_VARIABLE)


def server_options() -> argparse.ArgumentParser:
    """--server and --token, for every command that talks to the server."""
    server = argparse.ArgumentParser(add_help=False)
    server.add_argument(
        "--server", metavar="URL", help=f"the grievance server (default: ${SERVER_VARIABLE})"
    )
    server.add_argument(
        "--token",
        help=f"your caseworker token (default: ${TOKEN_VARIABLE}; prefer the variable, since "
        "a command line is visible to other users of the machine)",
    )
    return server


def key_options() -> argparse.ArgumentParser:
    """--key, repeatable, for every command that decrypts."""
    keys = argparse.ArgumentParser(add_help=False)
    keys.add_argument(
        "--key",
        action="append",
        type=Path,
        metavar="FILE",
        dest="keys",
        help=f"partner key file (default: ${KEY_FILE_VARIABLE}); repeat to open several",
    )
    return keys
