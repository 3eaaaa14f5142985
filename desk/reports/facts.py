"""What a report may know of one case: where, what about, where it stands, and how long it took.

Nothing else of the case reaches a report: no words the worker wrote, no ids, no days. The day
it was received is kept only to place the case in a month or a quarter, and the days of its
status changes only to count the days it took.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from desk.cases import CaseView
from vocabulary import SETTLED, CaseStatus, StepRole

MAX_LABEL: Final = 80
"""Characters of a workplace, country or problem name: a name, never an account."""
NOT_NAMED: Final = frozenset({"", "other", "undisclosed"})
"""Site answers that name no workplace: another one, or "I prefer not to say"."""


@dataclass(frozen=True, slots=True)
class CaseFacts:
    """One case as the reports see it."""

    received: date
    status: str
    country: str
    """The country code the worker chose (e.g. `TH`), or empty."""
    country_name: str
    workplace: str
    """The workplace's slug, or empty when the worker named none."""
    workplace_name: str
    categories: tuple[str, ...]
    """Option ids of the problems named (a case may name several)."""
    category_names: tuple[str, ...]
    """Their English words, in the same order."""
    dated: bool
    """Every status change of the case was recorded by a desk: its days are known."""
    days_to_acknowledge: int | None = None
    """Days from received to the first change out of `new`, if dated and so changed."""
    days_to_resolve: int | None = None
    """Days from received to the first change to resolved or closed, if dated and so changed."""


def facts_of(view: CaseView) -> CaseFacts | None:
    """The facts of a decrypted case; None when its report did not open (nothing is known)."""
    report = view.report
    if report is None:
        return None
    received = date.fromisoformat(view.created_day)
    changes = view.status_changes
    # Complete when the first recorded change left "new", or nothing was ever changed. A case
    # changed before desks recorded changes starts elsewhere: its days are not known.
    dated = (changes[0].previous if changes else view.status) == CaseStatus.NEW
    acknowledged = resolved = None
    if dated and changes:
        acknowledged = _days(received, changes[0].day)
        settled = next((change for change in changes if change.status in SETTLED), None)
        resolved = _days(received, settled.day) if settled else None
    names = [part.strip() for part in report.categories_text.split(",")]
    aligned = len(names) == len(report.categories)
    chosen: dict[str, str] = {}
    for index, option in enumerate(report.categories):
        code = _code(option, lower=True)
        if code:
            chosen.setdefault(code, _label(names[index] if aligned else option))
    site = _code(report.raw_answer(StepRole.WORKPLACE), lower=True)
    return CaseFacts(
        received=received,
        status=view.status,
        country=_code(report.raw_answer(StepRole.COUNTRY)),
        country_name=_label(report.answer_to(StepRole.COUNTRY)),
        workplace="" if site in NOT_NAMED else site,
        workplace_name="" if site in NOT_NAMED else _label(report.answer_to(StepRole.WORKPLACE)),
        categories=tuple(chosen),
        category_names=tuple(chosen.values()),
        dated=dated,
        days_to_acknowledge=acknowledged,
        days_to_resolve=resolved,
    )


def _days(received: date, day: str) -> int:
    return max(0, (date.fromisoformat(day) - received).days)


def _code(value: Any, *, lower: bool = False) -> str:
    """An option id as a key: short, one line; anything else counts as not given."""
    if not isinstance(value, str) or len(value) > 64 or not value.isprintable():
        return ""
    text = value.strip()
    return text.lower() if lower else text.upper()


def _label(text: str) -> str:
    """A name shown in a report: one line, no control characters, not too long."""
    if not text.isprintable():  # rare: the character test only when needed (10,000 cases)
        text = "".join(c for c in text if c.isprintable())
    cleaned = " ".join(text.split())
    return cleaned if len(cleaned) <= MAX_LABEL else cleaned[: MAX_LABEL - 1] + "…"
