"""The buyers' reports in real headless Chromium: small counts hidden, and what is hidden cannot
be worked out from the numbers the page shows; the charts draw under the console's CSP; the CSV
holds no words, ids or days.

The page is read as a buyer would read it: the numbers and the hidden marks of its tables, and
the sums that hold between them, are solved with exact fractions (tests/report_checks.py).
"""

from __future__ import annotations

import copy
import csv
import hashlib
import io
import re
from datetime import date
from pathlib import Path

from console_world import console_for
from desk_world import PASSPHRASE, desk_world
from report_checks import Equations
from report_world import (
    AYUTTHAYA,
    CHONBURI,
    DORMITORY,
    HOURS,
    LAMPHUN,
    MALAYSIA,
    PENANG,
    REPORT_WORDS,
    SAMUT,
    WAGES,
    Planned,
    Workplace,
    seed,
)

from desk.console.app import STATIC

CHART_JS = Path(__file__).parents[2] / "desk" / "console" / "static" / "vendor" / "chart.umd.min.js"
CHART_JS_SHA256 = "87364cc2b2a76a6684929e7d6b80b18a897794db38400caff1fcf1791c6925d2"
"""Chart.js 4.6.1, dist/chart.umd.min.js of `npm pack chart.js@4.6.1` (see vendor/README.md)."""
FORMULA = '=HYPERLINK("http://evil.example","open")'
MARKUP = "<img src=x onerror=alert('workplace')>"
WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__csp.push(event.violatedDirective + " " + event.blockedURI);
});
"""
CHARTS_DRAWN = "[...document.querySelectorAll('canvas')].every(c => window.Chart.getChart(c))"
TABLES = """
() => Array.from(document.querySelectorAll("table.report-table")).map((table) => ({
  name: table.dataset.table,
  columns: Array.from(table.querySelectorAll("thead th")).slice(1).map((th) => th.innerText.trim()),
  rows: Array.from(table.querySelectorAll("tbody tr, tfoot tr")).map((tr) => ({
    kind: tr.dataset.kind,
    depth: Number(tr.dataset.depth),
    label: tr.querySelector("th").innerText.trim(),
    cells: Array.from(tr.querySelectorAll("td")).map((td) => td.innerText.trim()),
  })),
}))
"""


def plan() -> list[Planned]:
    """Four months at five workplaces: two large, one spread thin, one with two cases (it gets no
    row of its own), and Malaysia with one; two names a forger chose; older undated cases."""
    planned = []
    for month in range(1, 5):
        day = date(2025, month, 10)
        for index in range(7 + month):
            changes = [(2 + index % 4, "acknowledged"), (20 + index, "resolved")][: index % 3]
            planned.append(Planned(day, LAMPHUN, [WAGES, HOURS][: 1 + index % 2], changes))
        for index in range(4 + month % 3):
            planned.append(Planned(day, AYUTTHAYA, [HOURS], [(1, "acknowledged")] * (index % 2)))
        planned += [Planned(day, CHONBURI, [DORMITORY], [(3, "investigating")], recorded=False)] * (
            1 + month % 2
        )
        planned.append(Planned(day, PENANG, [WAGES]))
    planned += [Planned(date(2025, 2, 3), SAMUT, [WAGES])] * 2
    planned += [Planned(date(2025, 3, 3), Workplace(MALAYSIA, "forged", FORMULA), [WAGES])] * 5
    planned += [Planned(date(2025, 4, 3), Workplace(MALAYSIA, "markup", MARKUP), [WAGES])] * 5
    return planned


def number(text: str) -> int | None:
    return None if text == "hidden" else int(text.replace(",", ""))


def page_equations(tables: list[dict]) -> Equations:
    """The numbers of the page's tables and every sum a reader knows between them."""
    eq = Equations()
    by_name = {table["name"]: table for table in tables}
    places, statuses, watched = by_name["workplace"], by_name["status"], by_name["monitoring"]
    periods = places["columns"][:-1]
    assert statuses["columns"][:-1] == periods
    country, families, top = "", {}, []
    for row in places["rows"]:
        if row["kind"] == "total":
            path = "all"
        elif row["depth"] == 0:
            country = path = row["label"]
            top.append(path)
            families[path] = []
        else:
            path = (country, row["label"])
            families[country].append(path)
        row["path"] = path
        for column, text in zip([*periods, "All"], row["cells"], strict=True):
            eq.value(("place", path, column), number(text))
        eq.total(("place", path, "All"), [("place", path, c) for c in periods])
    for parent, children in families.items():
        for column in [*periods, "All"]:
            if children:
                eq.total(("place", parent, column), [("place", c, column) for c in children])
    for column in [*periods, "All"]:
        eq.total(("place", "all", column), [("place", p, column) for p in top])
    names = [row["label"] for row in statuses["rows"] if row["kind"] == "status"]
    for row in statuses["rows"]:
        name = ("place", "all") if row["kind"] == "total" else ("status", row["label"])
        for column, text in zip([*periods, "All"], row["cells"], strict=True):
            eq.value((*name, column), number(text))
        eq.total((*name, "All"), [(*name, c) for c in periods])
    for column in [*periods, "All"]:
        eq.total(("place", "all", column), [("status", s, column) for s in names])
    assert watched["columns"][1 : 1 + len(names)] == names
    for row, place in zip(watched["rows"], places["rows"], strict=True):
        assert row["label"] == place["label"]
        path = place["path"]
        eq.value(("place", path, "All"), number(row["cells"][0]))

        def status(name, path=path):
            return ("status", name, "All") if path == "all" else ("watched", path, name)

        for name, text in zip(names, row["cells"][1 : 1 + len(names)], strict=True):
            eq.value(status(name), number(text))
        eq.total(("place", path, "All"), [status(s) for s in names])
    for parent, children in families.items():
        for name in names:
            if children:
                eq.total(("watched", parent, name), [("watched", c, name) for c in children])
    for name in names:
        eq.total(("status", name, "All"), [("watched", p, name) for p in top])
    return eq


