"""What a reader of a buyers' report can work out from it: exact linear algebra over fractions.

Written apart from desk/reports (which decides with its own elimination modulo a prime): the
equations here are rebuilt from the report as shown — the numbers and the hidden marks of its
tables, and the sums any reader knows hold between them — and solved with `Fraction`. A hidden
number is *recovered* when the equations leave it one value.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

Name = Hashable


@dataclass
class Equations:
    """Sums a reader knows: each says `whole = sum(parts)`; a value None is hidden."""

    values: dict[Name, int | None] = field(default_factory=dict)
    sums: list[tuple[Name, list[Name]]] = field(default_factory=list)

    def value(self, name: Name, shown: int | None) -> None:
        """A number of the report (the same name may be shown in several tables)."""
        if name in self.values and self.values[name] != shown:
            raise AssertionError(f"{name!r} is shown as {self.values[name]} and as {shown}")
        self.values[name] = shown

    def total(self, whole: Name, parts: Iterable[Name]) -> None:
        self.sums.append((whole, list(parts)))

    def hidden(self) -> set[Name]:
        return {name for name, shown in self.values.items() if shown is None}

    def recovered(self) -> set[Name]:
        """The hidden numbers these sums pin to one value."""
        return recovered(self.sums, self.values)


def recovered(
    sums: Sequence[tuple[Name, list[Name]]], values: Mapping[Name, int | None]
) -> set[Name]:
    """Hidden names (value None) that the sums and the shown values determine."""
    unknown = sorted((name for name, v in values.items() if v is None), key=repr)
    column = {name: index for index, name in enumerate(unknown)}
    rows: list[list[Fraction]] = []
    for whole, parts in sums:
        row = [Fraction(0)] * (len(unknown) + 1)
        for name, sign in [(whole, -1), *((part, 1) for part in parts)]:
            shown = values[name]
            if shown is None:
                row[column[name]] += sign
            else:
                row[-1] -= sign * shown
        if any(row[:-1]):
            rows.append(row)
    # Reduced row echelon form.
    pivots: list[int] = []
    rank = 0
    for col in range(len(unknown)):
        pivot = next((r for r in range(rank, len(rows)) if rows[r][col] != 0), None)
        if pivot is None:
            continue
        rows[rank], rows[pivot] = rows[pivot], rows[rank]
        lead = rows[rank][col]
        rows[rank] = [x / lead for x in rows[rank]]
        for r in range(len(rows)):
            if r != rank and rows[r][col] != 0:
                factor = rows[r][col]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[rank], strict=True)]
        pivots.append(col)
        rank += 1
    out = set()
    for r, col in enumerate(pivots):
        if all(rows[r][c] == 0 for c in range(len(unknown)) if c != col):
            out.add(unknown[col])
    return out


def report_equations(report) -> Equations:  # type: ignore[no-untyped-def]
    """Every number a `desk.reports.Report` shows, and every sum a reader knows between them.

    Tables share their numbers: the cases of a period are the same number in the places and
    the statuses tables; a place's cases are its row total and its line in the monitoring view.
    """
    eq = Equations()
    columns = list(report.periods)
    statuses = [row.key.split(":", 1)[1] for row in report.statuses.rows]
    places = report.places.rows
    totals = report.places.totals

    def place(key, column):  # type: ignore[no-untyped-def]
        return ("place", key, column)

    for row in [*places, totals]:
        for column, shown in zip(columns, row.cells, strict=True):
            eq.value(place(row.key, column), shown)
        eq.value(place(row.key, None), row.total)
        eq.total(place(row.key, None), [place(row.key, c) for c in columns])
    for row in report.countries.rows:
        assert place(row.key, None) in eq.values
    for parent, children in _families(places):
        for column in [*columns, None]:
            eq.total(place(parent, column), [place(child, column) for child in children])
    top = [row.key for row in places if row.depth == 0]
    for column in [*columns, None]:
        eq.total(place("total", column), [place(key, column) for key in top])

    for row, status in zip(report.statuses.rows, statuses, strict=True):
        for column, shown in zip(columns, row.cells, strict=True):
            eq.value(("status", status, column), shown)
        eq.value(("status", status, None), row.total)
        eq.total(("status", status, None), [("status", status, c) for c in columns])
    for column in [*columns, None]:
        eq.total(place("total", column), [("status", s, column) for s in statuses])

    def watched(key, status):  # type: ignore[no-untyped-def]
        return ("status", status, None) if key == "total" else ("watched", key, status)

    for line in report.monitoring:
        eq.value(place(line.key, None), line.received)
        for status, shown in zip(statuses, line.statuses, strict=True):
            eq.value(watched(line.key, status), shown)
        eq.total(place(line.key, None), [watched(line.key, s) for s in statuses])
    for parent, children in _families(places):
        for status in statuses:
            eq.total(watched(parent, status), [watched(child, status) for child in children])
    for status in statuses:
        eq.total(watched("total", status), [watched(key, status) for key in top])

    for row in report.problems.rows:
        for column, shown in zip(columns, row.cells, strict=True):
            eq.value(("problem", row.key, column), shown)
        eq.value(("problem", row.key, None), row.total)
        eq.total(("problem", row.key, None), [("problem", row.key, c) for c in columns])
    for column, shown in zip([*columns, None], report.problem_cases, strict=True):
        eq.value(place("total", column), shown)

    eq.value(("dated", True), report.dated)
    eq.value(("dated", False), report.undated)
    eq.total(place("total", None), [("dated", True), ("dated", False)])
    return eq


def _families(rows) -> list[tuple[str, list[str]]]:  # type: ignore[no-untyped-def]
    """(country, its workplaces) for each country row followed by rows one level deeper."""
    out: list[tuple[str, list[str]]] = []
    for row in rows:
        if row.depth == 0:
            out.append((row.key, []))
        else:
            out[-1][1].append(row.key)
    return [(parent, children) for parent, children in out if children]


def shown_counts(report) -> list[int]:  # type: ignore[no-untyped-def]
    """Every count the report shows."""
    eq = report_equations(report)
    return [value for value in eq.values.values() if value is not None]
