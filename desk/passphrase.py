"""Where a key file's passphrase comes from: GRIEVANCE_PASSPHRASE, else an interactive prompt."""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Callable, Mapping
from typing import Final

from crypto.errors import KeyFileError
from crypto.keyfile import check_passphrase

PASSPHRASE_VARIABLE: Final = "GRIEVANCE_PASSPHRASE"  # noqa: S105 (a variable name)


class PassphraseUnavailable(KeyFileError):
    """No passphrase in the environment and no terminal to ask one from."""


def passphrase_for(
    path: str,
    *,
    new: bool,
    environ: Mapping[str, str] = os.environ,
    prompt: Callable[[str], str] = getpass.getpass,
    interactive: bool | None = None,
) -> str:
    """The passphrase for the key file at `path`; asked twice when the file is being created."""
    from_env = environ.get(PASSPHRASE_VARIABLE)
    if from_env:
        if new:
            check_passphrase(from_env)
        return from_env
    if interactive is None:
        interactive = sys.stdin.isatty()
    if not interactive:
        raise PassphraseUnavailable(
            f"no passphrase for {path}: set {PASSPHRASE_VARIABLE} or run this in a terminal"
        )
    if not new:
        return prompt(f"Passphrase for {path}: ")
    first = prompt(f"New passphrase for {path} (at least 12 characters): ")
    check_passphrase(first)
    if prompt("The same passphrase again: ") != first:
        raise KeyFileError("the two passphrases differ; nothing was written")
    return first
