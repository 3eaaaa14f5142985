"""Retention: closed cases are purged once unchanged for longer than GRIEVANCE_RETENTION_DAYS.

A case that is no longer stored cannot be seized, leaked or subpoenaed. Only closed cases go, and
only after a quiet period (any status change or new entry restarts it), so a caseworker always has
time to reopen one. Each purge is audited (actor ``retention``, the case id, the day): never
content.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import audit, cases, days
from storage.errors import StorageError

log = logging.getLogger(__name__)

ACTOR: Final = "retention"
ACTION: Final = "case.purge"
BATCH: Final = 100
"""Cases purged per transaction: a long backlog never holds the write lock for long."""
DAY_SECONDS: Final = 24 * 60 * 60.0
RETRY_SECONDS: Final = 60 * 60.0
"""After a failed run (database down), try again within the hour rather than the next day."""


@dataclass(frozen=True)
class PurgeResult:
    """What a retention run did (or, in a dry run, would do)."""

    before: date  # cases last changed before this day were due
    case_ids: list[str]
    dry_run: bool


def cutoff(retention_days: int, today: date | None = None) -> date:
    """The first day that is kept: a case last changed before it is older than the retention."""
    if retention_days < 1:
        raise ValueError("retention is at least one day")
    return (today or days.today()) - timedelta(days=retention_days)


async def purge_expired(
    sessions: async_sessionmaker[AsyncSession], retention_days: int, *, dry_run: bool = False
) -> PurgeResult:
    """Purge (or with ``dry_run`` only list) every closed case older than the retention."""
    before = cutoff(retention_days)
    if dry_run:
        async with sessions() as session:
            due = await cases.closed_cases_older_than(session, before)
        return PurgeResult(before, [case.id for case in due], dry_run=True)
    purged: list[str] = []
    while True:
        # Each batch is chosen and purged in one transaction, its rows locked on PostgreSQL, so
        # a case reopened meanwhile is either seen as open or waits for the purge to finish.
        async with sessions() as session, session.begin():
            batch = await cases.closed_cases_older_than(session, before, BATCH, for_update=True)
            for case in batch:
                await cases.purge_case(session, case)
                await audit.record(session, ACTOR, ACTION, case.id)
        purged += [case.id for case in batch]
        if len(batch) < BATCH:
            return PurgeResult(before, purged, dry_run=False)


async def run_daily(sessions: async_sessionmaker[AsyncSession], retention_days: int) -> None:
    """Purge at start and then once a day, until cancelled; a failed run is retried sooner."""
    while True:
        delay = DAY_SECONDS
        try:
            result = await purge_expired(sessions, retention_days)
        except (SQLAlchemyError, StorageError, OSError) as exc:
            # The type only: a database message could quote a case id.
            log.error("retention: the purge failed (%s); retrying later", type(exc).__name__)
            delay = RETRY_SECONDS
        else:
            if result.case_ids:
                log.info("retention: purged %d closed case(s)", len(result.case_ids))
        await asyncio.sleep(delay)
