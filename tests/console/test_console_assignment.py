"""Who looks after a case, and what is new from the worker, in the console (headless Chromium).

A caseworker takes a case ("Assign" to me) and finds it again with "Assigned to: Me"; hands
another to a colleague; a form forged with another partner's credential changes nothing. A
worker adds information through the real bot (/status, "Add information"): the queue says
something arrived, the row carries the unread marker and the "Unread follow-up" filter finds
it; opening the case highlights the follow-up and clears the marker, on the server too. An
entry the console cannot open stays unseen. While a long queue downloads, the page shows how
many of how many.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web
from casework import ServedApp
from console_world import (
    REPORT_WORDS,
    add_information,
    api_get,
    console_for,
    file_report,
    issue_token,
    unlock_in,
)
from deployment import deployment
from desk_world import (
    PASSPHRASE,
    Sessions,
    add_follow_up,
    desk_world,
    store_report,
    write_key_file,
)

from bot import admin
from bot.http.server import make_app
from crypto.keys import new_partner_key

TAKEN = "SENTINEL-TAKEN the supervisor keeps our passports"
HANDED_ON = "SENTINEL-HANDED-ON the dormitory doors are locked at night"
FOLLOW_UP = "SENTINEL-FOLLOW-UP now they also keep the passports of the new workers"


async def rows(page) -> dict[str, str]:
    """Case id -> the text of its row in the queue as shown."""
    found = {}
    for row in await page.locator("table.queue tbody tr").all():
        found[(await row.locator(".case-id a").inner_text()).strip()] = await row.inner_text()
    return found


async def show(page, **choices: str) -> None:
    """Set the queue's filters and press "Show"."""
    for field, value in choices.items():
        await page.select_option(f"#{field}", value)
    await page.click("form.filters button.primary")
    await page.wait_for_selector(".matching")


async def test_a_caseworker_takes_a_case_and_finds_it_with_assigned_to_me(tmp_path, browser):
    async with desk_world(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path) as world:
        key = world.partner_key.public_key
        taken = await store_report(world.sessions, key, TAKEN)
        handed_on = await store_report(world.sessions, key, HANDED_ON)
        async with world.sessions() as session, session.begin():
            colleague = await admin.credentials.issue(session, "mekong-workers", "field laptop")
            await admin.partners.add_partner(
                session, world.signer, "pearl-river", "Pearl River", new_partner_key().public_key,
                ["CN"],
            )  # fmt: skip
            stranger = await admin.credentials.issue(session, "pearl-river", "their laptop")
        async with console_for(tmp_path, world.url, world.token, world.key_file) as console:
            watched = await browser.page()
            page = watched.page
            await unlock_in(page, console.start_url, PASSPHRASE)
            before = await rows(page)
            assert "—" in before[taken.id] and "—" in before[handed_on.id]

            await page.click(f"a[href='/cases/{taken.id}'] >> nth=0")
            await page.wait_for_selector("#assignee")
            assert await page.input_value("#assignee") == "nobody"
            await page.select_option("#assignee", "me")
            await page.click("form[action$='/assignee'] button")
            await page.wait_for_selector(".notice")
            assert await page.inner_text(".notice") == "Assigned to You — test laptop."
            assert await page.inner_text(".case-assignee") == "You — test laptop"

            await page.goto(f"{console.base}/cases/{handed_on.id}")
            await page.select_option("#assignee", label="field laptop")
            await page.click("form[action$='/assignee'] button")
            await page.wait_for_selector(".notice")
            assert await page.inner_text(".notice") == "Assigned to field laptop."

            await page.goto(console.base + "/")
            await show(page, assigned="me")
            mine = await rows(page)
            assert list(mine) == [taken.id] and "You" in mine[taken.id]
            assert TAKEN in mine[taken.id]
            assert "1 assigned to you" in await page.inner_text(".counts")
            await show(page, assigned=str(colleague.credential.id))
            assert list(await rows(page)) == [handed_on.id]
            await show(page, assigned="nobody")
            assert await rows(page) == {}
            assert "No case matches" in await page.inner_text(".matching")
            await page.click("button[name='clear']")
            everything = await rows(page)
            assert "field laptop" in everything[handed_on.id]

            # A form forged with another partner's credential: one sentence, nothing changed.
            await page.goto(f"{console.base}/cases/{taken.id}")
            csrf = await page.get_attribute("form[action$='/assignee'] input[name='csrf']", "value")
            forged = await page.request.post(
                f"{console.base}/cases/{taken.id}/assignee",
                form={"csrf": csrf, "assignee": str(stranger.credential.id)},
            )
            assert forged.status == 400
            assert "no caseworker credential" in (await forged.text()).lower()
            assert watched.faults == []
        case = await api_get(world.url, world.token, f"/api/v1/cases/{taken.id}")
        partner = await api_get(world.url, world.token, "/api/v1/partner")
        assert case["assignee"] == partner["me"]["id"]


