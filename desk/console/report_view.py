"""A buyers' report as the console shows, prints and exports it: words, numbers and chart data.

`desk.reports` decides what is counted and what is hidden; this module only puts it into the
caseworker's language. A hidden count has one word everywhere (page, print, chart, CSV), the
same for a count below k and for one hidden to protect it. Nothing here reads a case.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from babel import Locale
from babel.dates import format_skeleton
from babel.numbers import format_decimal

from desk.console import present
from desk.console.i18n import N_, Gettext
from desk.render import defuse
from desk.reports import Cell, Report, Table, TableRow
from desk.reports.periods import first_month
from vocabulary import STATUSES

GROUPING_NAMES: Final = {
    "workplace": N_("Workplace"),
    "country": N_("Country"),
    "category": N_("Problem"),
    "status": N_("Status"),
}
UNIT_NAMES: Final = {"month": N_("Month"), "quarter": N_("Quarter")}
TITLES: Final = {
    "workplace": N_("Cases received, by workplace"),
    "country": N_("Cases received, by country"),
    "category": N_("Cases received, by problem"),
    "status": N_("Cases received, by where they stand now"),
}
HIDDEN: Final = N_("hidden")
POOLS: Final = {
    "country-pool": N_("Other or not named countries"),
    "workplace-pool": N_("Other or not named workplaces"),
    "category-pool": N_("Other problems, or none named"),
    "total": N_("All cases"),
}
# The problems of the default questionnaire (handlers/questionnaires/default.toml), so that a
# report in Thai or Chinese names them in that language; any other name is shown as sealed.
QUESTIONNAIRE_PROBLEMS: Final = (
    N_("Forced labour, fees, documents taken"),
    N_("Wages and deductions"),
    N_("Working hours or forced overtime"),
    N_("Health and safety or chemicals"),
    N_("Harassment or abuse"),
    N_("Discrimination"),
    N_("Unions, or punishment for speaking up"),
    N_("Contracts, agency work or dismissal"),
    N_("Dormitory and living conditions"),
    N_("Child, young or student workers"),
    N_("Harm to the community or environment"),
    N_("Something else"),
)


@dataclass(frozen=True)
class CellView:
    """One number as shown: its text, and whether it is hidden."""

    text: str
    hidden: bool
    value: int | None


@dataclass(frozen=True)
class RowView:
    """One row of a shown table."""

    label: str
    group: str
    """The country a workplace row belongs to (for the CSV), else empty."""
    kind: str
    depth: int
    cells: tuple[CellView, ...]
    total: CellView


@dataclass(frozen=True)
class TableView:
    """A table as shown: a title, column headings, rows and the totals row."""

    name: str
    title: str
    columns: tuple[str, ...]
    column_keys: tuple[str, ...]
    rows: tuple[RowView, ...]
    totals: RowView | None
    total_heading: str


@dataclass
class Words:
    """The caseworker's language for a report."""

    gettext: Gettext
    language: str

    def number(self, value: int) -> str:
        return present.number(value, self.language)

    def cell(self, value: Cell) -> CellView:
        if value is None:
            return CellView(self.gettext(HIDDEN), True, None)
        return CellView(self.number(value), False, value)

    def days(self, value: float | None) -> str:
        """A median as shown; a dash when fewer than k cases are behind it."""
        return "—" if value is None else str(format_decimal(value, locale=self.language))

    def period(self, key: str) -> str:
        """`Jan 2026` / `Q1 2026`, in the caseworker's language."""
        year, month = first_month(key)
        skeleton = "yQQQ" if "Q" in key else "yMMM"
        return str(format_skeleton(skeleton, date(year, month, 1), locale=self.language))

    def month(self, day: date) -> str:
        """`January 2026`: a report names months, never days."""
        return str(format_skeleton("yMMMM", day, locale=self.language))

    def row(self, row: TableRow) -> str:
        _ = self.gettext
        if row.kind in POOLS:
            return _(POOLS[row.kind])
        if row.kind == "status":
            return present.status_name(row.label, _)
        if row.kind == "country":
            code = row.key.split(":", 1)[1]
            names = Locale.parse(self.language).territories
            return str(names.get(code) or row.label or code)
        if row.kind == "category":
            return _(row.label) if row.label in QUESTIONNAIRE_PROBLEMS else row.label
        return row.label


