"""How an administrator's command reaches the database, signs, and says what it did.

Imported by the commands' run functions, never when the command line is built: it loads
SQLAlchemy. Every command that uses the database says which one: a line on stderr after its
output (`grievance: database: SQLite database /srv/grievance/grievance.sqlite3`), a "database"
field with --json, and the same words at the end of an error. Commands that only read never
create a database. Commands that sign are tried first in a transaction that is rolled back, so
that every check (unknown partner, duplicate key...) runs before the signing key's passphrase is
asked; key files are opened before the event loop starts, so Argon2 never blocks it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from bot import config
from bot.admin.signing import Rehearsal, Signer
from bot.database import open_database
from bot.errors import UserError
from crypto.errors import CryptoError
from crypto.keyfile import KeyKind, read_signing_key
from crypto.keys import PublicKey, parse_partner_key
from desk.commandline import PROG, show
from desk.passphrase import check_key_file, passphrase_for
from storage.db import describe

R = TypeVar("R")


def database(args: argparse.Namespace) -> str:
    """The configured database's URL; remembered on `args` so every outcome can name it."""
    url = config.database_url(os.environ)
    args.database = describe(url)
    return url


def in_session(
    args: argparse.Namespace,
    action: Callable[[AsyncSession], Coroutine[Any, Any, R]],
    *,
    create: bool = True,
    rollback: bool = False,
) -> R:
    """`action(session)` in one transaction: committed, or with `rollback` only tried."""
    url = database(args)

    async def run() -> R:
        async with open_database(url, create=create) as sessions, sessions() as session:
            transaction = await session.begin()
            try:
                result = await action(session)
            except BaseException:
                await transaction.rollback()
                raise
            if rollback:
                await transaction.rollback()
            else:
                await transaction.commit()
            return result

    return asyncio.run(run())


def signed(
    args: argparse.Namespace,
    action: Callable[[AsyncSession, Signer | Rehearsal], Coroutine[Any, Any, R]],
) -> R:
    """Check everything, then ask for the signing key's passphrase, then sign and store."""
    pinned = config.admin_verify_key(os.environ)
    check_key_file(args.signing_key, KeyKind.ADMIN_SIGNING)
    in_session(args, lambda session: action(session, Rehearsal()), rollback=True)
    passphrase = passphrase_for(str(args.signing_key), new=False)
    signer = Signer.checked(read_signing_key(args.signing_key, passphrase), pinned)
    return in_session(args, lambda session: action(session, signer))


def done(
    args: argparse.Namespace,
    result: R,
    text: Callable[[R], str],
    warnings: Sequence[str] = (),
) -> int:
    """Print a result (text, or JSON with the database and any warnings) and say which
    database it came from."""
    where = getattr(args, "database", None)
    as_json = getattr(args, "json", False)
    show(
        result,
        text,
        as_json=as_json,
        extra={"database": where} if where else None,
        warnings=warnings,
    )
    if where and not as_json:
        print(f"{PROG}: database: {where}", file=sys.stderr)
    return 0


def public_key(text: str) -> PublicKey:
    """A partner's gpk1... key as given with --public-key."""
    try:
        return parse_partner_key(text)
    except CryptoError as exc:
        raise UserError(f"--public-key: {exc}") from exc
