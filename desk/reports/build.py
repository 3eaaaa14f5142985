"""One report: its tables built from the cases' facts, suppressed together as one release.

Whatever grouping the caseworker picks, the same tables are built and suppressed together
(places by period, statuses by period, problems by period, places by status, and how many
cases have recorded dates), and the page shows the ones asked for. So two reports over the
same periods with the same k hide the same cells, and putting them side by side undoes
nothing.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from desk.reports.facts import CaseFacts
from desk.reports.periods import period_of, periods
from desk.reports.rows import Place, Problem, place_tree, problem_rows
from desk.reports.suppression import Key, Release, Variable, suppress
from vocabulary import STATUSES

GROUPINGS: Final = ("workplace", "country", "category", "status")
DEFAULT_K: Final = 5
MAX_K: Final = 100
TOTAL: Final = "total"

Cell = int | None
"""A count as a report shows it: None when it is hidden."""


class ReportError(ValueError):
    """A report that cannot be made as asked (the caller says why in words)."""


@dataclass(frozen=True)
class ReportRequest:
    """What the caseworker picked."""

    grouping: str = "workplace"
    unit: str = "month"
    start: str = ""
    """First month, `YYYY-MM`."""
    end: str = ""
    """Last month, `YYYY-MM`."""
    k: int = DEFAULT_K

    def checked(self) -> ReportRequest:
        """The same request, or ReportError naming what is wrong."""
        if self.grouping not in GROUPINGS:
            raise ReportError("grouping")
        if not 2 <= self.k <= MAX_K:
            raise ReportError("k")
        periods(self.start, self.end, self.unit)  # PeriodError, a ValueError, if wrong
        return self


@dataclass(frozen=True)
class TableRow:
    """One row of a table: its cells per column and its total."""

    key: str
    kind: str
    label: str
    depth: int
    cells: tuple[Cell, ...]
    total: Cell


@dataclass(frozen=True)
class Table:
    """A table of counts, with its column totals when its rows add up (not for problems)."""

    kind: str
    columns: tuple[str, ...]
    rows: tuple[TableRow, ...]
    totals: TableRow | None

    def all_rows(self) -> tuple[TableRow, ...]:
        """The body rows, then the totals row if there is one."""
        return (*self.rows, self.totals) if self.totals is not None else self.rows


@dataclass(frozen=True)
class Monitoring:
    """A place's line in the monitoring view: cases, where they stand, how long it took."""

    key: str
    kind: str
    label: str
    depth: int
    received: Cell
    statuses: tuple[Cell, ...]
    days_to_acknowledge: float | None
    days_to_resolve: float | None
    """Medians, None when fewer than k cases are behind them."""


@dataclass(frozen=True)
class Report:
    """Every table of one release, suppressed together."""

    request: ReportRequest
    periods: tuple[str, ...]
    places: Table
    countries: Table
    statuses: Table
    problems: Table
    problem_cases: tuple[Cell, ...]
    """Cases per period and in all (a case may name several problems: not the rows' sum)."""
    monitoring: tuple[Monitoring, ...]
    dated: Cell
    """Cases whose every status change was recorded: the medians are made of these."""
    undated: Cell
    """Older cases, changed before desks recorded changes: counted, not in the medians."""
    hidden: int
    """How many numbers of the release are hidden."""

    @property
    def k(self) -> int:
        """Counts below this are hidden."""
        return self.request.k

    @property
    def total(self) -> Cell:
        """Cases received in the report's periods."""
        assert self.places.totals is not None
        return self.places.totals.total

    @property
    def main(self) -> Table:
        """The table of the grouping asked for."""
        return {
            "workplace": self.places,
            "country": self.countries,
            "category": self.problems,
            "status": self.statuses,
        }[self.request.grouping]

    @property
    def overall(self) -> Monitoring:
        """The monitoring line of all places together."""
        return self.monitoring[-1]


