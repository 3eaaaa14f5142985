"""The queue as the console holds it: one row per decrypted case, filters, sort and search.

Rows are built when the queue is opened (in a worker thread) with what the table shows and the
filters and the triage look at; their search text and facts right after, in the background
(`Queue.warm`), so that the first page does not wait for them. A search over 10,000 cases is
then a substring test per row, a few milliseconds, and never touches the key again. Rows hold
decrypted text: they live in memory only, and the console drops them when it locks.

Each row also says whom the case is assigned to (a caseworker credential of the partner, or
nobody) and how many of the worker's follow-ups nobody at the partner has opened: cases with
unread follow-ups come with the new ones in the triage order, and both have a filter.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final

from desk.assignment import Team
from desk.cases import CaseView, Message, triage_key
from desk.reports import CaseFacts, facts_of
from vocabulary import STATUSES, CaseStatus, StepRole

PAGE_SIZE: Final = 50
"""Rows on one page of the queue: a screen or two, quick to read and to render."""
SORTS: Final = ("triage", "received-newest", "received-oldest", "changed-newest")
DANGER_CHOICES: Final = ("", "urgent", "danger")
"""Any case; urgent (danger, not settled); danger reported at any time."""
ASSIGNED_ME: Final = "me"
ASSIGNED_NOBODY: Final = "nobody"
"""The "Assigned to" filter: anyone (empty), me, nobody, or a credential id as digits."""
MAX_QUERY: Final = 200
WARM_SLICE: Final = 500
"""Rows whose search text one step of `Queue.warm` builds: a few tens of milliseconds."""


@dataclass(frozen=True)
class Row:
    """One case in the queue: what the table shows and what filters and search look at."""

    id: str
    status: str
    created_day: str
    updated_day: str
    danger: bool
    urgent: bool
    opened: bool
    """False when the report did not open (wrong key, damaged): shown, never hidden."""
    problem: str
    workplace: str
    country: str
    categories: tuple[str, ...]
    """Option ids (stable across languages), e.g. `wages`."""
    categories_text: str
    language: str
    """The worker's language code."""
    language_label: str
    """`ไทย (Thai)`; the table shows the two names on two lines."""
    language_native: str
    language_english: str
    first_words: str
    files: int
    unread: int
    """Follow-ups and files the worker added that nobody at the partner has opened."""
    unseen_entries: int
    """The worker's entries nobody at the partner has opened, the report included."""
    assignee: int | None
    """The caseworker credential the case is assigned to; None for nobody."""
    triage: tuple[Any, ...] = field(repr=False)
    view: CaseView = field(repr=False, compare=False)
    """The decrypted case the row was made from: its search text and facts come from it."""

    @functools.cached_property
    def search(self) -> str:
        """Everything decrypted of the case, lower-cased, for the full-text search.

        Built when first needed, not with the row: the first page of the queue needs none of
        it, and `Queue.warm` builds them all in the background right after.
        """
        view, report = self.view, self.view.report
        words: list[str] = [view.id.lower()]
        if report is not None:
            for step, pair in report.readable.items():  # what `report.answers` holds, untupled
                if isinstance(pair, dict):
                    words.append(str(pair.get("question", step)))
                    words.append(str(pair.get("answer", "")))
            words.append(report.what_happened)
            words.append(report.language.native)
            words.append(report.language.english)
        words.extend(item.text for item in view.thread if isinstance(item, Message))
        return "\n".join(words).casefold()

    @functools.cached_property
    def facts(self) -> CaseFacts | None:
        """What the buyers' reports may know of the case (desk.reports); None if it did not
        open. Built when first needed, like `search`."""
        return facts_of(self.view)


def row_for(view: CaseView) -> Row:
    """The queue row of one decrypted case."""
    report = view.report
    return Row(
        id=view.id,
        status=view.status,
        created_day=view.created_day,
        updated_day=view.updated_day,
        danger=view.danger,
        urgent=view.urgent,
        opened=report is not None,
        problem=view.report_problem or "",
        workplace=report.answer_to(StepRole.WORKPLACE) if report else "",
        country=report.answer_to(StepRole.COUNTRY) if report else "",
        categories=report.categories if report else (),
        categories_text=report.categories_text if report else "",
        language=report.language.code if report else "",
        language_label=report.language.label() if report else "",
        language_native=report.language.native if report else "",
        language_english=report.language.english if report else "",
        first_words=report.first_words() if report else "",
        files=len(view.attachments),
        unread=view.unseen_follow_ups,
        unseen_entries=view.unseen_entries,
        assignee=view.assignee,
        triage=triage_key(view),
        view=view,
    )


