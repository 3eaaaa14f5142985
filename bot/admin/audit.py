"""Reading the audit log: which actor did which action to which subject, on which day.

That is all an event holds (a slug, a key id, a credential or a case id as subject): never a
report's content, never anything about a worker, never a time finer than the day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit


@dataclass(frozen=True)
class AuditEntry:
    """One recorded action."""

    day: date
    actor: str
    action: str
    subject: str | None


@dataclass(frozen=True)
class AuditLog:
    """Events oldest first."""

    events: tuple[AuditEntry, ...]


async def read(
    session: AsyncSession, *, since: date | None = None, limit: int | None = None
) -> AuditLog:
    """Events from `since` on (every day if None); with `limit`, only the newest that many."""
    return AuditLog(
        tuple(
            AuditEntry(event.day, event.actor, event.action, event.subject)
            for event in await audit.list_events(session, limit=limit, since=since)
        )
    )
