"""Where a key file's passphrase comes from: GRIEVANCE_PASSPHRASE, else an interactive prompt.

Check first, ask second: the cheap checks a key file allows (it is there, it is a file, it is a
key file of the right kind; a new file's place is free and writable) run before anybody types a
passphrase, so a typo in a path costs no passphrase and no Argon2 wait.

PyNaCl (through crypto.keyfile) is loaded when a key file is checked, not when this module is:
the command lines name PASSPHRASE_VARIABLE in every --help.
"""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Final

from crypto.errors import KeyFileError

if TYPE_CHECKING:
    from crypto.keyfile import KeyKind

PASSPHRASE_VARIABLE: Final = "GRIEVANCE_PASSPHRASE"  # noqa: S105 (a variable name)
NEW_PASSPHRASE_TRIES: Final = 3


class PassphraseUnavailable(KeyFileError):
    """No passphrase in the environment and no terminal to ask one from."""


def passphrase_for(
    path: str,
    *,
    new: bool,
    environ: Mapping[str, str] = os.environ,
    prompt: Callable[[str], str] = getpass.getpass,
    interactive: bool | None = None,
    say: Callable[[str], None] | None = None,
) -> str:
    """The passphrase for the key file at `path`; asked twice when the file is being created.

    A new passphrase that is too short, or not typed the same twice, is asked again on a
    terminal (a few times); from GRIEVANCE_PASSPHRASE it is refused in one sentence.
    """
    from crypto.keyfile import check_passphrase

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
    tell = say or (lambda text: print(text, file=sys.stderr))
    for attempt in range(1, NEW_PASSPHRASE_TRIES + 1):
        first = prompt(f"New passphrase for {path} (at least 12 characters): ")
        try:
            check_passphrase(first)
        except KeyFileError as exc:
            if attempt == NEW_PASSPHRASE_TRIES:
                raise KeyFileError(f"{exc}; nothing was written") from exc
            tell(f"{exc}; try again.")
            continue
        if prompt("The same passphrase again: ") == first:
            return first
        if attempt == NEW_PASSPHRASE_TRIES:
            break
        tell("The two passphrases differ; try again.")
    raise KeyFileError("the two passphrases differ; nothing was written")


def check_key_file(path: Path, kind: KeyKind) -> None:
    """The file is there, readable, and a key file of `kind`: before its passphrase is asked."""
    import json

    from crypto.keyfile import FILE_FORMAT, MAX_FILE_BYTES, KeyKind

    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError as exc:
        raise KeyFileError(f"{path}: no such key file") from exc
    except IsADirectoryError as exc:
        raise KeyFileError(f"{path} is a folder, not a key file") from exc
    except OSError as exc:
        raise KeyFileError(f"{path}: cannot read the key file: {exc.strerror}") from exc
    try:
        document = json.loads(raw)
        found = document["kind"] if document.get("format") == FILE_FORMAT else None
    except (ValueError, KeyError, TypeError, AttributeError):
        found = None
    if not isinstance(found, str):
        raise KeyFileError(f"{path} is not a grievance key file")
    if found != kind.value:
        wanted = (
            "an administrators' signing key" if kind is KeyKind.ADMIN_SIGNING else "a partner key"
        )
        raise KeyFileError(f"{path} is not {wanted} file")


def check_new_file(path: Path) -> None:
    """A key file is about to be written at `path`: it must not exist, its folder must."""
    if path.exists() or path.is_symlink():
        raise KeyFileError(f"{path} already exists; choose another file name")
    folder = path.parent
    if not folder.is_dir():
        raise KeyFileError(f"cannot create {path}: there is no folder {folder}")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise KeyFileError(f"cannot create {path}: the folder {folder} is not writable")
