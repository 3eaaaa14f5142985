"""Database faults on demand: a statement or commit fails as a lost server or a full disk would.

Installed on the SQLAlchemy engine behind a session factory, so the code under test runs exactly
as in production; only the database "answers" differently. Every SQL statement and every COMMIT
counts as one call, in the order the code makes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker


def _outage(statement: str) -> OperationalError:
    return OperationalError(statement, {}, Exception("server closed the connection unexpectedly"))


@dataclass
class DatabaseFaults:
    """Counts the database calls and fails the ones it is told to."""

    calls: int = 0
    failures: int = 0
    fail_at: int | None = None
    """Fail the call with this number (1 = the next call), once."""
    down: bool = False
    """Fail every call until `down` is False again."""
    lose_commit_answer: bool = False
    """Let the next COMMIT happen, then fail as if its answer was lost on the way back."""

    @classmethod
    def install(cls, sessions: async_sessionmaker[AsyncSession]) -> DatabaseFaults:
        """Watch every call made through `sessions`' engine."""
        faults = cls()
        engine = sessions.kw["bind"].sync_engine
        event.listen(engine, "before_cursor_execute", faults._before_execute)
        event.listen(engine, "commit", faults._on_commit)
        return faults

    def start_counting(self) -> None:
        """Count the calls from now on, failing none."""
        self.calls, self.fail_at = 0, None

    def fail_call(self, number: int) -> None:
        """The `number`th call from now fails (1 = the very next one); the count restarts."""
        self.calls, self.fail_at = 0, number

    def heal(self) -> None:
        """No more failures."""
        self.fail_at, self.down, self.lose_commit_answer = None, False, False

    def _count(self, what: str) -> None:
        self.calls += 1
        if self.down or self.calls == self.fail_at:
            self.failures += 1
            raise _outage(what)

    def _before_execute(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self._count(statement.split(None, 1)[0] if statement else "?")

    def _on_commit(self, conn: Any) -> None:
        if self.lose_commit_answer:
            self.lose_commit_answer = False
            conn.connection.dbapi_connection.commit()  # the commit itself goes through ...
            self.failures += 1
            raise _outage("COMMIT")  # ... and its answer never arrives
        self._count("COMMIT")
