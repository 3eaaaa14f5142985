"""Cases, their entries (opaque envelopes) and the wraps of each entry's data key.

Every read a caseworker can trigger is scoped by ``partner_id``: another partner's case looks
exactly like a missing one. Functions flush but never commit: the caller owns the transaction, so a
case and its first entries are stored all or nothing (no receipt without a whole case).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import LargeBinary, Select, delete, func, inspect, null, select, type_coerce, update
from sqlalchemy import case as sql_case
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from storage import days
from storage.errors import AlreadyExists, NotFound
from storage.models import Case, CaseEntry, Partner, Wrap
from vocabulary import Author, CaseStatus, Purpose

#: Default and largest page of ``list_cases``, so one request cannot pull a whole queue.
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000

_Query = TypeVar("_Query", bound=Select[*tuple[Any, ...]])


@dataclass(frozen=True)
class NewEntry:
    """An entry to store: already encrypted by crypto/, with its data key sealed per recipient."""

    id: str
    purpose: Purpose
    author: Author
    body: bytes
    wraps: Mapping[str, bytes] = field(default_factory=dict)  # key_id -> sealed data key


def _not_found(case_id: str) -> NotFound:
    # One message for "missing" and "another partner's", so a caseworker cannot probe other queues.
    return NotFound(f"case {case_id!r} not found")


def _build_entry(entry: NewEntry, seq: int, day: date) -> CaseEntry:
    return CaseEntry(
        id=entry.id,
        seq=seq,
        purpose=entry.purpose,
        author=entry.author,
        # Day only: a finer time could de-anonymise the worker.
        created_day=day,
        body=entry.body,
        # A caseworker has seen what they wrote; a worker's entry waits for the partner to open it.
        seen_by_partner=entry.author == Author.CASEWORKER,
        wraps=[Wrap(key_id=key_id, sealed_key=sealed) for key_id, sealed in entry.wraps.items()],
    )


async def create_case(
    session: AsyncSession,
    case_id: str,
    partner_id: int,
    worker_public_key: bytes,
    lookup_id: bytes,
    entries: Sequence[NewEntry],
) -> Case:
    """Store a new case with its first entries (numbered 1, 2, ...) and their wraps.

    Everything joins the caller's transaction, so a failure anywhere leaves no trace once it rolls
    back. AlreadyExists if the case id or lookup id is taken (the caller draws a new id or
    receipt); NotFound if the partner does not exist. Other database failures propagate as
    SQLAlchemy errors and, like these, require the caller to roll back.
    """
    if await session.get(Partner, partner_id) is None:
        raise NotFound(f"partner #{partner_id} not found")
    if await session.scalar(select(Case.id).where(Case.id == case_id)) is not None:
        raise AlreadyExists(f"case {case_id!r} already exists")
    if await session.scalar(select(Case.id).where(Case.lookup_id == lookup_id)) is not None:
        raise AlreadyExists("a case with this lookup id already exists")
    day = days.today()
    case = Case(
        id=case_id,
        partner_id=partner_id,
        status=CaseStatus.NEW,
        created_day=day,
        updated_day=day,
        worker_public_key=worker_public_key,
        lookup_id=lookup_id,
        entries=[_build_entry(entry, seq, day) for seq, entry in enumerate(entries, start=1)],
    )
    session.add(case)
    await session.flush()
    return case


async def add_entry(session: AsyncSession, case: Case, entry: NewEntry) -> CaseEntry:
    """Append an entry to ``case`` as number max+1 and mark the case as updated today.

    The case row is locked first on PostgreSQL, so two simultaneous entries queue instead of
    colliding on the same number (SQLite has a single writer anyway).
    """
    await session.execute(select(Case.id).where(Case.id == case.id).with_for_update())
    last = await session.scalar(
        select(func.coalesce(func.max(CaseEntry.seq), 0)).where(CaseEntry.case_id == case.id)
    )
    day = days.today()
    new_entry = _build_entry(entry, (last or 0) + 1, day)
    new_entry.case_id = case.id
    session.add(new_entry)
    case.updated_day = day
    await session.flush()
    # Keep an already-loaded entries list in step without a query (async cannot lazy-load).
    if "entries" not in inspect(case).unloaded and new_entry not in case.entries:
        case.entries.append(new_entry)
    return new_entry


async def get_case(
    session: AsyncSession, partner_id: int, case_id: str, *, with_entries: bool = True
) -> Case:
    """Return ``partner_id``'s case ``case_id``, with entries and wraps loaded unless told not to.

    A case of another partner raises the same NotFound as a missing one. ``with_entries=False``
    spares loading attachments when only the case itself changes (status, purge).
    """
    query = select(Case).where(Case.id == case_id, Case.partner_id == partner_id)
    if with_entries:
        query = query.options(selectinload(Case.entries))
    found = await session.scalar(query)
    if found is None:
        raise _not_found(case_id)
    return found


async def get_entry(session: AsyncSession, partner_id: int, entry_id: str) -> CaseEntry:
    """Return ``partner_id``'s entry ``entry_id`` with its wraps and its case loaded.

    An entry of another partner's case raises the same NotFound as a missing one.
    """
    entry = await session.scalar(
        select(CaseEntry)
        .join(Case, Case.id == CaseEntry.case_id)
        .where(CaseEntry.id == entry_id, Case.partner_id == partner_id)
        .options(joinedload(CaseEntry.case))
    )
    if entry is None:
        raise NotFound(f"entry {entry_id!r} not found")
    return entry


async def entry_exists(session: AsyncSession, entry_id: str) -> bool:
    """Tell whether any case (of any partner) has an entry ``entry_id``; ids are unique overall."""
    return await session.scalar(select(CaseEntry.id).where(CaseEntry.id == entry_id)) is not None


@dataclass(frozen=True)
class ListedEntry:
    """An entry as a case list shows it: its size, and its body unless it is an attachment."""

    id: str
    case_id: str
    seq: int
    purpose: Purpose
    author: Author
    created_day: date
    size: int
    body: bytes | None  # None for attachments: they stay in the database until asked for
    wraps: dict[str, bytes]  # key_id -> sealed data key
    seen_by_partner: bool


async def list_entries(
    session: AsyncSession, partner_id: int, case_ids: Sequence[str]
) -> dict[str, list[ListedEntry]]:
    """Return the entries of ``partner_id``'s cases ``case_ids`` by case, in order, for a list.

    Attachment bodies are never read from the database (their sizes are), so listing a page of
    cases costs the reports' few kilobytes, not every photo. Ids of other partners' cases yield
    nothing. One query, entries and their wraps together (an entry with two wraps comes as two
    rows), plain columns rather than ORM objects: a page of a thousand cases is one round trip.
    """
    listed: dict[str, list[ListedEntry]] = {case_id: [] for case_id in case_ids}
    if not case_ids:
        return listed
    body_unless_attachment = type_coerce(
        sql_case((CaseEntry.purpose == Purpose.ATTACHMENT, null()), else_=CaseEntry.body),
        LargeBinary,
    )
    rows = await session.execute(
        select(
            CaseEntry.id,
            CaseEntry.case_id,
            CaseEntry.seq,
            CaseEntry.purpose,
            CaseEntry.author,
            CaseEntry.created_day,
            func.length(CaseEntry.body),
            body_unless_attachment,
            CaseEntry.seen_by_partner,
            Wrap.key_id,
            Wrap.sealed_key,
        )
        .join(Case, Case.id == CaseEntry.case_id)
        .outerjoin(Wrap, Wrap.entry_id == CaseEntry.id)
        .where(Case.partner_id == partner_id, CaseEntry.case_id.in_(list(case_ids)))
        .order_by(CaseEntry.case_id, CaseEntry.seq, Wrap.key_id)
    )
    previous: ListedEntry | None = None
    for entry_id, case_id, seq, purpose, author, day, size, body, seen, kid, sealed in rows:
        if previous is None or previous.id != entry_id:
            previous = ListedEntry(
                id=entry_id,
                case_id=case_id,
                seq=seq,
                purpose=purpose,
                author=author,
                created_day=day,
                size=int(size or 0),
                body=None if body is None else bytes(body),
                wraps={},
                seen_by_partner=bool(seen),
            )
            listed[case_id].append(previous)
        if kid is not None:
            previous.wraps[kid] = bytes(sealed)
    return listed


async def find_case_by_lookup_id(
    session: AsyncSession, lookup_id: bytes, *, with_entries: bool = True
) -> Case | None:
    """Return the case a receipt leads to (entries loaded unless told not to), or None.

    Not partner-scoped: the worker holding the receipt is the one asking.
    """
    query = select(Case).where(Case.lookup_id == lookup_id)
    if with_entries:
        query = query.options(selectinload(Case.entries))
    return await session.scalar(query)


async def list_cases(
    session: AsyncSession,
    partner_id: int,
    status: CaseStatus | None = None,
    changed_since: date | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
    offset: int = 0,
    *,
    with_entries: bool = False,
) -> list[Case]:
    """Return a page of ``partner_id``'s cases, most recently changed first.

    ``changed_since`` includes that day: with day-granular dates, a caseworker syncing again on
    the same day must still see the changes made after their previous sync. Entries are loaded
    only if ``with_entries`` (attachments can be large); ``limit`` is capped at MAX_PAGE_SIZE.
    """
    query = _page(select(Case), partner_id, status, changed_since, limit, offset)
    if with_entries:
        query = query.options(selectinload(Case.entries))
    return list(await session.scalars(query))


@dataclass(frozen=True, slots=True)
class ListedCase:
    """A case as a list shows it: its metadata columns, read without building ORM objects."""

    id: str
    status: CaseStatus
    created_day: date
    updated_day: date
    worker_public_key: bytes
    assignee_credential_id: int | None


async def list_case_page(
    session: AsyncSession,
    partner_id: int,
    status: CaseStatus | None = None,
    changed_since: date | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
    offset: int = 0,
) -> tuple[list[ListedCase], bool]:
    """The page ``list_cases`` gives, as plain rows, and whether more cases follow it.

    One query: it asks for one row more than the page, so "is there a next page" costs nothing.
    """
    columns = select(
        Case.id,
        Case.status,
        Case.created_day,
        Case.updated_day,
        Case.worker_public_key,
        Case.assignee_credential_id,
    )
    size = min(limit, MAX_PAGE_SIZE)
    query = _page(columns, partner_id, status, changed_since, size, offset, one_more=True)
    rows = (await session.execute(query)).all()
    page = [
        ListedCase(case_id, status, created, updated, worker_key, assignee)
        for case_id, status, created, updated, worker_key, assignee in rows[:size]
    ]
    return page, len(rows) > size


def _page(
    query: _Query,
    partner_id: int,
    status: CaseStatus | None,
    changed_since: date | None,
    limit: int,
    offset: int,
    *,
    one_more: bool = False,
) -> _Query:
    """``query`` narrowed to one page of the partner's cases, most recently changed first, of at
    most MAX_PAGE_SIZE; ``one_more`` asks for a row past the page, to tell whether one follows."""
    if limit < 0 or offset < 0:
        raise ValueError("limit and offset must not be negative")
    query = (
        query.where(Case.partner_id == partner_id)
        .order_by(Case.updated_day.desc(), Case.id)
        .limit(min(limit, MAX_PAGE_SIZE) + one_more)
        .offset(offset)
    )
    if status is not None:
        query = query.where(Case.status == status)
    if changed_since is not None:
        query = query.where(Case.updated_day >= changed_since)
    return query


async def set_status(session: AsyncSession, case: Case, status: CaseStatus) -> Case:
    """Move ``case`` to ``status`` and mark it as updated today."""
    case.status = status
    case.updated_day = days.today()
    await session.flush()
    return case


async def assign(session: AsyncSession, case: Case, credential_id: int | None) -> bool:
    """Assign ``case`` to the credential ``credential_id`` (or to nobody); True if it changed.

    The caller checks that the credential is an active one of the case's partner. The case's
    ``updated_day`` stays: who looks after a case is the partner's bookkeeping, not a change a
    sync, the worker or retention looks at.
    """
    if case.assignee_credential_id == credential_id:
        return False
    case.assignee_credential_id = credential_id
    await session.flush()
    return True


@dataclass(frozen=True)
class CaseCounts:
    """How many of a partner's cases there are, by status, and how many have unseen entries."""

    by_status: dict[CaseStatus, int]
    unseen_cases: int
    """Cases with at least one entry of the worker that no caseworker of the partner opened."""

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