async def open_reports(page, console) -> None:
    await page.goto(console.start_url)
    await page.fill("#passphrase", PASSPHRASE)
    await page.click("form[action='/unlock'] button")
    await page.wait_for_selector("table.queue")
    await page.click("nav.top-nav >> text=Reports")
    await page.wait_for_selector("form.report-form")
    await page.select_option("#grouping", "workplace")
    await page.select_option("#unit", "month")
    await page.fill("#start", "2025-01")
    await page.fill("#end", "2025-04")
    await page.fill("#k", "5")
    await page.click("form.report-form button.primary")
    await page.wait_for_selector("table.report-table")
    await page.wait_for_function(CHARTS_DRAWN)


async def test_the_buyers_report_hides_small_counts_and_its_totals_give_none_of_them_away(
    database_url, tmp_path, browser
):
    async with desk_world(database_url, tmp_path) as world:
        ids = await seed(world, plan())
        async with console_for(tmp_path, world.url, world.token, world.key_file) as console:
            watched = await browser.page()
            page = watched.page
            await page.add_init_script(WATCH_CSP)
            await open_reports(page, console)
            assert page.url == console.base + "/reports"  # the choices stay out of the address

            tables = await page.evaluate(TABLES)
            as_shown = copy.deepcopy(tables)
            eq = page_equations(tables)
            shown = [value for value in eq.values.values() if value is not None]
            assert min(shown) >= 5  # every number shown is at least k
            assert len(eq.hidden()) > 20  # and there is plenty to hide in four thin months
            assert eq.recovered() == set(), "a hidden number follows from the page's numbers"

            places = next(table for table in tables if table["name"] == "workplace")
            labels = [(row["kind"], row["label"]) for row in places["rows"]]
            assert ("workplace", "Lamphun Plant 2") in labels
            assert ("workplace-pool", "Other or not named workplaces") in labels
            assert ("workplace", FORMULA) in labels and ("workplace", MARKUP) in labels
            assert labels[-1] == ("total", "All cases")
            total = next(row for row in places["rows"] if row["kind"] == "total")
            assert number(total["cells"][-1]) == len(ids)
            text = await page.inner_text("main")
            assert "Samut Prakan Boards" not in text  # two cases: no row of its own
            content = await page.content()
            assert REPORT_WORDS[:20] not in content
            assert not any(case_id in content for case_id in ids)
            assert not re.search(r"\b2025-0\d-\d\d\b", text)  # months, never days
            assert "hidden" in text and "fewer than 5 cases" in text
            assert await page.evaluate("document.querySelectorAll('img[src=\"x\"]').length") == 0

            # Charts from the console's own Chart.js, fed by the page's JSON block: no CSP refusal.
            assert await page.evaluate("window.Chart.version") == "4.6.1"
            data = await page.evaluate(
                "JSON.parse(document.getElementById('report-charts').textContent)"
            )
            assert data["received"]["values"] == [number(c) for c in total["cells"][:-1]]
            assert await page.evaluate("window.__csp") == []
            assert watched.faults == []

            # The printable page: the same report, the console's controls left off the paper.
            await page.goto(console.base + "/reports/print")
            await page.wait_for_function(CHARTS_DRAWN)
            assert await page.evaluate(TABLES) == as_shown
            await page.emulate_media(media="print")
            assert not await page.is_visible("header.top")
            assert not await page.is_visible(".print-bar")
            assert await page.is_visible("#chart-status")
            assert await page.evaluate("window.__csp") == []
            assert watched.faults == []

            # The CSV: the same numbers, one a line; no words, no ids, no days; formulas defused.
            answer = await page.request.get(console.base + "/reports/export.csv")
            assert answer.status == 200 and "attachment" in answer.headers["content-disposition"]
            raw = (await answer.body()).decode("utf-8-sig")
            lines = list(csv.reader(io.StringIO(raw)))
            assert lines[0] == ["Table", "Group", "Row", "Column", "Value"]
            assert REPORT_WORDS[:20] not in raw and not any(case_id in raw for case_id in ids)
            assert not re.search(r"\d{4}-\d\d-\d\d", raw)
            assert not any(cell.startswith(("=", "+", "-", "@")) for line in lines for cell in line)
            assert any(line[2] == "'" + FORMULA for line in lines)
            counts = [
                int(line[4])
                for line in lines[1:]
                if line[0] != "About this report" and line[4].isdigit() and "Median" not in line[3]
            ]
            assert counts and min(counts) >= 5
            cells = {
                (line[1], line[2], line[3]): line[4]
                for line in lines
                if line[0] == "Cases received, by workplace"
            }
            keys = [f"2025-{month:02d}" for month in range(1, 5)] + ["All"]
            for row in places["rows"]:
                group = row["path"][0] if isinstance(row["path"], tuple) else ""
                for key, text in zip(keys, row["cells"], strict=True):
                    label = "'" + row["label"] if row["label"] == FORMULA else row["label"]
                    assert cells[(group, label, key)] == text.replace(",", "")