def table_view(
    table: Table, name: str, title: str, words: Words, columns: Sequence[str]
) -> TableView:
    """A table of `desk.reports` in words; `columns` are the headings of its columns."""
    group = ""
    rows = []
    for row in table.rows:
        label = words.row(row)
        if row.depth == 0:
            group = label
        rows.append(_row_view(row, label, group if row.depth else "", words))
    totals = table.totals
    return TableView(
        name=name,
        title=title,
        columns=tuple(columns),
        column_keys=table.columns,
        rows=tuple(rows),
        totals=None if totals is None else _row_view(totals, words.row(totals), "", words),
        total_heading=words.gettext("All"),
    )


def _row_view(row: TableRow, label: str, group: str, words: Words) -> RowView:
    return RowView(
        label=label,
        group=group,
        kind=row.kind,
        depth=row.depth,
        cells=tuple(words.cell(value) for value in row.cells),
        total=words.cell(row.total),
    )


@dataclass(frozen=True)
class ReportView:
    """Everything the report page, the printable page and the CSV show."""

    report: Report
    title: str
    periods: tuple[str, ...]
    main: TableView
    statuses: TableView
    problem_cases: RowView | None
    monitoring: TableView
    medians: tuple[tuple[str, str, str], ...]
    """(row label, days to acknowledge, days to resolve) of each monitoring row."""
    charts: dict[str, Any]


def report_view(report: Report, words: Words) -> ReportView:
    """The report in the caseworker's language."""
    _ = words.gettext
    grouping = report.request.grouping
    periods = tuple(words.period(key) for key in report.periods)
    main = table_view(report.main, grouping, _(TITLES[grouping]), words, periods)
    title = _("Where the cases stand now, by period received")
    statuses = table_view(report.statuses, "status", title, words, periods)
    problem_cases = None
    if grouping == "category":
        counts = report.problem_cases
        problem_cases = RowView(
            _("Cases received"),
            "",
            "cases",
            0,
            tuple(words.cell(value) for value in counts[:-1]),
            words.cell(counts[-1]),
        )
    lines = report.monitoring
    monitoring_rows = []
    group = ""
    for line in lines[:-1]:
        row = TableRow(line.key, line.kind, line.label, line.depth, line.statuses, line.received)
        label = words.row(row)
        group = label if line.depth == 0 else group
        monitoring_rows.append(_row_view(row, label, group if line.depth else "", words))
    overall = lines[-1]
    overall_row = TableRow(overall.key, overall.kind, "", 0, overall.statuses, overall.received)
    overall_view = _row_view(overall_row, words.row(overall_row), "", words)
    monitoring = TableView(
        name="monitoring",
        title=_("Monitoring by workplace"),
        columns=tuple(present.status_name(status, _) for status in STATUSES),
        column_keys=STATUSES,
        rows=tuple(monitoring_rows),
        totals=overall_view,
        total_heading=_("Cases"),
    )
    medians = tuple(
        (
            row.label,
            words.days(line.days_to_acknowledge),
            words.days(line.days_to_resolve),
        )
        for row, line in zip([*monitoring_rows, overall_view], lines, strict=True)
    )
    return ReportView(
        report=report,
        title=_(TITLES[grouping]),
        periods=periods,
        main=main,
        statuses=statuses,
        problem_cases=problem_cases,
        monitoring=monitoring,
        medians=medians,
        charts=chart_data(report, words, periods),
    )


STATUS_COLOURS: Final = ("#9fb7d9", "#7d9fcf", "#5b84c0", "#3d68a8", "#2f8f5b", "#7a9a86")
"""New to closed: blues while the case is open, greens once it is settled."""