async def count_cases(
    session: AsyncSession,
    partner_id: int,
    status: CaseStatus | None = None,
    changed_since: date | None = None,
) -> CaseCounts:
    """Count ``partner_id``'s cases with the filters of ``list_cases``, in one aggregate query.

    No entry body is read: the unseen test looks at the author and the flag of entries only.
    """
    unseen = (
        select(CaseEntry.id)
        .where(
            CaseEntry.case_id == Case.id,
            CaseEntry.author == Author.WORKER,
            CaseEntry.seen_by_partner.is_(False),
        )
        .exists()
    )
    query = (
        select(Case.status, func.count(), func.sum(sql_case((unseen, 1), else_=0)))
        .where(Case.partner_id == partner_id)
        .group_by(Case.status)
    )
    if status is not None:
        query = query.where(Case.status == status)
    if changed_since is not None:
        query = query.where(Case.updated_day >= changed_since)
    by_status = dict.fromkeys(CaseStatus, 0)
    unseen_cases = 0
    for found_status, count, with_unseen in await session.execute(query):
        by_status[found_status] = int(count)
        unseen_cases += int(with_unseen or 0)
    return CaseCounts(by_status, unseen_cases)


async def mark_seen(session: AsyncSession, case: Case, entry_ids: Sequence[str]) -> int:
    """Mark the entries ``entry_ids`` of ``case`` as opened by the partner; return how many changed.

    Ids that are not entries of this case are ignored here (the caller refuses them first). The
    case's ``updated_day`` stays: opening a case changes nothing a sync or retention looks at.
    """
    if not entry_ids:
        return 0
    result = await session.execute(
        update(CaseEntry)
        .where(
            CaseEntry.case_id == case.id,
            CaseEntry.id.in_(list(entry_ids)),
            CaseEntry.seen_by_partner.is_(False),
        )
        .values(seen_by_partner=True)
        .execution_options(synchronize_session="fetch")
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def entry_ids_of(session: AsyncSession, case: Case) -> set[str]:
    """The ids of every entry of ``case`` (no bodies read)."""
    return set(await session.scalars(select(CaseEntry.id).where(CaseEntry.case_id == case.id)))


async def count_unseen(session: AsyncSession, case: Case) -> int:
    """How many of the worker's entries in ``case`` the partner has not opened yet."""
    found = await session.scalar(
        select(func.count())
        .select_from(CaseEntry)
        .where(
            CaseEntry.case_id == case.id,
            CaseEntry.author == Author.WORKER,
            CaseEntry.seen_by_partner.is_(False),
        )
    )
    return int(found or 0)


async def replace_wraps(
    session: AsyncSession,
    partner_id: int,
    entry_id: str,
    remove_key_ids: Sequence[str],
    add: Mapping[str, bytes],
) -> CaseEntry:
    """Re-wrap after a key rotation: drop the wraps of ``remove_key_ids``, add those of ``add``.

    Only the small sealed data keys change; the body is never re-encrypted. A wrap is only ever
    added where the entry has none for that key, never replaced: the server cannot tell a good
    sealed key from random bytes, so replacing one could destroy the entry for everyone
    (AlreadyExists, nothing changed). Scoped: an entry of another partner's case raises NotFound.
    """
    entry = await session.scalar(
        select(CaseEntry)
        .join(Case, Case.id == CaseEntry.case_id)
        .where(CaseEntry.id == entry_id, Case.partner_id == partner_id)
    )
    if entry is None:
        raise NotFound(f"entry {entry_id!r} not found")
    present = {wrap.key_id for wrap in entry.wraps}
    taken = sorted(set(add) & present)
    if taken:
        raise AlreadyExists(f"entry {entry_id!r} already has a wrap for key {taken[0]}")
    removed = set(remove_key_ids)
    entry.wraps = [wrap for wrap in entry.wraps if wrap.key_id not in removed]
    entry.wraps.extend(Wrap(key_id=key_id, sealed_key=sealed) for key_id, sealed in add.items())
    await session.flush()
    return entry


async def purge_case(session: AsyncSession, case: Case) -> None:
    """Delete ``case`` with all its entries and wraps, for good.

    Explicit deletes rather than relying on ON DELETE CASCADE alone, so nothing survives even on
    a connection without foreign keys enabled. On SQLite, secure_delete overwrites the freed
    pages; on PostgreSQL the old row versions remain until VACUUM.
    """
    # "fetch": the session learns which rows went, so it never writes them back.
    fetch = {"synchronize_session": "fetch"}
    entry_ids = select(CaseEntry.id).where(CaseEntry.case_id == case.id)
    await session.execute(
        delete(Wrap).where(Wrap.entry_id.in_(entry_ids)).execution_options(**fetch)
    )
    await session.execute(
        delete(CaseEntry).where(CaseEntry.case_id == case.id).execution_options(**fetch)
    )
    await session.execute(delete(Case).where(Case.id == case.id).execution_options(**fetch))


async def closed_cases_older_than(
    session: AsyncSession, day: date, limit: int | None = None, *, for_update: bool = False
) -> list[Case]:
    """Return closed cases (every partner) last changed before ``day``: candidates for purging.

    ``limit`` lets a purge work in batches; ``for_update`` locks the rows (PostgreSQL) so a case
    reopened at the same moment is not purged from under the caseworker.
    """
    query = (
        select(Case)
        .where(Case.status == CaseStatus.CLOSED, Case.updated_day < day)
        .order_by(Case.updated_day, Case.id)
    )
    if limit is not None:
        query = query.limit(limit)
    if for_update:
        query = query.with_for_update()
    return list(await session.scalars(query))