@dataclass(frozen=True)
class Filters:
    """What the caseworker narrowed the queue to. Kept in the console's memory, not in URLs:
    a search word is case content and must not land in the browser's history on disk."""

    status: str = ""
    danger: str = ""
    category: str = ""
    workplace: str = ""
    country: str = ""
    language: str = ""
    assigned: str = ""
    """Empty (anyone), `me`, `nobody`, or a caseworker credential's id."""
    unread: bool = False
    """Only cases with a follow-up nobody at the partner has opened."""
    query: str = ""
    sort: str = "triage"

    @property
    def active(self) -> bool:
        """Anything other than the whole queue in triage order."""
        return self != Filters(sort=self.sort)


def filters_from(form: Mapping[str, str]) -> Filters:
    """Filters from the queue's form; unknown choices fall back to "any"."""
    sort = form.get("sort", "triage")
    danger = form.get("danger", "")
    status = form.get("status", "")
    assigned = form.get("assigned", "")
    if assigned not in {ASSIGNED_ME, ASSIGNED_NOBODY} and not (
        assigned.isascii() and assigned.isdigit() and len(assigned) <= 10
    ):
        assigned = ""
    return Filters(
        status=status if status in STATUSES else "",
        danger=danger if danger in DANGER_CHOICES else "",
        category=form.get("category", "")[:100],
        workplace=form.get("workplace", "")[:300],
        country=form.get("country", "")[:300],
        language=form.get("language", "")[:20],
        assigned=assigned,
        unread=form.get("unread", "") == "yes",
        query=" ".join(form.get("query", "").split())[:MAX_QUERY],
        sort=sort if sort in SORTS else "triage",
    )


@dataclass(frozen=True)
class Choices:
    """The values each filter can take, as found in the queue (sorted for a person)."""

    categories: tuple[tuple[str, str], ...]
    """(option id, English words)."""
    workplaces: tuple[str, ...]
    countries: tuple[str, ...]
    languages: tuple[tuple[str, str], ...]
    """(code, label)."""


