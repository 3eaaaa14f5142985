"""The console's queue in memory: filters, the orders, paging, and search over every word."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from desk.assignment import Team
from desk.cases import Attachment, CaseView, Message
from desk.client import Caseworker
from desk.console.queue import PAGE_SIZE, WARM_SLICE, Filters, build, filters_from, page_of
from desk.languages import language
from desk.worker_report import Report


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


ME = Caseworker(4, "office laptop 1", "lead")
COLLEAGUE = Caseworker(7, "field laptop", "triage")
TEAM = Team(ME, (ME, COLLEAGUE))


def test_the_assigned_to_filter_finds_my_cases_nobodys_and_a_colleagues():
    queue = build(
        [
            replace(case("AAAAAAAAAAAA", "a"), assignee=ME.id),
            replace(case("BBBBBBBBBBBB", "b"), assignee=COLLEAGUE.id),
            case("CCCCCCCCCCCC", "c"),
            replace(case("DDDDDDDDDDDD", "d"), assignee=ME.id, status="closed"),
        ],
        team=TEAM,
    )
    assert ids(queue.select(Filters(assigned="me"))) == ["AAAAAAAAAAAA", "DDDDDDDDDDDD"]
    assert ids(queue.select(Filters(assigned="nobody"))) == ["CCCCCCCCCCCC"]
    assert ids(queue.select(Filters(assigned=str(COLLEAGUE.id)))) == ["BBBBBBBBBBBB"]
    assert ids(queue.select(Filters(assigned="me", status="closed"))) == ["DDDDDDDDDDDD"]
    assert len(queue.select(Filters())) == 4
    assert queue.counts()["mine"] == 2

    queue.set_assignee("CCCCCCCCCCCC", ME.id)  # assigned from the case page
    assert ids(queue.select(Filters(assigned="nobody"))) == []
    # A console whose server does not name its credential finds nothing "mine", not everything.
    anonymous = build([replace(case("AAAAAAAAAAAA", "a"), assignee=ME.id)])
    assert anonymous.select(Filters(assigned="me")) == []


def test_unread_follow_ups_mark_their_row_come_with_the_new_cases_and_have_a_filter():
    queue = build(
        [
            case("QUIETAAAAAAA", "x", status="acknowledged", changed="2026-03-09"),
            replace(case("FOLLOWEDUPAA", "x", status="remediation"), unseen_follow_ups=2),
            case("OLDNEWAAAAAA", "x", day="2026-01-01"),
        ]
    )
    assert ids(queue.select(Filters())) == ["OLDNEWAAAAAA", "FOLLOWEDUPAA", "QUIETAAAAAAA"]
    assert ids(queue.select(Filters(unread=True))) == ["FOLLOWEDUPAA"]
    assert queue.find("FOLLOWEDUPAA").unread == 2 and queue.counts()["unread"] == 1


def test_a_filter_form_keeps_only_the_assignee_choices_it_knows():
    for given, kept in [
        ("me", "me"),
        ("nobody", "nobody"),
        ("7", "7"),
        ("someone", ""),
        ("1e5", ""),
        ("-3", ""),
        ("٣", ""),
        ("9" * 40, ""),
    ]:
        assert filters_from({"assigned": given}).assigned == kept, given
    assert filters_from({"unread": "yes"}).unread
    assert not filters_from({"unread": "1"}).unread
    assert filters_from({"assigned": "me"}).active and filters_from({"unread": "yes"}).active


def test_a_case_marked_seen_loses_its_unread_marker_but_keeps_what_did_not_open():
    follow_up = Message("F" * 20, 3, "2026-03-02", "follow-up", "worker", "more", None, seen=False)
    photo = Attachment("P" * 20, 2, "2026-03-01", "worker", "evidence", "photo", "image/jpeg",
                       ".jpg", 10, seen=False)  # fmt: skip
    sealed_away = Message("S" * 20, 4, "2026-03-03", "follow-up", "worker", "", None, seen=False)
    base = case("AAAAAAAAAAAA", "a")
    view = replace(
        base,
        report=replace(base.report, attachments={photo.entry_id: ("evidence", "photo")}),
        thread=(photo, follow_up, sealed_away),
        unseen_follow_ups=2,
        opened_unseen=(base.report.entry_id, photo.entry_id, follow_up.entry_id),
        unseen_entries=4,
    )
    seen = view.marked_seen(view.opened_unseen, unseen_entries=1)
    assert seen.unseen_follow_ups == 1  # the one that did not open is still unread
    assert [item.seen for item in seen.thread] == [True, True, False]
    assert seen.opened_unseen == () and seen.unseen_entries == 1
    queue = build([view])
    queue.update(seen)
    assert queue.find("AAAAAAAAAAAA").unread == 1 and queue.unseen_cases() == 1


async def test_a_search_while_the_search_text_is_still_being_built_finds_every_case():
    # The first page comes before the rows' search text; a search meanwhile must miss nothing.
    queue = build([case(f"{i:012d}", f"agency number{i}x") for i in range(WARM_SLICE + 5)])
    queue.warming = asyncio.ensure_future(queue.warm())
    await asyncio.sleep(0)
    assert len(queue.select(Filters(query="agency"))) == WARM_SLICE + 5
    await queue.warming
    assert ids(queue.select(Filters(query="number7x"))) == ["000000000007"]
