"""One translation of "the database failed" into the engine's StorageUnavailable.

Every server-side port (directory, submitter, tracker) runs its database work inside
`storage_unavailable_on_error`, so a lost server, a full disk or a locked file always reaches the
engine as the same named exception, and the engine answers it at one place.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

from sqlalchemy.exc import SQLAlchemyError

from handlers.ports import StorageUnavailable

log = logging.getLogger(__name__)

DATABASE_ERRORS: Final = (SQLAlchemyError, OSError)
"""What a database outage raises: SQLAlchemy's errors, and the driver's socket errors and
timeouts that reach us unwrapped (asyncpg's connection refused is an OSError)."""


def unavailable(
    what: str, exc: BaseException, error: type[StorageUnavailable] = StorageUnavailable
) -> StorageUnavailable:
    """The exception to raise for database error `exc`; logs what failed, never its text."""
    # The kind of failure only: a driver's message can quote the parameters of a statement.
    log.error("%s: the database is unavailable (%s)", what, type(exc).__name__)
    return error()


@contextmanager
def storage_unavailable_on_error(
    what: str, error: type[StorageUnavailable] = StorageUnavailable
) -> Iterator[None]:
    """Turn a database error in the block into `error` (StorageUnavailable or a kind of it)."""
    try:
        yield
    except DATABASE_ERRORS as exc:
        raise unavailable(what, exc, error) from exc