def build_report(facts: Iterable[CaseFacts], request: ReportRequest) -> Report:
    """The report `request` asks for, over the cases received in its periods."""
    request = request.checked()
    columns = periods(request.start, request.end, request.unit)
    wanted = set(columns)
    cases = [fact for fact in facts if period_of(fact.received, request.unit) in wanted]
    k = request.k
    root, paths = place_tree(cases, k)
    problems, membership = problem_rows(cases, k)
    counts = _count(cases, request.unit, paths, membership)
    release = _release(root, problems, columns, counts)
    hidden = suppress(release, k)

    def cell(key: Key) -> Cell:
        return None if key in hidden else counts[key]

    places = [(node, depth) for node, depth in _nodes(root) if node is not root]
    place_rows = tuple(
        _row(node.key, node.kind, node.label, depth, columns, _place_key(node.key), cell)
        for node, depth in places
    )
    total_row = _row(TOTAL, TOTAL, "", 0, columns, _place_key(TOTAL), cell)
    place_table = Table("place-period", columns, place_rows, total_row)
    country_table = Table(
        "country-period", columns, tuple(row for row in place_rows if row.depth == 0), total_row
    )
    status_table = Table(
        "status-period",
        columns,
        tuple(_row(f"status:{s}", "status", s, 0, columns, _status_key(s), cell) for s in STATUSES),
        total_row,
    )
    problem_table = Table(
        "category-period",
        columns,
        tuple(
            _row(p.key, p.kind, p.label, 0, columns, _problem_key(p.key), cell) for p in problems
        ),
        None,
    )
    monitoring = tuple(
        _monitoring(node.key, node.kind, node.label, depth, cases, paths, cell, k)
        for node, depth in [*places, (root, 0)]
    )
    return Report(
        request=request,
        periods=columns,
        places=place_table,
        countries=country_table,
        statuses=status_table,
        problems=problem_table,
        problem_cases=(*total_row.cells, total_row.total),
        monitoring=monitoring,
        dated=cell(("d", True)),
        undated=cell(("d", False)),
        hidden=sum(1 for key in hidden if release.variables[key].published),
    )


def _count(
    cases: Sequence[CaseFacts],
    unit: str,
    paths: dict[int, tuple[str, ...]],
    membership: dict[int, tuple[str, ...]],
) -> Counter[Key]:
    counts: Counter[Key] = Counter()
    for index, fact in enumerate(cases):
        period = period_of(fact.received, unit)
        keys: set[Key] = set()
        for place in paths[index]:
            for status in (None, fact.status):
                keys.add(("n", place, status, None))
            keys.add(("n", place, None, period))
        keys.add(("n", TOTAL, fact.status, period))
        for row in membership[index]:
            keys.add(("c", row, period))
            keys.add(("c", row, None))
        counts.update(keys)
        # The problems' total line counts mentions: a case naming two problems counts twice.
        counts[("c", TOTAL, period)] += len(membership[index])
        counts[("c", TOTAL, None)] += len(membership[index])
        counts[("d", fact.dated)] += 1
    return counts


