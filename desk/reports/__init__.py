"""Reports for buyers: counts of cases by workplace, country, problem, status and period, with
small counts hidden so that no worker can be singled out. Pure: no web, no templates, no disk.

What a report may show
    Counts of cases received in each month or quarter of a range, by place (countries and their
    workplaces), by problem, and by where the cases stand now (status); the median days from
    received to acknowledged and to resolved. Never any words a worker wrote, any id, or a day:
    periods are months or quarters, and the day a case arrived is used only to find its period.

Rows of their own (`rows.py`)
    A row's presence says someone named it, so a workplace, country or problem has a row only
    when at least k cases of the report name it. The rest are pooled ("other or not named"),
    and the pool is a count like any other. Rows are in the order of their names, never of
    their counts.

One release (`build.py`)
    Whatever grouping is asked for, all tables of the periods and k are built and suppressed
    together: places by period (workplaces inside their countries), statuses by period,
    problems by period, places by status, and the cases with and without recorded dates. So
    the reports by workplace, by country, by status and by problem over the same periods and k
    hide the same cells, and comparing them undoes nothing.

The algorithm (`suppression.py`)
    1. Every published count is a variable; every "this total is the sum of these parts" that
       holds between published counts is a linear constraint: a row total is the sum of its
       cells, a column total the sum of its column, a country the sum of its workplaces (the
       parent total), the grand total the sum of either, and tables share their totals.
    2. Primary suppression: every count below k is hidden, zero included, so a shown number
       never says that a cell is empty or nearly so. Totals are counts too.
    3. Secondary (complementary) suppression: a hidden count is *determined* when the shown
       counts and the constraints leave it a single possible value. This is decided exactly,
       by Gaussian elimination over the hidden counts (modulo the prime 2**61 - 1, which for
       these sums of 0/1 coefficients gives the rank over the rationals). While some hidden
       count is determined, the smallest shown count in one of its lines is hidden as well —
       a line where it is the only hidden count first (the classic rule: every line with a
       shown total ends with zero or at least two hidden cells), further out when every
       count next to it is hidden already — and the check runs again. It ends when no hidden
       count is determined: no linear differencing of shown cells and totals, within a table,
       across tables or through a parent total, recovers any hidden count. Among equal counts
       a cell is hidden before a total.
    4. A hidden count is shown as "hidden", the same word for both kinds: a reader who knew
       which hidden counts are below k (and which were hidden only to protect them) could
       bound them much more tightly — a line whose hidden counts add up to exactly k would
       then give a zero away.

Problems: a case can name several (not additive)
    The problems table's rows are not a partition of the cases: a month's problem counts add
    up to the *mentions* in that month, at least the number of cases and often more, so the
    table shows its rows' totals but no column sums. It is still suppressed as if it added
    up: the mentions of each month are a variable the reader is assumed to know whenever that
    month's number of cases is shown (a stronger reader than the real one, who sees only the
    number of cases, which bounds the mentions from below), and the problems table must be
    safe against that reader. Every case counts in at least one row (the pool takes cases
    that name no problem or only pooled ones), so those sums are real. When a month's number
    of cases is hidden, the month's problem counts are hidden too, since a shown one would
    bound it. So whatever is hidden in the problems table is undetermined even for a reader
    who knew every month's mentions exactly.

Medians
    From the cases whose every status change a desk recorded (the status-change entries,
    sealed to the partner; the server keeps no history): the first change out of "new" is
    the day acknowledged, the first change to resolved or closed the day resolved. A median
    is shown only when at least k cases are behind it. Older cases, changed before desks
    recorded changes, are counted in the tables but left out of the medians, and the report
    says how many cases the medians are made from.

Limits
    The guarantee is about one release (one range, unit and k). Reports over ranges that
    overlap, or with another k, can be compared (a year to May and a year to June differ by
    June exactly): give buyers reports over whole, separate periods with one k. Beyond linear
    differencing, a reader can bound a hidden count (a hidden pair in a line with a shown
    total adds up to a known number); the hidden counts are never pinned to one value.
"""

from desk.reports.build import (
    DEFAULT_K,
    GROUPINGS,
    Cell,
    Monitoring,
    Report,
    ReportError,
    ReportRequest,
    Table,
    TableRow,
    build_report,
)
from desk.reports.facts import CaseFacts, facts_of
from desk.reports.periods import MAX_PERIODS, UNITS, PeriodError

__all__ = [
    "DEFAULT_K",
    "GROUPINGS",
    "MAX_PERIODS",
    "UNITS",
    "CaseFacts",
    "Cell",
    "Monitoring",
    "PeriodError",
    "Report",
    "ReportError",
    "ReportRequest",
    "Table",
    "TableRow",
    "build_report",
    "facts_of",
]