def chart_data(report: Report, words: Words, periods: Sequence[str]) -> dict[str, Any]:
    """What the page's script draws: numbers, labels and colours, nothing else.

    A hidden count is left out of a chart (no bar). In the stacked chart, the part of a period
    whose statuses are hidden is drawn as one grey block: its size is the period's total less
    the statuses shown, which the table below shows anyway.
    """
    _ = words.gettext
    totals = report.places.totals
    assert totals is not None
    hidden = _(HIDDEN)
    labels = [
        [label, f"({hidden})"] if total is None else label
        for label, total in zip(periods, totals.cells, strict=True)
    ]
    rest = []
    for index, total in enumerate(totals.cells):
        shown = [row.cells[index] for row in report.statuses.rows]
        rest.append(None if total is None else total - sum(v for v in shown if v is not None))
    return {
        "language": words.language.replace("_", "-"),
        "periods": labels,
        "axis": _("Cases"),
        "received": {"label": _("Cases received"), "values": list(totals.cells)},
        "statuses": [
            {"label": present.status_name(status, _), "values": list(row.cells), "colour": colour}
            for status, row, colour in zip(
                STATUSES, report.statuses.rows, STATUS_COLOURS, strict=True
            )
        ],
        "rest": {"label": _("Status hidden"), "values": rest},
    }


def csv_text(view: ReportView, words: Words, partner: str, made: date) -> str:
    """The report as one table of lines (table, group, row, column, value), for spreadsheets.

    Periods are written `2026-03` or `2026-Q1`; a hidden number is the word for hidden. Names
    come from the questionnaire's answers and are defused like every cell (anyone holding the
    partner's public key can file a report).
    """
    _ = words.gettext
    report = view.report
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")

    def line(*cells: str) -> None:
        writer.writerow([defuse(str(cell)) for cell in cells])

    line(_("Table"), _("Group"), _("Row"), _("Column"), _("Value"))
    about = _("About this report")
    line(about, "", _("Organisation"), "", partner)
    line(about, "", _("First period"), "", report.periods[0])
    line(about, "", _("Last period"), "", report.periods[-1])
    line(about, "", _("Made in"), "", made.strftime("%Y-%m"))
    line(about, "", _("Smallest number shown"), "", str(report.k))
    line(about, "", _(HIDDEN), "", hidden_meaning(words, report.k))
    for table in (view.main, view.statuses):
        for row in _rows(table):
            for key, cell in zip(table.column_keys, row.cells, strict=True):
                line(table.title, row.group, row.label, key, _csv(cell))
            line(table.title, row.group, row.label, table.total_heading, _csv(row.total))
    if view.problem_cases is not None:
        row = view.problem_cases
        for key, cell in zip(view.main.column_keys, row.cells, strict=True):
            line(view.main.title, "", row.label, key, _csv(cell))
        line(view.main.title, "", row.label, view.main.total_heading, _csv(row.total))
    table = view.monitoring
    for row, (_label, acknowledge, resolve) in zip(_rows(table), view.medians, strict=True):
        line(table.title, row.group, row.label, table.total_heading, _csv(row.total))
        for key, cell in zip(table.column_keys, row.cells, strict=True):
            line(table.title, row.group, row.label, present.status_name(key, _), _csv(cell))
        line(table.title, row.group, row.label, _("Median days to acknowledge"), acknowledge)
        line(table.title, row.group, row.label, _("Median days to resolve"), resolve)
    dated, undated = words.cell(report.dated), words.cell(report.undated)
    line(about, "", _("Cases with every status change recorded"), "", _csv(dated))
    line(about, "", _("Older cases, not in the medians"), "", _csv(undated))
    return out.getvalue()


def _rows(table: TableView) -> list[RowView]:
    return [*table.rows, *([table.totals] if table.totals is not None else [])]


def _csv(cell: CellView) -> str:
    return cell.text if cell.hidden else str(cell.value)


def hidden_meaning(words: Words, k: int) -> str:
    """What the word for hidden means, in one sentence."""
    return words.gettext(
        "fewer than {k} cases, or a larger number hidden as well so that a small one cannot be "
        "worked out from the totals; zero is hidden too"
    ).format(k=words.number(k))
