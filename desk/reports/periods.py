"""Months and quarters: the only time a report shows (never a day)."""

from __future__ import annotations

import re
from datetime import date
from typing import Final

UNITS: Final = ("month", "quarter")
MAX_PERIODS: Final = 36
"""Columns of one report: three years of months, or nine of quarters."""
_MONTH: Final = re.compile(r"(\d{4})-(\d{2})")


class PeriodError(ValueError):
    """A month or range a report cannot cover."""


def parse_month(text: str) -> tuple[int, int]:
    """(year, month) of `YYYY-MM`; PeriodError otherwise."""
    match = _MONTH.fullmatch(text.strip())
    if match is None:
        raise PeriodError(text)
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12 or not 2000 <= year <= 2999:
        raise PeriodError(text)
    return year, month


def period_of(day: date, unit: str) -> str:
    """`2026-03` for a month, `2026-Q1` for a quarter."""
    if unit == "quarter":
        return f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}"
    return f"{day.year:04d}-{day.month:02d}"


def periods(start: str, end: str, unit: str) -> tuple[str, ...]:
    """Every period from the one holding month `start` to the one holding month `end`.

    PeriodError if the range is backwards or longer than MAX_PERIODS periods.
    """
    if unit not in UNITS:
        raise PeriodError(unit)
    first, last = parse_month(start), parse_month(end)
    if last < first:
        raise PeriodError(f"{start} .. {end}")
    out: list[str] = []
    year, month = first
    while (year, month) <= last:
        key = period_of(date(year, month, 1), unit)
        if not out or out[-1] != key:
            out.append(key)
        if len(out) > MAX_PERIODS:
            raise PeriodError(f"{start} .. {end}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return tuple(out)


def first_month(period: str) -> tuple[int, int]:
    """(year, month) of the first month of a period key."""
    year, _, rest = period.partition("-")
    if rest.startswith("Q"):
        return int(year), (int(rest[1:]) - 1) * 3 + 1
    return int(year), int(rest)


def last_month(period: str) -> tuple[int, int]:
    """(year, month) of the last month of a period key."""
    year, month = first_month(period)
    return (year, month + 2) if "Q" in period else (year, month)