async def test_a_follow_up_through_the_bot_marks_the_case_until_a_caseworker_opens_it(
    database_url, tmp_path, browser
):
    async with deployment(database_url, str(tmp_path / "data")) as running:
        worker, digits = await file_report(running)
        token = await issue_token(database_url)
        key_file = write_key_file(tmp_path / "partner.key", running.partner_key)
        server = f"http://127.0.0.1:{running.service.http_port}"
        async with console_for(tmp_path, server, token, key_file) as console:
            watched = await browser.page()
            page = watched.page
            await unlock_in(page, console.start_url, PASSPHRASE)
            (case_id,) = await rows(page)
            await page.click(f"a[href='/cases/{case_id}'] >> nth=0")
            await page.wait_for_selector(".thread")
            assert await page.locator(".entry-unseen").count() == 0  # a report, nothing after
            await page.goto(console.base + "/")
            assert "unread" not in (await rows(page))[case_id]
            assert await page.locator(".banner.news").count() == 0  # what it opened is no news

            await add_information(worker, digits, FOLLOW_UP)
            console.clock.advance(31)  # past the time the console trusts its last count
            await page.goto(console.base + "/")
            news = await page.inner_text(".banner.news")
            assert "1 case is new or has new information from the worker" in news
            await page.click(".banner.news button")
            await page.wait_for_selector("table.queue")
            row = (await rows(page))[case_id]
            assert "+1 unread" in row
            assert "1 with unread follow-ups" in await page.inner_text(".counts")
            assert await page.locator(".banner.news").count() == 0
            await show(page, unread="yes")
            assert list(await rows(page)) == [case_id]

            await page.click(f"a[href='/cases/{case_id}'] >> nth=0")
            await page.wait_for_selector(".thread")
            highlighted = page.locator(".entry-unseen")
            assert await highlighted.count() == 1
            assert FOLLOW_UP in await highlighted.inner_text()
            assert "Unread until now" in await highlighted.inner_text()
            assert REPORT_WORDS in await page.inner_text(".entry-report")

            await page.goto(console.base + "/")
            assert await rows(page) == {}  # still filtered on "Unread follow-up": none left
            await page.click("button[name='clear']")
            assert "unread" not in (await rows(page))[case_id]
            await page.goto(f"{console.base}/cases/{case_id}")
            assert await page.locator(".entry-unseen").count() == 0  # seen is seen
            assert watched.faults == []
        counted = await api_get(server, token, "/api/v1/cases/count")
        assert counted["unseen_cases"] == 0
        await running.api.wait_idle()


async def test_an_entry_the_console_cannot_open_stays_unseen_for_a_colleague(tmp_path, browser):
    """A follow-up sealed to a key this console does not hold: opening the case marks what it
    showed, and leaves that one unseen (and the case marked) for whoever holds the key."""
    async with desk_world(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path) as world:
        key = world.partner_key.public_key
        sealed = await store_report(world.sessions, key, TAKEN)
        await add_follow_up(world.sessions, key, sealed.id, FOLLOW_UP, "en")
        await add_follow_up(world.sessions, new_partner_key().public_key, sealed.id, "x", "en")
        async with console_for(tmp_path, world.url, world.token, world.key_file) as console:
            watched = await browser.page()
            page = watched.page
            await unlock_in(page, console.start_url, PASSPHRASE)
            assert "+2 unread" in (await rows(page))[sealed.id]
            await page.goto(f"{console.base}/cases/{sealed.id}")
            assert await page.locator(".entry-unseen").count() == 2
            await page.goto(console.base + "/")
            assert "+1 unread" in (await rows(page))[sealed.id]
            assert watched.faults == []
        case = await api_get(world.url, world.token, f"/api/v1/cases/{sealed.id}")
    seen = [(entry["purpose"], entry["seen"]) for entry in case["entries"]]
    assert seen == [("report", True), ("follow-up", True), ("follow-up", False)]


@contextlib.asynccontextmanager
async def slow_listing(sessions: Sessions, gate: asyncio.Event) -> AsyncIterator[str]:
    """The case API, whose case lists wait for `gate` (a long queue on a slow line)."""

    @web.middleware
    async def hold(request: web.Request, handler) -> web.StreamResponse:
        if request.path == "/api/v1/cases":
            await gate.wait()
        return await handler(request)

    app = make_app(sessions=sessions)
    app.middlewares.append(hold)
    server = ServedApp(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        gate.set()
        await server.close()


async def test_while_the_queue_downloads_the_page_says_how_many_of_how_many(tmp_path, browser):
    async with desk_world(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path) as world:
        for n in range(3):
            await store_report(world.sessions, world.partner_key.public_key, f"case {n}")
        gate = asyncio.Event()
        async with (
            slow_listing(world.sessions, gate) as url,
            console_for(tmp_path, url, world.token, world.key_file) as console,
        ):
            watched = await browser.page()
            page = watched.page
            await page.goto(console.start_url)
            await page.fill("#passphrase", PASSPHRASE)
            await page.click("form[action='/unlock'] button")
            await page.wait_for_selector("progress")
            assert "0 of 3 cases downloaded so far." in await page.inner_text("main")
            gate.set()
            await page.wait_for_selector("table.queue", timeout=15_000)  # it refreshes itself
            assert len(await rows(page)) == 3
            assert watched.faults == []


async def test_an_assignment_without_the_csrf_token_is_refused_and_changes_nothing(tmp_path):
    async with desk_world(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path) as world:
        sealed = await store_report(world.sessions, world.partner_key.public_key, TAKEN)
        async with (
            console_for(tmp_path, world.url, world.token, world.key_file) as console,
            aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http,
        ):
            async with http.get(console.start_url) as started:
                assert started.status == 200
            csrf = console.running.state.guard.csrf
            form = {"passphrase": PASSPHRASE, "csrf": csrf}
            async with http.post(console.base + "/unlock", data=form) as unlocked:
                assert unlocked.status == 200
            target = f"{console.base}/cases/{sealed.id}/assignee"
            for refused_form in ({"assignee": "me"}, {"assignee": "me", "csrf": "x" * len(csrf)}):
                async with http.post(target, data=refused_form) as refused:
                    assert refused.status == 403
            case = await api_get(world.url, world.token, f"/api/v1/cases/{sealed.id}")
            assert case["assignee"] is None
            async with http.post(target, data={"assignee": "me", "csrf": csrf}) as done:
                assert done.status == 200 and "Assigned to You" in await done.text()
            case = await api_get(world.url, world.token, f"/api/v1/cases/{sealed.id}")
            assert case["assignee"] is not None
