"""The reports for buyers: pick what to count, see it, print it, export it as CSV.

The report is made from the queue the console holds (decrypted here, never by the server),
anew for each page: nothing of it is kept once the page is sent, and a locked console has
nothing to make it from. What the caseworker picked (a grouping, months, k) is kept in memory
like the queue's filters, out of the browser's history.
"""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import date
from typing import Any

from aiohttp import web

from desk.client import DeskError
from desk.console import report_view
from desk.console.i18n import N_, ConsoleError, sentence
from desk.console.pages import FIRST_WAIT, gettext_for
from desk.console.queue import Queue
from desk.console.state import ConsoleState, state_of
from desk.console.templates import page
from desk.reports import (
    DEFAULT_K,
    GROUPINGS,
    MAX_PERIODS,
    UNITS,
    PeriodError,
    Report,
    ReportError,
    ReportRequest,
    build_report,
)
from desk.reports.build import MAX_K

BAD_RANGE = N_(
    "Give the first and the last month as a year and a month, the first one not after the last, "
    "at most {max} periods apart."
)
BAD_K = N_("The smallest number shown must be a whole number from 2 to {max}.")


def default_request(today: date) -> ReportRequest:
    """The twelve months up to this one, by workplace, hiding counts below 5."""
    first = today.year * 12 + today.month - 12  # eleven months back, counted from 0
    return ReportRequest(
        grouping="workplace",
        unit="month",
        start=f"{first // 12:04d}-{first % 12 + 1:02d}",
        end=f"{today.year:04d}-{today.month:02d}",
        k=DEFAULT_K,
    )


def chosen(state: ConsoleState) -> ReportRequest:
    """What the caseworker last picked, else the default."""
    return state.report or default_request(date.today())


async def _queue(request: web.Request) -> Queue | web.StreamResponse:
    """The opened queue, or the page to show instead (unlock, or the queue still opening)."""
    state = state_of(request)
    if not state.config.complete:
        raise web.HTTPSeeOther("/setup")
    if state.vault.locked:
        raise web.HTTPSeeOther("/unlock?next=/reports")
    opened = state.vault.require()
    try:
        queue = await state.vault.queue(FIRST_WAIT)
    except DeskError as exc:
        state.notice = sentence(exc, gettext_for(request))
        raise web.HTTPSeeOther("/unlock") from exc
    if queue is None:
        return page(request, "loading.html", {"downloaded": opened.progress.downloaded})
    return queue


async def _report(queue: Queue, wanted: ReportRequest) -> tuple[Report, int]:
    """The report, made in a worker thread; and how many cases did not open (left out)."""
    facts = []
    unopened = 0
    for row in queue.rows:
        if row.facts is None:
            unopened += 1
        elif row.facts.status != row.status:  # changed here since the queue was opened
            facts.append(dataclasses.replace(row.facts, status=row.status))
        else:
            facts.append(row.facts)
    report = await asyncio.to_thread(build_report, facts, wanted)
    return report, unopened


def _words(request: web.Request) -> report_view.Words:
    state = state_of(request)
    return report_view.Words(gettext_for(request), state.language(request))


async def reports_page(request: web.Request) -> web.StreamResponse:
    """GET /reports: the choices, and the report they give."""
    queue = await _queue(request)
    if not isinstance(queue, Queue):
        return queue
    return await _render(request, queue, chosen(state_of(request)), {}, "reports.html")


async def printable(request: web.Request) -> web.StreamResponse:
    """GET /reports/print: the same report on its own, laid out for paper (or a PDF)."""
    queue = await _queue(request)
    if not isinstance(queue, Queue):
        return queue
    return await _render(request, queue, chosen(state_of(request)), {}, "report_print.html")


async def choose(request: web.Request) -> web.StreamResponse:
    """POST /reports: what to count; a mistake is shown on the form, with what was typed."""
    state = state_of(request)
    state.vault.require()
    form = {key: str(value) for key, value in (await request.post()).items()}
    try:
        state.report = parse_choice(form)
    except ConsoleError as exc:
        queue = await _queue(request)
        if not isinstance(queue, Queue):
            return queue
        typed = {
            "error": exc.translated(gettext_for(request)),
            **{name: form.get(name, "") for name in ("grouping", "unit", "start", "end", "k")},
        }
        return await _render(request, queue, chosen(state), typed, "reports.html", status=400)
    raise web.HTTPSeeOther("/reports")


def parse_choice(form: dict[str, str]) -> ReportRequest:
    """A ReportRequest from the form; ConsoleError naming what to fix."""
    grouping = form.get("grouping", "")
    unit = form.get("unit", "")
    try:
        k = int(form.get("k", "").strip())
    except ValueError:
        raise ConsoleError(BAD_K, max=str(MAX_K)) from None
    wanted = ReportRequest(
        grouping if grouping in GROUPINGS else "workplace",
        unit if unit in UNITS else "month",
        form.get("start", "").strip(),
        form.get("end", "").strip(),
        k,
    )
    try:
        return wanted.checked()
    except ReportError as exc:
        raise ConsoleError(BAD_K, max=str(MAX_K)) from exc
    except PeriodError as exc:
        raise ConsoleError(BAD_RANGE, max=str(MAX_PERIODS)) from exc


async def _render(
    request: web.Request,
    queue: Queue,
    wanted: ReportRequest,
    form: dict[str, str],
    template: str,
    status: int = 200,
) -> web.Response:
    words = _words(request)
    report, unopened = await _report(queue, wanted)
    view = report_view.report_view(report, words)
    today = date.today()
    context: dict[str, Any] = {
        "view": view,
        "report": report,
        "wanted": wanted,
        "form": {
            "error": "",
            "grouping": wanted.grouping,
            "unit": wanted.unit,
            "start": wanted.start,
            "end": wanted.end,
            "k": str(wanted.k),
            **form,
        },
        "groupings": [(g, words.gettext(report_view.GROUPING_NAMES[g])) for g in GROUPINGS],
        "units": [(u, words.gettext(report_view.UNIT_NAMES[u])) for u in UNITS],
        "unopened": unopened,
        "made": words.month(today),
        "hidden_meaning": report_view.hidden_meaning(words, report.k),
        "days": words.days,
        "count_text": lambda value: words.cell(value).text,
        "max_k": MAX_K,
    }
    return page(request, template, context, status=status)


async def export_csv(request: web.Request) -> web.StreamResponse:
    """GET /reports/export.csv: the report's numbers, one line each (no words, no ids, no days)."""
    queue = await _queue(request)
    if not isinstance(queue, Queue):
        return queue
    state = state_of(request)
    wanted = chosen(state)
    words = _words(request)
    report, _unopened = await _report(queue, wanted)
    view = report_view.report_view(report, words)
    partner = state.vault.require().partner.name
    text = report_view.csv_text(view, words, partner, date.today())
    name = f"report-{wanted.grouping}-{report.periods[0]}-to-{report.periods[-1]}.csv"
    return web.Response(
        body=text.encode("utf-8-sig"),  # with a byte order mark: spreadsheets then read UTF-8
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