def _release(
    root: Place, problems: Sequence[Problem], columns: Sequence[str], counts: Counter[Key]
) -> Release:
    """Every count of the report and the sums between them (see the package docstring)."""
    release = Release()
    nodes = [node for node, _ in _nodes(root)]
    by_period: list[str | None] = [*columns, None]
    by_status: list[str | None] = [*STATUSES, None]
    # Inner cells first: among equal counts, the suppression hides a cell before a total.
    for node in reversed(nodes):
        for period in by_period:
            _variable(release, ("n", node.key, None, period), counts)
        for status in by_status:
            _variable(release, ("n", node.key, status, None), counts)
    for status in by_status:
        for period in by_period:
            _variable(release, ("n", TOTAL, status, period), counts)
    for problem in problems:
        for period in by_period:
            key = ("c", problem.key, period)
            # A problem's count in a month whose number of cases is hidden is hidden too: with
            # one shown it would bound that number (a case names one problem or more).
            leader = () if period is None else (("n", TOTAL, None, period),)
            release.add(Variable(key, counts[key], hidden_with=leader))
    for period in columns:
        # Mentions in a month: not shown, but treated as known whenever that month's number
        # of cases is shown (the problems table is suppressed as if it added up).
        key = ("c", TOTAL, period)
        release.add(Variable(key, counts[key], published=False, follows=("n", TOTAL, None, period)))
    release.add(Variable(("c", TOTAL, None), counts[("c", TOTAL, None)], published=False))
    for dated in (True, False):
        _variable(release, ("d", dated), counts)

    for node in nodes:
        if node.children:
            for period in by_period:
                release.total(
                    ("n", node.key, None, period),
                    [("n", child.key, None, period) for child in node.children],
                )
            for status in by_status:
                release.total(
                    ("n", node.key, status, None),
                    [("n", child.key, status, None) for child in node.children],
                )
        release.total(("n", node.key, None, None), [("n", node.key, None, p) for p in columns])
        release.total(("n", node.key, None, None), [("n", node.key, s, None) for s in STATUSES])
    for period in by_period:
        release.total(("n", TOTAL, None, period), [("n", TOTAL, s, period) for s in STATUSES])
    for status in STATUSES:
        release.total(("n", TOTAL, status, None), [("n", TOTAL, status, p) for p in columns])
    for period in by_period:
        release.total(("c", TOTAL, period), [("c", problem.key, period) for problem in problems])
    for problem in problems:
        release.total(("c", problem.key, None), [("c", problem.key, p) for p in columns])
    release.total(("c", TOTAL, None), [("c", TOTAL, p) for p in columns])
    release.total(("n", TOTAL, None, None), [("d", True), ("d", False)])
    return release


def _place_key(place: str) -> Callable[[str | None], Key]:
    return lambda period: ("n", place, None, period)


def _status_key(status: str) -> Callable[[str | None], Key]:
    return lambda period: ("n", TOTAL, status, period)


def _problem_key(problem: str) -> Callable[[str | None], Key]:
    return lambda period: ("c", problem, period)


def _variable(release: Release, key: Key, counts: Counter[Key]) -> None:
    release.add(Variable(key, counts[key]))


def _nodes(root: Place) -> list[tuple[Place, int]]:
    """The tree's nodes, parents first, with the depth of each below the countries."""
    out: list[tuple[Place, int]] = [(root, 0)]
    for country in root.children:
        out.append((country, 0))
        out.extend((child, 1) for child in country.children)
    return out


def _row(
    key: str,
    kind: str,
    label: str,
    depth: int,
    columns: Sequence[str],
    key_of: Callable[[str | None], Key],
    cell: Callable[[Key], Cell],
) -> TableRow:
    return TableRow(
        key,
        kind,
        label,
        depth,
        tuple(cell(key_of(column)) for column in columns),
        cell(key_of(None)),
    )


def _monitoring(
    key: str,
    kind: str,
    label: str,
    depth: int,
    cases: Sequence[CaseFacts],
    paths: dict[int, tuple[str, ...]],
    cell: Callable[[Key], Cell],
    k: int,
) -> Monitoring:
    members = [fact for index, fact in enumerate(cases) if key in paths[index]]
    return Monitoring(
        key,
        kind,
        label,
        depth,
        cell(("n", key, None, None)),
        tuple(cell(("n", key, status, None)) for status in STATUSES),
        _median([f.days_to_acknowledge for f in members], k),
        _median([f.days_to_resolve for f in members], k),
    )


def _median(days: Iterable[int | None], k: int) -> float | None:
    """The median over at least k cases, else None (a median of two cases is two cases)."""
    known = [day for day in days if day is not None]
    return float(statistics.median(known)) if len(known) >= k else None
