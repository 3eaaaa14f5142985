"""How a desk command reaches the server and opens the key files; imported by the commands'
run functions, never when the command line is built (it loads the HTTP client and PyNaCl).

Key files are opened (Argon2id) before the event loop starts, or in a thread while the first
pages download, and their passphrases are asked only once the cheap checks passed: the server
answers and accepts the token, the files are key files.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from crypto.keyfile import KeyKind, read_partner_key
from crypto.tokens import looks_like_token
from desk.cases import Keyring
from desk.cli.options import (
    KEY_FILE_VARIABLE,
    SERVER_VARIABLE,
    TOKEN_VARIABLE,
    VERIFY_KEY_VARIABLE,
)
from desk.client import CaseClient
from desk.errors import DeskError
from desk.passphrase import check_key_file, passphrase_for

T = TypeVar("T")


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


def open_keys(args: argparse.Namespace, environ: Mapping[str, str] = os.environ) -> Keyring:
    """Open the partner key files here, before any event loop runs."""
    return key_files(args, environ).open()


async def _answers(server: str, token: str) -> None:
    """The server is there and takes the token (one request), before a passphrase is asked."""
    async with CaseClient(server, token) as client:
        await client.partner()


@contextlib.asynccontextmanager
async def opening(files: KeyFiles) -> AsyncIterator[asyncio.Future[Keyring]]:
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


def with_client(args: argparse.Namespace, action: Callable[[CaseClient], Awaitable[T]]) -> T:
    """`action(client)` in its own event loop, with a client for the configured server."""
    server, token = connection(args)

    async def main() -> T:
        async with CaseClient(server, token) as client:
            return await action(client)

    return asyncio.run(main())


def verify_key(environ: Mapping[str, str] = os.environ) -> str | None:
    """The administrators' verify key, if pinned: checks the partner's key before sealing."""
    return environ.get(VERIFY_KEY_VARIABLE) or None


def day(text: str) -> str:
    """A day as the caseworker typed it, YYYY-MM-DD."""
    try:
        return datetime.strptime(text, "%Y-%m-%d").date().isoformat()
    except ValueError as exc:
        raise DeskError(f"'{text}' is not a day; write it as YYYY-MM-DD") from exc