async def test_a_status_change_in_the_console_shows_in_the_thread_and_in_the_medians(
    tmp_path, browser
):
    async with desk_world(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path) as world:
        today = date.today()
        ids = await seed(world, [Planned(today, LAMPHUN, [WAGES]) for _ in range(5)])
        async with console_for(tmp_path, world.url, world.token, world.key_file) as console:
            watched = await browser.page()
            page = watched.page
            await page.goto(console.start_url)
            await page.fill("#passphrase", PASSPHRASE)
            await page.click("form[action='/unlock'] button")
            await page.wait_for_selector("table.queue")
            await page.goto(f"{console.base}/reports")
            assert await page.inner_text(".key-figures div:nth-child(2) dd") == "—"
            # A range that cannot be: one sentence on the form, what was typed kept.
            await page.fill("#start", "2026-05")
            await page.fill("#end", "2026-04")
            await page.click("form.report-form button.primary")
            assert "not after the last" in await page.inner_text(".report-choice .error")
            assert await page.input_value("#start") == "2026-05"
            for case_id in ids:
                await page.goto(f"{console.base}/cases/{case_id}")
                await page.select_option("#new-status", "acknowledged")
                await page.click("form[action$='/status'] button")
                await page.wait_for_selector(".entry-status")
                entry = await page.inner_text(".entry-status")
                assert "Status changed" in entry
                assert "Status set to “Seen by the organisation”" in entry
                assert "cannot be opened" not in await page.inner_text(".thread")
            await page.goto(f"{console.base}/reports")
            # Five cases acknowledged today: a median of zero days, over k = 5 cases.
            assert await page.inner_text(".key-figures div:nth-child(2) dd") == "0"
            assert watched.faults == []


def test_the_charts_come_from_the_vendored_chart_js_with_its_licence():
    assert hashlib.sha256(CHART_JS.read_bytes()).hexdigest() == CHART_JS_SHA256
    licence = (CHART_JS.parent / "chart.js.LICENSE.md").read_text()
    assert "The MIT License" in licence and "Chart.js Contributors" in licence
    assert "vendor/chart.umd.min.js" in STATIC
