"""Cases for the buyers' reports: many, over months, at several workplaces, each with its status
history recorded as the desk records it (a status-change note sealed to the partner, dated on
the day of the change), and some older ones changed before desks recorded changes.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from desk_world import DeskWorld, sealed_entry, store_report
from sqlalchemy import update

from crypto.payloads import encode_status_change
from storage import cases, partners
from storage.models import Case, CaseEntry
from vocabulary import CaseStatus, Purpose

REPORT_WORDS = "SENTINEL-REPORT-WORDS the supervisor keeps our passports in his drawer"
"""What every worker wrote: it must never reach a report."""


@dataclass(frozen=True)
class Workplace:
    country: tuple[str, str]
    site: str
    name: str


THAILAND, MALAYSIA = ("TH", "Thailand"), ("MY", "Malaysia")
LAMPHUN = Workplace(THAILAND, "lamphun-2", "Lamphun Plant 2")
AYUTTHAYA = Workplace(THAILAND, "ayutthaya-1", "Ayutthaya Assembly 1")
CHONBURI = Workplace(THAILAND, "chonburi-components", "Chonburi Components")
RAYONG = Workplace(THAILAND, "rayong-cables", "Rayong Cables")
SAMUT = Workplace(THAILAND, "samut-prakan-boards", "Samut Prakan Boards")
BANG_PA_IN = Workplace(THAILAND, "bang-pa-in-plastics", "Bang Pa-in Plastics")
PENANG = Workplace(MALAYSIA, "penang-circuits", "Penang Circuits")
KULIM = Workplace(MALAYSIA, "kulim-semiconductor", "Kulim Semiconductor")

WAGES = ("wages", "Wages and deductions")
HOURS = ("hours", "Working hours or forced overtime")
FORCED = ("forced_labour", "Forced labour, recruitment fees or documents taken")
SAFETY = ("health_safety", "Health and safety or chemicals")
HARASSMENT = ("harassment", "Harassment or abuse")
DORMITORY = ("dormitory", "Dormitory and living conditions")
CONTRACTS = ("contracts", "Contracts, agency work or dismissal")
UNION = ("association", "Joining a union, or punishment for speaking up")


@dataclass
class Planned:
    """One case to store: where, about what, when, and the changes of its status."""

    received: date
    workplace: Workplace
    categories: list[tuple[str, str]]
    changes: list[tuple[int, str]] = field(default_factory=list)
    """(days after received, new status), in order."""
    recorded: bool = True
    """False: changed before desks recorded changes (the status is set, no record exists)."""

    @property
    def status(self) -> str:
        return self.changes[-1][1] if self.changes else "new"


async def seed(world: DeskWorld, planned: Sequence[Planned]) -> list[str]:
    """Store every planned case, sealed as the bot and the desk seal them; their ids."""
    key = world.partner_key.public_key
    ids = []
    for plan in planned:
        place = plan.workplace
        sealed = await store_report(
            world.sessions, key, REPORT_WORDS, status=CaseStatus(plan.status),
            categories=plan.categories, workplace=place.name, site=place.site,
            country=place.country,
        )  # fmt: skip
        ids.append(sealed.id)
        last = plan.received
        async with world.sessions() as session, session.begin():
            (partner,) = await partners.list_partners(session)
            case = await cases.get_case(session, partner.id, sealed.id)
            previous = "new"
            dated: list[tuple[str, date]] = []
            for after, status in plan.changes if plan.recorded else ():
                change = encode_status_change(status, previous)
                entry = sealed_entry(sealed.id, Purpose.NOTE, change, [key])
                await cases.add_entry(session, case, entry)
                previous = status
                last = plan.received + timedelta(days=after)
                dated.append((entry.id, last))
            if plan.changes and not plan.recorded:
                last = plan.received + timedelta(days=plan.changes[-1][0])
            await session.execute(
                update(CaseEntry)
                .where(CaseEntry.case_id == sealed.id)
                .values(created_day=plan.received)
            )
            for entry_id, day in dated:
                await session.execute(
                    update(CaseEntry).where(CaseEntry.id == entry_id).values(created_day=day)
                )
            await session.execute(
                update(Case)
                .where(Case.id == sealed.id)
                .values(created_day=plan.received, updated_day=last)
            )
    return ids


PATH = ("acknowledged", "investigating", "remediation", "resolved", "closed")


def realistic(today: date, months: int = 12, seed_value: int = 9) -> list[Planned]:
    """A year of a monitoring partner's cases: a few hundred, growing month by month as word
    spreads, at six workplaces in two countries and two small ones (fewer than five cases
    each); older cases further along, and the first months' changed before desks recorded."""
    rng = random.Random(seed_value)
    weights = [
        (LAMPHUN, 32), (AYUTTHAYA, 22), (CHONBURI, 13), (RAYONG, 8), (PENANG, 14),
        (KULIM, 8), (SAMUT, 0.8), (BANG_PA_IN, 0.6),
    ]  # fmt: skip
    problems = [
        (WAGES, 30), (HOURS, 22), (FORCED, 12), (SAFETY, 12), (HARASSMENT, 8),
        (DORMITORY, 8), (CONTRACTS, 6), (UNION, 2),
    ]  # fmt: skip
    first = today.year * 12 + today.month - months  # months counted from year 0, month 0
    planned = []
    for month in range(months):
        year, number = divmod(first + month, 12)
        start = date(year, number + 1, 1)
        for _ in range(14 + 2 * month + rng.randrange(6)):
            day = start + timedelta(days=rng.randrange(28))
            if day > today:
                continue
            place = rng.choices([w for w, _ in weights], [w for _, w in weights])[0]
            chosen = {rng.choices([p for p, _ in problems], [w for _, w in problems])[0]}
            if rng.random() < 0.35:
                chosen.add(rng.choices([p for p, _ in problems], [w for _, w in problems])[0])
            age = (today - day).days
            changes: list[tuple[int, str]] = []
            after = 0
            for status in PATH:
                after += max(1, int(rng.expovariate(1 / (5 if status == "acknowledged" else 16))))
                if after > age or (status == "remediation" and rng.random() < 0.5):
                    continue
                if status == "closed" and rng.random() < 0.6:
                    break
                changes.append((after, status))
            recorded = month >= 2 or rng.random() < 0.3  # the first months: before desks recorded
            planned.append(Planned(day, place, sorted(chosen), changes, recorded))
    return planned