@dataclass
class Queue:
    """Every row of the partner's queue in triage order, and the choices for the filters."""

    rows: list[Row]
    choices: Choices = field(init=False)
    old_key_entries: int = 0
    """Entries still wrapped to a retired or revoked key (a re-wrap would move them)."""
    team: Team = field(default_factory=lambda: Team(None, ()))
    """The partner's caseworkers (whom to assign to) and which of them this console is."""
    warming: asyncio.Task[None] | None = field(default=None, repr=False, compare=False)
    """`warm` under way, if started (cancelled when the console locks)."""
    _searchable: asyncio.Event = field(
        default_factory=asyncio.Event, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        self.rows.sort(key=lambda row: row.triage)  # already so from list_cases: a cheap check
        self.choices = _choices(self.rows)

    async def warm(self) -> None:
        """Build every row's search text and facts, a slice at a time in a worker thread, so
        that the first search is as quick as the next. A search before this ends still covers
        every case: the rows not yet warm build theirs when asked. Cancelled when the console
        locks: it stops after the slice under way."""
        rows = list(self.rows)
        for build in (_search_texts, _facts):  # the search text first: a search may be waiting
            for start in range(0, len(rows), WARM_SLICE):
                await asyncio.to_thread(build, rows[start : start + WARM_SLICE])
            self._searchable.set()

    async def searchable(self) -> None:
        """Wait until `warm` has built every row's search text, if it is under way: one thread
        building them is quicker than the event loop and that thread taking turns."""
        if self.warming is None or self.warming.done():
            return
        built = asyncio.ensure_future(self._searchable.wait())
        await asyncio.wait([built, self.warming], return_when=asyncio.FIRST_COMPLETED)
        built.cancel()

    def find(self, case_id: str) -> Row | None:
        """The row of `case_id`, if the case is in the queue."""
        return next((row for row in self.rows if row.id == case_id), None)

    def update(self, view: CaseView) -> None:
        """Refresh one case's row after it was opened or changed (status, a reply, a note)."""
        fresh = row_for(view)
        for index, row in enumerate(self.rows):
            if row.id == view.id:
                self.rows[index] = fresh
                break
        else:
            self.rows.append(fresh)
        self.rows.sort(key=lambda row: row.triage)

    def set_status(self, case_id: str, status: str, updated_day: str) -> None:
        """A status change the server confirmed, before the case is opened again."""
        for index, row in enumerate(self.rows):
            if row.id == case_id:
                self.rows[index] = replace(row, status=status, updated_day=updated_day)

    def set_assignee(self, case_id: str, assignee: int | None) -> None:
        """An assignment the server confirmed."""
        for index, row in enumerate(self.rows):
            if row.id == case_id:
                self.rows[index] = replace(row, assignee=assignee)

    def select(self, filters: Filters) -> list[Row]:
        """The rows that pass `filters`, in the order asked for."""
        words = filters.query.casefold().split()
        me = self.team.me.id if self.team.me is not None else None
        chosen = [row for row in self.rows if _passes(row, filters, me) and _found(row, words)]
        if filters.sort == "received-newest":
            chosen.sort(key=lambda row: (row.created_day, row.id), reverse=True)
        elif filters.sort == "received-oldest":
            chosen.sort(key=lambda row: (row.created_day, row.id))
        elif filters.sort == "changed-newest":
            chosen.sort(key=lambda row: (row.updated_day, row.id), reverse=True)
        return chosen

    def counts(self) -> dict[str, int]:
        """Totals for the queue's heading."""
        return {
            "total": len(self.rows),
            "urgent": sum(row.urgent for row in self.rows),
            "new": sum(row.status == CaseStatus.NEW for row in self.rows),
            "unread": sum(row.unread > 0 for row in self.rows),
            "mine": sum(self.team.is_me(row.assignee) for row in self.rows),
            "unopened": sum(not row.opened for row in self.rows),
        }

    def unseen_cases(self) -> int:
        """Cases with an entry of the worker nobody has opened, as the server's count has it."""
        return sum(row.unseen_entries > 0 for row in self.rows)


def _search_texts(rows: Sequence[Row]) -> None:
    for row in rows:
        _ = row.search


def _facts(rows: Sequence[Row]) -> None:
    for row in rows:
        _ = row.facts


def _assigned(row: Row, wanted: str, me: int | None) -> bool:
    if not wanted:
        return True
    if wanted == ASSIGNED_NOBODY:
        return row.assignee is None
    if wanted == ASSIGNED_ME:
        return me is not None and row.assignee == me
    return row.assignee is not None and str(row.assignee) == wanted


def _passes(row: Row, filters: Filters, me: int | None = None) -> bool:
    return (
        (not filters.status or row.status == filters.status)
        and (filters.danger != "urgent" or row.urgent)
        and (filters.danger != "danger" or row.danger)
        and (not filters.category or filters.category in row.categories)
        and (not filters.workplace or row.workplace == filters.workplace)
        and (not filters.country or row.country == filters.country)
        and (not filters.language or row.language == filters.language)
        and (not filters.unread or row.unread > 0)
        and _assigned(row, filters.assigned, me)
    )


def _found(row: Row, words: Sequence[str]) -> bool:
    return all(word in row.search for word in words)


def _choices(rows: Iterable[Row]) -> Choices:
    categories: dict[str, str] = {}
    workplaces: set[str] = set()
    countries: set[str] = set()
    languages: dict[str, str] = {}
    for row in rows:
        texts = [part.strip() for part in row.categories_text.split(",")]
        named = len(texts) == len(row.categories)
        for index, option in enumerate(row.categories):
            if option not in categories or categories[option] == option:
                categories[option] = texts[index] if named else option
        if row.workplace:
            workplaces.add(row.workplace)
        if row.country:
            countries.add(row.country)
        if row.language:
            languages[row.language] = row.language_label
    return Choices(
        categories=tuple(sorted(categories.items(), key=lambda item: item[1].casefold())),
        workplaces=tuple(sorted(workplaces, key=str.casefold)),
        countries=tuple(sorted(countries, key=str.casefold)),
        languages=tuple(sorted(languages.items(), key=lambda item: item[1].casefold())),
    )


def page_of(rows: Sequence[Row], page: int) -> tuple[Sequence[Row], int, int]:
    """Rows of page `page` (1-based, clamped), that page, and how many pages there are."""
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    page = min(max(page, 1), pages)
    start = (page - 1) * PAGE_SIZE
    return rows[start : start + PAGE_SIZE], page, pages


def build(views: Iterable[CaseView], old_key_entries: int = 0, team: Team | None = None) -> Queue:
    """The queue from decrypted cases (run in a worker thread: 10,000 rows take a moment)."""
    return Queue([row_for(view) for view in views], old_key_entries, team or Team(None, ()))
