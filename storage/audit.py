"""The administrators' audit trail: who changed partners, keys, sites and credentials.

An event names an actor, an action and a subject (a slug or key id): never report content and
never anything about a worker. Functions flush but never commit: the caller owns the transaction.
"""

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import days
from storage.models import AUDIT_FIELD_LENGTH, AUDIT_SUBJECT_LENGTH, AuditEvent


async def record(
    session: AsyncSession, actor: str, action: str, subject: str | None = None
) -> AuditEvent:
    """Record that ``actor`` did ``action`` to ``subject`` today.

    Raises ValueError if a field is longer than its column, rather than letting SQLite keep it
    and PostgreSQL refuse it.
    """
    for field, value, limit in (
        ("actor", actor, AUDIT_FIELD_LENGTH),
        ("action", action, AUDIT_FIELD_LENGTH),
        ("subject", subject or "", AUDIT_SUBJECT_LENGTH),
    ):
        if len(value) > limit:
            raise ValueError(f"audit {field} is longer than {limit} characters")
    # Day only: an exact time of an administrative action could be matched to a report.
    event = AuditEvent(day=days.today(), actor=actor, action=action, subject=subject)
    session.add(event)
    await session.flush()
    return event


async def list_events(
    session: AsyncSession, limit: int | None = None, since: date | None = None
) -> list[AuditEvent]:
    """Return audit events oldest first (or the newest ``limit``, still oldest first), only
    those of ``since`` or later if given."""
    query = select(AuditEvent)
    if since is not None:
        query = query.where(AuditEvent.day >= since)
    if limit is None:
        return list(await session.scalars(query.order_by(AuditEvent.id)))
    newest = await session.scalars(query.order_by(AuditEvent.id.desc()).limit(limit))
    return list(reversed(list(newest)))
