"""The buyers' report in the caseworker's language, and its CSV: words, months, hidden marks."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from desk.console.i18n import ConsoleError, translations
from desk.console.report_pages import default_request, parse_choice
from desk.console.report_view import QUESTIONNAIRE_PROBLEMS, Words, csv_text, report_view
from desk.reports import CaseFacts, ReportRequest, build_report
from handlers.questionnaire import load_default

ROOT = Path(__file__).resolve().parents[2]


def facts() -> list[CaseFacts]:
    out = []
    for month in (1, 2, 3):
        for index in range(9 + month):
            status = ("new", "acknowledged", "resolved")[index % 3]
            out.append(
                CaseFacts(
                    received=date(2026, month, 4),
                    status=status,
                    country="TH",
                    country_name="Thailand",
                    workplace=("lamphun-2", "ayutthaya-1")[index % 2],
                    workplace_name=("Lamphun Plant 2", "Ayutthaya Assembly 1")[index % 2],
                    categories=("wages",),
                    category_names=("Wages and deductions",),
                    dated=True,
                    days_to_acknowledge=index if status != "new" else None,
                    days_to_resolve=3 * index if status == "resolved" else None,
                )
            )
    return out


def report(grouping: str = "workplace"):
    return build_report(facts(), ReportRequest(grouping, "month", "2026-01", "2026-03", 5))


def test_the_console_names_the_questionnaires_problems_as_the_bot_does():
    step = next(step for step in load_default().steps if step.id == "categories")
    labels = tuple(option.label for option in step.options)
    assert labels == QUESTIONNAIRE_PROBLEMS
    for language in ("th", "zh_Hans"):
        with (ROOT / "locales" / language / "LC_MESSAGES" / "messages.po").open("rb") as source:
            bot = read_po(source)
        console = translations(language).gettext
        for label in labels:
            assert console(label) == bot[label].string


def test_a_report_in_thai_names_months_countries_problems_and_the_hidden_mark_in_thai():
    words = Words(translations("th").gettext, "th")
    view = report_view(report("category"), words)
    assert view.periods == ("ม.ค. 2026", "ก.พ. 2026", "มี.ค. 2026")
    assert view.main.rows[0].label == "ค่าจ้างและการหักเงิน"
    assert view.main.title == "เรื่องที่ได้รับ แยกตามปัญหา"
    assert any(cell.text == "ซ่อนไว้" for row in view.statuses.rows for cell in row.cells)
    places = report_view(report(), words).main
    assert places.rows[0].label == "ไทย"  # the country's name in Thai, from its code


def test_the_csv_gives_each_number_of_the_page_once_with_the_hidden_mark():
    words = Words(translations("en").gettext, "en")
    made = report()
    view = report_view(made, words)
    text = csv_text(view, words, "Mekong Workers", date(2026, 4, 2))
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0] == ["Table", "Group", "Row", "Column", "Value"]
    assert ["About this report", "", "Made in", "", "2026-04"] in lines
    assert not re.search(r"\d{4}-\d\d-\d\d", text)
    by_workplace = {
        (line[1], line[2], line[3]): line[4]
        for line in lines
        if line[0] == "Cases received, by workplace"
    }
    for row in made.places.rows:
        group = "Thailand" if row.depth else ""
        label = row.label or "Thailand"
        for period, value in zip(made.periods, row.cells, strict=True):
            assert by_workplace[(group, label, period)] == (
                "hidden" if value is None else str(value)
            )
    statuses = [line[4] for line in lines if line[0].startswith("Where the cases stand")]
    assert "hidden" in statuses and min(int(v) for v in statuses if v != "hidden") >= 5


@pytest.mark.parametrize(
    "form, fragment",
    [
        ({"start": "2026-05", "end": "2026-04", "k": "5"}, "not after the last"),
        ({"start": "2020-01", "end": "2026-04", "k": "5"}, "at most 36 periods"),
        ({"start": "May", "end": "2026-04", "k": "5"}, "a year and a month"),
        ({"start": "2026-01", "end": "2026-04", "k": "1"}, "from 2 to 100"),
        ({"start": "2026-01", "end": "2026-04", "k": "five"}, "whole number"),
    ],
)
def test_a_report_that_cannot_be_made_is_one_sentence_naming_what_to_fix(form, fragment):
    with pytest.raises(ConsoleError) as raised:
        parse_choice({"grouping": "workplace", "unit": "month", **form})
    assert fragment in str(raised.value)
    assert raised.value.translated(translations("th").gettext) != str(raised.value)


def test_the_first_report_is_the_last_twelve_months_by_workplace_with_k_five():
    assert default_request(date(2026, 11, 27)) == ReportRequest(
        "workplace", "month", "2025-12", "2026-11", 5
    )
    assert default_request(date(2027, 1, 1)).start == "2026-02"
