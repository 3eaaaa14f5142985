"""Cases: stored whole or not at all, ordered entries, partner isolation, re-wrapping, purging."""

import secrets
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, InvalidRequestError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import cases, days, partners
from storage.cases import NewEntry
from storage.db import create_engine
from storage.db import session_factory as make_session_factory
from storage.errors import AlreadyExists, NotFound
from storage.migrate import upgrade_to_head
from storage.models import Case, CaseEntry, Partner, Wrap
from vocabulary import Author, CaseStatus, Purpose

Sessions = async_sessionmaker[AsyncSession]
OLD_KEY = "a" * 32
NEW_KEY = "b" * 32


def entry(
    purpose: Purpose = Purpose.REPORT,
    author: Author = Author.WORKER,
    body: bytes | None = None,
    keys: tuple[str, ...] = (OLD_KEY,),
    entry_id: str | None = None,
) -> NewEntry:
    return NewEntry(
        id=entry_id or secrets.token_hex(16),
        purpose=purpose,
        author=author,
        body=body if body is not None else secrets.token_bytes(48),
        wraps={key: secrets.token_bytes(80) for key in keys},
    )


def case_id() -> str:
    return secrets.token_hex(8)


async def new_partner(sessions: Sessions, slug: str = "foo") -> Partner:
    async with sessions() as session, session.begin():
        return await partners.add_partner(session, slug, slug.title(), [])


async def new_case(
    sessions: Sessions, partner: Partner, *entries: NewEntry, lookup_id: bytes | None = None
) -> Case:
    async with sessions() as session, session.begin():
        return await cases.create_case(
            session,
            case_id(),
            partner.id,
            secrets.token_bytes(32),
            lookup_id or secrets.token_bytes(32),
            entries or (entry(),),
        )


async def count(sessions: Sessions, model: type[Case] | type[CaseEntry] | type[Wrap]) -> int:
    async with sessions() as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


async def test_a_new_case_is_stored_with_its_entries_and_wraps(session_factory: Sessions) -> None:
    partner = await new_partner(session_factory)
    report = entry(keys=(OLD_KEY, NEW_KEY))
    language = entry(Purpose.NOTE)
    lookup = secrets.token_bytes(32)
    created = await new_case(session_factory, partner, report, language, lookup_id=lookup)
    async with session_factory() as session:
        case = await cases.get_case(session, partner.id, created.id)
    assert case.status is CaseStatus.NEW
    assert case.lookup_id == lookup
    assert [e.id for e in case.entries] == [report.id, language.id]
    assert [e.seq for e in case.entries] == [1, 2]
    first = case.entries[0]
    assert first.body == report.body
    assert first.purpose is Purpose.REPORT and first.author is Author.WORKER
    assert {w.key_id: w.sealed_key for w in first.wraps} == dict(report.wraps)


async def test_case_dates_are_days_not_times(session_factory: Sessions) -> None:
    partner = await new_partner(session_factory)
    created = await new_case(session_factory, partner)
    async with session_factory() as session:
        case = await cases.get_case(session, partner.id, created.id)
    for value in (case.created_day, case.updated_day, case.entries[0].created_day):
        assert type(value) is date  # a datetime is a date too: check the exact type
        assert value == days.today()


async def test_a_failing_entry_leaves_no_case_behind(session_factory: Sessions) -> None:
    partner = await new_partner(session_factory)
    good = entry()
    clash = entry(entry_id=good.id)  # same entry id: the database refuses the second row
    with pytest.raises(IntegrityError):
        await new_case(session_factory, partner, good, clash)
    assert await count(session_factory, Case) == 0
    assert await count(session_factory, CaseEntry) == 0
    assert await count(session_factory, Wrap) == 0


async def test_taken_case_id_or_lookup_id_is_refused(session_factory: Sessions) -> None:
    partner = await new_partner(session_factory)
    lookup = secrets.token_bytes(32)
    existing = await new_case(session_factory, partner, lookup_id=lookup)
    with pytest.raises(AlreadyExists, match=f"case '{existing.id}' already exists"):
        async with session_factory() as session, session.begin():
            await cases.create_case(
                session, existing.id, partner.id, bytes(32), secrets.token_bytes(32), [entry()]
            )
    with pytest.raises(AlreadyExists, match="lookup id"):
        async with session_factory() as session, session.begin():
            await cases.create_case(session, case_id(), partner.id, bytes(32), lookup, [entry()])
    assert await count(session_factory, Case) == 1


