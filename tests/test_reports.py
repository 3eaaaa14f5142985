"""Reports for buyers (desk/reports): small counts hidden, and nothing hidden can be worked out.

The property tests check the suppression from the outside: the equations a reader knows are
rebuilt from the report as shown (tests/report_checks.py, exact fractions), never taken from
the package.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from report_checks import Equations, recovered, report_equations, shown_counts

from desk.cases import CaseView, Message, StatusChanged
from desk.languages import language
from desk.reports import (
    CaseFacts,
    PeriodError,
    ReportError,
    ReportRequest,
    build_report,
    facts_of,
)
from desk.reports.periods import periods
from desk.reports.suppression import suppress_table
from desk.worker_report import Report

STATUSES = ("new", "acknowledged", "investigating", "remediation", "resolved", "closed")
COUNTRIES = (("TH", "Thailand"), ("MY", "Malaysia"), ("VN", "Viet Nam"))
SITES = (("lamphun-2", "Lamphun Plant 2"), ("penang-1", "Penang One"), ("hanoi-3", "Hanoi 3"))
PROBLEMS = (("wages", "Wages"), ("hours", "Hours"), ("harassment", "Harassment"), ("dorm", "Dorm"))
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def fact(
    month: int = 1,
    *,
    country: int = 0,
    site: int = 0,
    status: str = "new",
    problems: tuple[int, ...] = (0,),
    dated: bool = True,
    acknowledge: int | None = None,
    resolve: int | None = None,
    year: int = 2026,
) -> CaseFacts:
    code, name = COUNTRIES[country]
    slug, site_name = SITES[site]
    return CaseFacts(
        received=date(year, month, 3),
        status=status,
        country=code,
        country_name=name,
        workplace=slug,
        workplace_name=site_name,
        categories=tuple(PROBLEMS[p][0] for p in problems),
        category_names=tuple(PROBLEMS[p][1] for p in problems),
        dated=dated,
        days_to_acknowledge=acknowledge,
        days_to_resolve=resolve,
    )


def year_report(facts, grouping="workplace", k=5, unit="month", start="2026-01", end="2026-06"):
    return build_report(facts, ReportRequest(grouping, unit, start, end, k))


# A plain table ------------------------------------------------------------------------------


def table_equations(cells: list[list[int]], hidden: list[list[bool]]) -> Equations:
    """A table with its row totals, its column totals and the grand total, as a reader sees it."""
    height, width = len(cells), len(cells[0])
    full = [[*row, sum(row)] for row in cells]
    full.append([sum(row[c] for row in full) for c in range(width + 1)])
    eq = Equations()
    for r in range(height + 1):
        for c in range(width + 1):
            eq.value((r, c), None if hidden[r][c] else full[r][c])
    for r in range(height + 1):
        eq.total((r, width), [(r, c) for c in range(width)])
    for c in range(width + 1):
        eq.total((height, c), [(r, c) for r in range(height)])
    return eq


def test_every_count_below_k_is_hidden_zero_included():
    cells = [[0, 30, 4], [20, 50, 60], [25, 70, 80]]
    hidden = suppress_table(cells, 5)
    assert hidden[0][0] and hidden[0][2]  # zero and four: a shown zero says "nobody here"
    eq = table_equations(cells, hidden)
    assert min(value for value in eq.values.values() if value is not None) >= 5
    assert eq.recovered() == set()


def test_a_lone_small_cell_takes_the_next_smallest_of_its_row_and_column_with_it():
    cells = [[3, 20, 30], [10, 40, 50], [12, 60, 70]]
    hidden = suppress_table(cells, 5)
    assert hidden[0][0]
    assert hidden[0][1] and not hidden[0][2]  # 20 is the next smallest in the row
    assert hidden[1][0] and not hidden[2][0]  # 10 in the column
    assert hidden[1][1]  # and the fourth corner, or 10 would follow from its row
    eq = table_equations(cells, hidden)
    assert recovered(eq.sums, eq.values) == set()


def test_k_must_be_at_least_two():
    with pytest.raises(ValueError, match="at least 2"):
        suppress_table([[1, 2]], 1)
    with pytest.raises(ReportError):
        ReportRequest("workplace", "month", "2026-01", "2026-02", 1).checked()


grids = st.integers(1, 5).flatmap(
    lambda width: st.lists(
        st.lists(st.one_of(st.integers(0, 6), st.integers(0, 40)), min_size=width, max_size=width),
        min_size=1,
        max_size=5,
    )
)


@SETTINGS
@given(cells=grids, k=st.integers(2, 8))
def test_no_hidden_cell_of_a_random_table_can_be_worked_out_from_the_shown_cells_and_totals(
    cells, k
):
    hidden = suppress_table(cells, k)
    eq = table_equations(cells, hidden)
    assert all(value >= k for value in eq.values.values() if value is not None)
    height, width = len(cells), len(cells[0])
    # The classic rule: each hidden number is in a row and in a column that either have at
    # least two hidden numbers or no shown total.
    for r in range(height + 1):
        for c in range(width + 1):
            if not hidden[r][c]:
                continue
            row = [hidden[r][j] for j in range(width + 1)]
            column = [hidden[i][c] for i in range(height + 1)]
            assert sum(row) >= 2 and sum(column) >= 2, (r, c)
    assert eq.recovered() == set()


# A whole report ------------------------------------------------------------------------------

facts_lists = st.lists(
    st.builds(
        fact,
        month=st.integers(1, 6),
        country=st.integers(0, 2),
        site=st.integers(0, 2),
        status=st.sampled_from(STATUSES),
        problems=st.lists(st.integers(0, 3), max_size=3, unique=True).map(tuple),
        dated=st.booleans(),
        acknowledge=st.none() | st.integers(0, 30),
        resolve=st.none() | st.integers(0, 90),
    ),
    max_size=90,
)


@SETTINGS
@given(facts=facts_lists, k=st.integers(2, 7), unit=st.sampled_from(["month", "quarter"]))
def test_no_hidden_number_of_a_report_can_be_worked_out_across_its_tables(facts, k, unit):
    report = year_report(facts, k=k, unit=unit)
    assert all(count >= k for count in shown_counts(report))
    assert report_equations(report).recovered() == set()


@SETTINGS
@given(facts=facts_lists, k=st.integers(2, 7))
def test_problems_stay_hidden_even_for_a_reader_who_knew_each_months_mentions(facts, k):
    """A case names one problem or more, so a month's problems add up to its mentions, not its
    cases. The table is suppressed as if a reader knew the mentions of every month whose
    number of cases is shown: that reader still recovers nothing."""
    report = year_report(facts, k=k)
    eq = report_equations(report)
    months = report.periods
    mentions = {month: 0 for month in months}
    rows = {row.key for row in report.problems.rows}
    for item in facts:
        month = f"2026-{item.received.month:02d}"
        named = {f"category:{c}" for c in item.categories} & rows
        pooled = len(named) < len(item.categories) or not item.categories
        mentions[month] += len(named) + (1 if pooled else 0)
    for month, total in zip(months, report.places.totals.cells, strict=True):
        if total is not None:
            eq.value(("mentions", month), mentions[month])
            eq.total(("mentions", month), [("problem", row, month) for row in rows])
        else:  # a month's problems are hidden with its number of cases
            assert all(row.cells[months.index(month)] is None for row in report.problems.rows)
    assert eq.recovered() == set()


def test_a_hidden_workplace_cell_cannot_be_worked_out_from_its_countrys_subtotal():
    # In March, Penang One (Malaysia) has 2 cases: hidden. Thailand's two workplaces hide a
    # cell of March each, so the column alone would not pin it — but Malaysia's subtotal for
    # March, minus the other Malaysian workplace, would. The report must hide more.
    facts = []
    for month in range(1, 7):
        facts += [fact(month, country=0, site=0) for _ in range(3 if month == 3 else 8)]
        facts += [fact(month, country=0, site=2) for _ in range(2 if month == 3 else 9)]
        facts += [fact(month, country=1, site=1) for _ in range(2 if month == 3 else 7)]
        facts += [fact(month, country=1, site=2) for _ in range(9)]
    report = year_report(facts)
    march = report.periods.index("2026-03")
    by_label = {(row.kind, row.label): row for row in report.places.rows}
    assert by_label[("workplace", "Penang One")].cells[march] is None
    assert report_equations(report).recovered() == set()


def test_every_grouping_hides_the_same_numbers():
    facts = [
        fact(m, country=c, site=s, status=STATUSES[(m + s) % 6], problems=(s, (m + c) % 4))
        for m in range(1, 7)
        for c in range(2)
        for s in range(3)
        for _ in range(1 + (m * s + c) % 6)
    ]
    reports = {g: year_report(facts, g) for g in ("workplace", "country", "category", "status")}
    shown = {g: report_equations(r).values for g, r in reports.items()}
    assert all(values == shown["workplace"] for values in shown.values())
    assert reports["country"].main.rows == tuple(
        r for r in reports["workplace"].places.rows if r.depth == 0
    )
    assert reports["status"].main is reports["status"].statuses
    assert reports["category"].main.totals is None  # problems do not add up to the cases


def test_places_and_problems_named_by_fewer_than_k_cases_share_one_row():
    facts = [fact(1, site=0, problems=(0,)) for _ in range(6)]
    facts += [fact(2, site=1, problems=(1,)) for _ in range(2)]  # a small workplace, a rare problem
    facts += [fact(2, site=2, problems=()) for _ in range(6)]  # no problem named
    facts += [fact(3, country=2, site=2) for _ in range(2)]  # a country with two cases
    report = year_report(facts)
    rows = [(row.kind, row.label) for row in report.places.rows]
    assert rows == [
        ("country", "Thailand"),
        ("workplace", "Hanoi 3"),
        ("workplace", "Lamphun Plant 2"),
        ("workplace-pool", ""),
        ("country-pool", ""),
    ]
    assert "Penang One" not in str(report) and "Viet Nam" not in str(report)
    problems = [(row.kind, row.label) for row in report.problems.rows]
    assert problems == [("category", "Wages"), ("category-pool", "")]
    assert "Hours" not in str(report)


def test_rows_follow_their_names_not_their_counts():
    facts = [fact(1, site=0) for _ in range(5)] + [fact(1, site=2) for _ in range(40)]
    names = [row.label for row in year_report(facts).places.rows if row.kind == "workplace"]
    assert names == ["Hanoi 3", "Lamphun Plant 2"]


def test_medians_come_from_dated_cases_and_need_k_of_them():
    facts = [fact(1, status="resolved", acknowledge=d, resolve=10 * d) for d in (1, 2, 3, 4, 9)]
    facts += [fact(2, status="acknowledged", acknowledge=30) for _ in range(3)]
    facts += [fact(2, status="resolved", dated=False) for _ in range(5)]
    report = year_report(facts)
    overall = report.overall
    assert overall.days_to_acknowledge == 6.5  # median of 1, 2, 3, 4, 9, 30, 30, 30
    assert overall.days_to_resolve == 30.0  # median of 10, 20, 30, 40, 90
    assert report.dated == 8 and report.undated == 5
    few = year_report(facts[:4] + facts[5:], k=5)
    assert few.overall.days_to_resolve is None  # four resolved dated cases: below k
    assert few.overall.days_to_acknowledge == 4.0


def test_periods_are_whole_months_or_quarters_at_most_36():
    assert periods("2026-02", "2026-07", "quarter") == ("2026-Q1", "2026-Q2", "2026-Q3")
    assert periods("2025-12", "2026-01", "month") == ("2025-12", "2026-01")
    assert len(periods("2024-01", "2026-12", "month")) == 36
    for start, end, unit in [("2026-05", "2026-04", "month"), ("2023-01", "2026-01", "month"),
                             ("2026-13", "2026-14", "month"), ("2026-01-05", "2026-02", "month"),
                             ("2026-01", "2026-02", "week")]:  # fmt: skip
        with pytest.raises(PeriodError):
            periods(start, end, unit)


def test_cases_outside_the_periods_are_left_out():
    facts = [fact(1) for _ in range(5)] + [fact(1, year=2025) for _ in range(7)]
    assert year_report(facts).total == 5


# From a decrypted case ------------------------------------------------------------------------


def view(status: str, changes: list[tuple[str, str, str]], *, what: str = "words") -> CaseView:
    report = Report(
        entry_id="0123456789ABCDEFGHJK",
        day="2026-03-02",
        language=language("th"),
        readable={
            "country": {"question": "Country", "answer": "Thailand"},
            "site": {"question": "Workplace", "answer": "Lamphun\x1b[31m Plant 2"},
            "categories": {"question": "Problem", "answer": "Wages and deductions, Hours"},
            "what_happened": {"question": "What happened", "answer": what},
        },
        raw_answers={"country": "TH", "site": "lamphun-2", "categories": ["wages", "hours"]},
        danger=False,
        categories=("wages", "hours"),
        categories_text="Wages and deductions, Hours",
        workplace="Lamphun Plant 2",
        what_happened=what,
        questionnaire="default v1",
        attachments={},
    )
    thread = [
        StatusChanged(f"ENTRY{i:015d}", i + 2, day, "caseworker", new, old)
        for i, (day, old, new) in enumerate(changes)
    ]
    note = Message("NOTE0000000000000000", 9, "2026-03-04", "note", "caseworker", what, None)
    return CaseView(
        "7KQ2M9XD4H1A", status, "2026-03-02", "2026-04-20", report, None, (note, *thread)
    )


def test_the_days_come_from_the_first_recorded_changes():
    facts = facts_of(view("closed", [
        ("2026-03-05", "new", "acknowledged"),
        ("2026-03-09", "acknowledged", "investigating"),
        ("2026-04-01", "investigating", "resolved"),
        ("2026-04-20", "resolved", "closed"),
    ]))  # fmt: skip
    assert facts is not None and facts.dated
    assert (facts.days_to_acknowledge, facts.days_to_resolve) == (3, 30)
    assert facts.workplace == "lamphun-2" and facts.workplace_name == "Lamphun[31m Plant 2"
    assert facts.categories == ("wages", "hours")
    assert facts.category_names == ("Wages and deductions", "Hours")


def test_a_case_changed_before_desks_recorded_changes_is_counted_without_days():
    older = facts_of(view("resolved", [("2026-04-01", "investigating", "resolved")]))
    assert older is not None and not older.dated and older.days_to_resolve is None
    never = facts_of(view("acknowledged", []))
    assert never is not None and not never.dated
    untouched = facts_of(view("new", []))
    assert untouched is not None and untouched.dated and untouched.days_to_acknowledge is None


def test_a_report_holds_no_words_no_ids_and_no_days():
    words = "SENTINEL-REPORT-WORDS the supervisor took our passports"
    cases = [
        view(STATUSES[i % 6], [("2026-03-05", "new", "acknowledged")] if i % 6 else [], what=words)
        for i in range(40)
    ]
    facts = [item for item in map(facts_of, cases) if item is not None]
    report = build_report(facts, ReportRequest("workplace", "month", "2026-01", "2026-06"))
    strings = list(_strings(report))
    text = "\n".join(strings)
    assert "SENTINEL" not in text and "7KQ2M9XD4H1A" not in text and "ENTRY" not in text
    assert not any(re.search(r"\d{4}-\d{2}-\d{2}", s) for s in strings)
    assert {s for s in strings if re.fullmatch(r"\d{4}-\d{2}", s)} == set(report.periods)


def _strings(value):
    if isinstance(value, str):
        yield value
    elif dataclasses.is_dataclass(value):
        for item in dataclasses.fields(value):
            yield from _strings(getattr(value, item.name))
    elif isinstance(value, tuple | list):
        for item in value:
            yield from _strings(item)
