"""The console's queue in memory: filters, the orders, paging, and search over every word."""

from __future__ import annotations

from dataclasses import replace

from desk.cases import CaseView, Message, Report
from desk.console.queue import PAGE_SIZE, Filters, build, filters_from, page_of
from desk.languages import language


def case(
    case_id: str,
    words: str,
    *,
    status: str = "new",
    day: str = "2026-03-01",
    changed: str | None = None,
    danger: bool = False,
    categories: tuple[tuple[str, str], ...] = (("wages", "Wages and deductions"),),
    workplace: str = "Lamphun Plant 2",
    country: str = "Thailand",
    lang: str = "th",
    later: tuple[str, ...] = (),
    opened: bool = True,
) -> CaseView:
    readable = {
        "country": {"question": "Country", "answer": country},
        "site": {"question": "Workplace", "answer": workplace},
        "categories": {"question": "Problem", "answer": ", ".join(t for _, t in categories)},
        "what_happened": {"question": "What happened", "answer": words},
    }
    report = Report(
        entry_id="E" * 20,
        day=day,
        language=language(lang),
        readable=readable,
        raw_answers={},
        danger=danger,
        categories=tuple(option for option, _ in categories),
        categories_text=", ".join(t for _, t in categories),
        workplace=workplace,
        what_happened=words,
        questionnaire="default v1",
        attachments={},
    )
    thread = tuple(
        Message(f"M{i:019d}", i + 2, day, "note", "caseworker", text, None)
        for i, text in enumerate(later)
    )
    return CaseView(
        case_id,
        status,
        day,
        changed or day,
        report if opened else None,
        None if opened else "sealed to key 0123, which you did not open",
        thread,
    )


def ids(rows) -> list[str]:
    return [row.id for row in rows]


def test_search_finds_every_word_of_the_report_and_of_later_messages_in_any_case():
    queue = build(
        [
            case("AAAAAAAAAAAA", "The agency keeps our PASSPORTS"),
            case("BBBBBBBBBBBB", "ค่าจ้างถูกหัก 2000 บาท", later=("Called the agency on Monday",)),
            case("CCCCCCCCCCCC", "Forced overtime every Sunday", workplace="Penang Fab 1"),
        ]
    )
    assert ids(queue.select(Filters(query="passports"))) == ["AAAAAAAAAAAA"]
    assert ids(queue.select(Filters(query="agency monday"))) == ["BBBBBBBBBBBB"]
    assert ids(queue.select(Filters(query="ถูกหัก"))) == ["BBBBBBBBBBBB"]
    assert ids(queue.select(Filters(query="penang"))) == ["CCCCCCCCCCCC"]
    assert ids(queue.select(Filters(query="cccccccccccc"))) == ["CCCCCCCCCCCC"]  # the id too
    assert queue.select(Filters(query="agency nowhere")) == []


def test_filters_narrow_by_status_danger_problem_workplace_country_and_language():
    queue = build(
        [
            case("AAAAAAAAAAAA", "a", danger=True),
            case("BBBBBBBBBBBB", "b", danger=True, status="closed"),
            case("CCCCCCCCCCCC", "c", categories=(("hours", "Working hours"),), lang="my"),
            case("DDDDDDDDDDDD", "d", workplace="Penang Fab 1", country="Malaysia"),
        ]
    )
    assert ids(queue.select(Filters(danger="urgent"))) == ["AAAAAAAAAAAA"]
    assert sorted(ids(queue.select(Filters(danger="danger")))) == ["AAAAAAAAAAAA", "BBBBBBBBBBBB"]
    assert ids(queue.select(Filters(status="closed"))) == ["BBBBBBBBBBBB"]
    assert ids(queue.select(Filters(category="hours"))) == ["CCCCCCCCCCCC"]
    assert ids(queue.select(Filters(language="my"))) == ["CCCCCCCCCCCC"]
    assert ids(queue.select(Filters(workplace="Penang Fab 1"))) == ["DDDDDDDDDDDD"]
    assert ids(queue.select(Filters(country="Malaysia"))) == ["DDDDDDDDDDDD"]
    assert queue.choices.categories == (
        ("wages", "Wages and deductions"),
        ("hours", "Working hours"),
    )
    assert queue.choices.countries == ("Malaysia", "Thailand")


def test_urgent_and_new_come_first_and_the_other_orders_go_by_day():
    queue = build(
        [
            case("OLDNEWAAAAAA", "x", day="2026-01-01"),
            case("SETTLEDAAAAA", "x", day="2026-03-05", status="resolved", danger=True),
            case("URGENTAAAAAA", "x", day="2026-02-01", status="investigating", danger=True),
            case("RECENTNEWAAA", "x", day="2026-03-01", changed="2026-03-09"),
        ]
    )
    assert ids(queue.select(Filters())) == [
        "URGENTAAAAAA",
        "RECENTNEWAAA",
        "OLDNEWAAAAAA",
        "SETTLEDAAAAA",
    ]
    assert ids(queue.select(Filters(sort="received-oldest")))[0] == "OLDNEWAAAAAA"
    assert ids(queue.select(Filters(sort="received-newest")))[0] == "SETTLEDAAAAA"
    assert ids(queue.select(Filters(sort="changed-newest")))[0] == "RECENTNEWAAA"


def test_a_case_that_did_not_open_is_listed_and_counted_never_hidden():
    queue = build([case("AAAAAAAAAAAA", "a"), case("BBBBBBBBBBBB", "b", opened=False)])
    assert ids(queue.select(Filters())) == ["AAAAAAAAAAAA", "BBBBBBBBBBBB"]
    assert queue.counts()["unopened"] == 1
    assert not queue.find("BBBBBBBBBBBB").opened


def test_a_case_opened_again_updates_its_row_and_the_search():
    view = case("AAAAAAAAAAAA", "a")
    queue = build([view])
    queue.update(
        replace(view, status="acknowledged", thread=case("A", "", later=("zebra",)).thread)
    )
    (row,) = queue.rows
    assert row.status == "acknowledged"
    assert ids(queue.select(Filters(query="zebra"))) == ["AAAAAAAAAAAA"]


def test_pages_hold_fifty_rows_and_a_page_past_the_end_shows_the_last():
    queue = build([case(f"{i:012d}", "x") for i in range(PAGE_SIZE * 2 + 3)])
    rows = queue.select(Filters())
    shown, page, pages = page_of(rows, 1)
    assert (len(shown), page, pages) == (PAGE_SIZE, 1, 3)
    shown, page, pages = page_of(rows, 99)
    assert (len(shown), page) == (3, 3)
    assert page_of([], 5)[1:] == (1, 1)


def test_a_filter_form_with_unknown_choices_shows_the_whole_queue():
    chosen = filters_from(
        {"status": "deleted", "danger": "maybe", "sort": "random", "query": " a  b "}
    )
    assert chosen == Filters(query="a b")
    assert chosen.active
    assert not Filters(sort="received-oldest").active