async def test_case_for_an_unknown_partner_is_refused(session_factory: Sessions) -> None:
    with pytest.raises(NotFound, match="partner"):
        async with session_factory() as session, session.begin():
            await cases.create_case(session, case_id(), 999, bytes(32), bytes(32), [entry()])


async def test_entries_keep_their_order(
    session_factory: Sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    partner = await new_partner(session_factory)
    created = await new_case(session_factory, partner)
    later = date(2031, 1, 2)
    monkeypatch.setattr(days, "today", lambda: later)
    added = []
    for purpose, author in [
        (Purpose.REPLY, Author.CASEWORKER),
        (Purpose.FOLLOW_UP, Author.WORKER),
        (Purpose.ATTACHMENT, Author.WORKER),
    ]:
        new = entry(purpose, author)
        added.append(new.id)
        async with session_factory() as session, session.begin():
            case = await cases.get_case(session, partner.id, created.id)
            stored = await cases.add_entry(session, case, new)
            assert case.entries[-1] is stored  # the loaded list follows without a query
    async with session_factory() as session:
        case = await cases.get_case(session, partner.id, created.id)
    assert [e.seq for e in case.entries] == [1, 2, 3, 4]
    assert [e.id for e in case.entries[1:]] == added
    assert case.entries[2].purpose is Purpose.FOLLOW_UP
    assert case.created_day == created.created_day
    assert case.updated_day == later  # a new entry is news for the caseworker


async def test_entry_can_be_added_to_a_case_listed_without_entries(
    session_factory: Sessions,
) -> None:
    partner = await new_partner(session_factory)
    await new_case(session_factory, partner)
    async with session_factory() as session, session.begin():
        [case] = await cases.list_cases(session, partner.id)
        stored = await cases.add_entry(session, case, entry(Purpose.NOTE))
    assert stored.seq == 2


async def test_another_partners_case_looks_like_a_missing_one(session_factory: Sessions) -> None:
    owner = await new_partner(session_factory, "owner")
    other = await new_partner(session_factory, "other")
    created = await new_case(session_factory, owner)
    missing = "0" * 16
    async with session_factory() as session:
        with pytest.raises(NotFound) as foreign:
            await cases.get_case(session, other.id, created.id)
        with pytest.raises(NotFound) as absent:
            await cases.get_case(session, owner.id, missing)
        assert await cases.list_cases(session, other.id) == []
    assert str(foreign.value) == f"case {created.id!r} not found"
    assert str(absent.value) == str(foreign.value).replace(created.id, missing)


async def test_a_receipt_lookup_finds_the_case_with_its_entries(session_factory: Sessions) -> None:
    partner = await new_partner(session_factory)
    lookup = secrets.token_bytes(32)
    created = await new_case(session_factory, partner, lookup_id=lookup)
    async with session_factory() as session:
        found = await cases.find_case_by_lookup_id(session, lookup)
        nothing = await cases.find_case_by_lookup_id(session, secrets.token_bytes(32))
    assert found is not None and found.id == created.id
    assert len(found.entries) == 1
    assert nothing is None


async def test_list_cases_filters_pages_and_sorts_by_last_change(
    session_factory: Sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    partner = await new_partner(session_factory)
    created = {}
    for day in (date(2030, 1, 1), date(2030, 1, 5), date(2030, 1, 9)):
        monkeypatch.setattr(days, "today", lambda day=day: day)
        created[day] = await new_case(session_factory, partner)
    async with session_factory() as session, session.begin():
        case = await cases.get_case(session, partner.id, created[date(2030, 1, 5)].id)
        await cases.set_status(session, case, CaseStatus.INVESTIGATING)
    async with session_factory() as session:
        everything = await cases.list_cases(session, partner.id)
        investigating = await cases.list_cases(session, partner.id, CaseStatus.INVESTIGATING)
        recent = await cases.list_cases(session, partner.id, changed_since=date(2030, 1, 9))
        page = await cases.list_cases(session, partner.id, limit=1, offset=1)
        with pytest.raises(InvalidRequestError, match="raise_on_sql"):
            _ = everything[0].entries  # not loaded: a listing never pulls every body
    async with session_factory() as session:
        with_entries = await cases.list_cases(session, partner.id, with_entries=True)
    first, fifth, ninth = (created[d].id for d in sorted(created))
    assert [c.id for c in everything] == [*sorted([fifth, ninth]), first]
    assert [c.id for c in investigating] == [fifth]
    # Inclusive: a change made later on the same day as the last sync must still show up.
    assert sorted(c.id for c in recent) == sorted([fifth, ninth])
    assert [c.id for c in page] == [everything[1].id]
    assert [len(c.entries) for c in with_entries] == [1, 1, 1]


async def test_a_listed_page_says_whether_more_follow_and_shows_only_the_partners_entries(
    session_factory: Sessions,
) -> None:
    owner = await new_partner(session_factory, "owner")
    other = await new_partner(session_factory, "other")
    photo = entry(Purpose.ATTACHMENT, body=b"jpeg" * 100)
    reply = entry(Purpose.REPLY, Author.CASEWORKER, keys=(NEW_KEY, OLD_KEY))
    first = await new_case(session_factory, owner, entry(), photo, reply)
    second = await new_case(session_factory, owner)
    foreign = await new_case(session_factory, other)
    async with session_factory() as session:
        page, more = await cases.list_case_page(session, owner.id, limit=1)
        rest, no_more = await cases.list_case_page(session, owner.id, limit=1, offset=1)
        listed = await cases.list_entries(session, owner.id, [first.id, second.id, foreign.id])
    assert more and not no_more
    assert sorted([page[0].id, rest[0].id]) == sorted([first.id, second.id])
    assert listed[foreign.id] == []  # another partner's case yields nothing, as if missing
    report, file, answer = listed[first.id]
    assert [e.seq for e in (report, file, answer)] == [1, 2, 3]
    assert file.body is None and file.size == 400  # a file's size, never its bytes
    assert sorted(answer.wraps) == [OLD_KEY, NEW_KEY]  # both wraps, one entry
    assert answer.wraps == reply.wraps and answer.body == reply.body
    assert len(listed[second.id]) == 1


async def test_no_page_is_longer_than_the_largest_page_size(
    session_factory: Sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cases, "MAX_PAGE_SIZE", 2)
    owner = await new_partner(session_factory, "owner")
    for _ in range(4):
        await new_case(session_factory, owner)
    async with session_factory() as session:
        listed = await cases.list_cases(session, owner.id, limit=10)
        page, more = await cases.list_case_page(session, owner.id, limit=10)
    assert len(listed) == 2
    assert len(page) == 2 and more


async def test_set_status_records_the_day_of_the_change(
    session_factory: Sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    partner = await new_partner(session_factory)
    created = await new_case(session_factory, partner)
    monkeypatch.setattr(days, "today", lambda: date(2032, 7, 7))
    async with session_factory() as session, session.begin():
        case = await cases.get_case(session, partner.id, created.id)
        await cases.set_status(session, case, CaseStatus.RESOLVED)
    async with session_factory() as session:
        case = await cases.get_case(session, partner.id, created.id)
    assert case.status is CaseStatus.RESOLVED
    assert case.updated_day == date(2032, 7, 7)


async def test_rewrap_replaces_only_the_small_sealed_keys(session_factory: Sessions) -> None:
    partner = await new_partner(session_factory)
    report = entry(keys=(OLD_KEY,))
    created = await new_case(session_factory, partner, report)
    resealed = secrets.token_bytes(80)
    async with session_factory() as session, session.begin():
        await cases.replace_wraps(session, partner.id, report.id, [OLD_KEY], {NEW_KEY: resealed})
    async with session_factory() as session:
        case = await cases.get_case(session, partner.id, created.id)
    assert {w.key_id: w.sealed_key for w in case.entries[0].wraps} == {NEW_KEY: resealed}
    assert case.entries[0].body == report.body


async def test_rewrap_never_replaces_a_wrap_already_there(session_factory: Sessions) -> None:
    """The server cannot tell a sealed key from random bytes: replacing one could destroy the
    entry, so a wrap is only added where the key has none, even when the old one is removed."""
    partner = await new_partner(session_factory)
    report = entry(keys=(OLD_KEY,))
    created = await new_case(session_factory, partner, report)
    for remove in ([], [OLD_KEY]):
        with pytest.raises(AlreadyExists):
            async with session_factory() as session, session.begin():
                await cases.replace_wraps(session, partner.id, report.id, remove, {OLD_KEY: b"x"})
    async with session_factory() as session:
        case = await cases.get_case(session, partner.id, created.id)
    assert [(w.key_id, w.sealed_key) for w in case.entries[0].wraps] == [
        (OLD_KEY, report.wraps[OLD_KEY])
    ]


async def test_one_partner_cannot_touch_another_partners_wraps(session_factory: Sessions) -> None:
    owner = await new_partner(session_factory, "owner")
    other = await new_partner(session_factory, "other")
    report = entry(keys=(OLD_KEY,))
    created = await new_case(session_factory, owner, report)
    with pytest.raises(NotFound):
        async with session_factory() as session, session.begin():
            await cases.replace_wraps(session, other.id, report.id, [OLD_KEY], {})
    async with session_factory() as session:
        case = await cases.get_case(session, owner.id, created.id)
    assert [w.key_id for w in case.entries[0].wraps] == [OLD_KEY]


async def test_purge_removes_the_case_its_entries_and_wraps(session_factory: Sessions) -> None:
    partner = await new_partner(session_factory)
    doomed = await new_case(session_factory, partner, entry(), entry(keys=(OLD_KEY, NEW_KEY)))
    kept = await new_case(session_factory, partner)
    async with session_factory() as session, session.begin():
        case = await cases.get_case(session, partner.id, doomed.id)
        await cases.purge_case(session, case)
    async with session_factory() as session:
        with pytest.raises(NotFound):
            await cases.get_case(session, partner.id, doomed.id)
        remaining = await cases.get_case(session, partner.id, kept.id)
    assert len(remaining.entries) == 1
    assert await count(session_factory, Case) == 1
    assert await count(session_factory, CaseEntry) == 1
    assert await count(session_factory, Wrap) == 1


async def test_purge_works_on_a_case_whose_entries_were_not_loaded(
    session_factory: Sessions,
) -> None:
    partner = await new_partner(session_factory)
    await new_case(session_factory, partner, entry(), entry())
    async with session_factory() as session, session.begin():
        [case] = await cases.list_cases(session, partner.id)
        await cases.purge_case(session, case)
    assert await count(session_factory, CaseEntry) == 0
    assert await count(session_factory, Wrap) == 0


async def test_closed_cases_older_than_a_day_are_found_for_retention(
    session_factory: Sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    foo = await new_partner(session_factory, "foo")
    bar = await new_partner(session_factory, "bar")
    monkeypatch.setattr(days, "today", lambda: date(2030, 1, 1))
    old_closed = [await new_case(session_factory, p) for p in (foo, bar)]
    old_open = await new_case(session_factory, foo)
    async with session_factory() as session, session.begin():
        for created in old_closed:
            case = await cases.get_case(session, created.partner_id, created.id)
            await cases.set_status(session, case, CaseStatus.CLOSED)
    monkeypatch.setattr(days, "today", lambda: date(2030, 6, 1))
    recent_closed = await new_case(session_factory, foo)
    async with session_factory() as session, session.begin():
        case = await cases.get_case(session, foo.id, recent_closed.id)
        await cases.set_status(session, case, CaseStatus.CLOSED)
    async with session_factory() as session:
        due = await cases.closed_cases_older_than(session, date(2030, 3, 1))
    assert sorted(c.id for c in due) == sorted(c.id for c in old_closed)
    assert old_open.id not in {c.id for c in due}


def files_containing(folder: Path, needle: bytes) -> list[Path]:
    return [file for file in folder.iterdir() if needle in file.read_bytes()]


async def test_purged_ciphertext_does_not_linger_in_the_sqlite_file(tmp_path: Path) -> None:
    """secure_delete: a later dump of the file must not yield a purged case's bytes."""
    path = tmp_path / "grievance.sqlite3"
    url = f"sqlite:///{path}"
    await upgrade_to_head(url)
    engine = create_engine(url)
    marker = b"PURGED-CASE-MARKER-" * 300  # spans several pages, including overflow pages
    try:
        sessions = make_session_factory(engine)
        partner = await new_partner(sessions)
        created = await new_case(sessions, partner, entry(body=marker))
        await new_case(sessions, partner)  # neighbours stay
        async with engine.connect() as connection:
            await connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        assert files_containing(tmp_path, b"PURGED-CASE-MARKER")  # the probe works
        async with sessions() as session, session.begin():
            await cases.purge_case(session, await cases.get_case(session, partner.id, created.id))
        async with engine.connect() as connection:
            await connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        await engine.dispose()
    assert files_containing(tmp_path, b"PURGED-CASE-MARKER") == []
