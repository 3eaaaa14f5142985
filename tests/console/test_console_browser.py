"""The console in real headless Chromium, as a caseworker uses it.

A worker reports through the real bot (PTB against the stand-in Bot API); the caseworker
unlocks the console, finds the case by filter and by search, sees the photo and plays the voice
note, replies and moves the status; the worker reads the reply with /status. Markup in a
report runs nothing; the idle lock leaves no case content on any page.
"""

from __future__ import annotations

import re

from console_world import REPORT_WORDS, console_for, file_report, issue_token, read_status
from deployment import deployment, phone_photo
from desk_world import PASSPHRASE, add_follow_up, desk_world, store_report, write_key_file

from crypto.payloads import AttachmentHeader

REPLY = "SENTINEL-CONSOLE-REPLY We have written to the agency; your passports must be returned."


async def unlock(page, url: str, passphrase: str = PASSPHRASE) -> None:
    """Open the start link, give the passphrase, wait for the queue."""
    await page.goto(url)
    await page.fill("#passphrase", passphrase)
    await page.click("form[action='/unlock'] button")
    await page.wait_for_selector("table.queue, .matching")


async def test_a_report_filed_through_the_bot_is_found_answered_and_the_worker_reads_the_reply(
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
            await unlock(page, console.start_url)
            assert page.url == console.base + "/"  # the start token is gone from the address
            row = page.locator("table.queue tbody tr")
            assert await row.count() == 1
            text = await row.inner_text()
            assert REPORT_WORDS[:40] in text and "Lamphun Plant 2" in text
            assert "Wages and deductions" in text and "English" in text
            assert "Received" in text  # what the worker reads for "new"

            # A filter and a search find it; a search for other words does not.
            await page.select_option("#category", label="Wages and deductions")
            await page.fill("#query", "PASSPORTS agency")
            await page.click("form.filters button.primary")
            assert await page.locator("table.queue tbody tr").count() == 1
            await page.fill("#query", "overtime")
            await page.click("form.filters button.primary")
            assert await page.locator("table.queue tbody tr").count() == 0
            assert "No case matches" in await page.inner_text(".matching")
            assert "overtime" not in page.url  # search words stay out of the browser's history
            await page.click("button[name='clear']")
            await page.click("table.queue tbody tr .case-id a")

            # The case page: the worker's words, the photo inline, the voice note playable.
            await page.wait_for_selector(".thread")
            assert REPORT_WORDS in await page.inner_text(".entry-report")
            assert "In the worker's own words, in English" in await page.inner_text(".entry-report")
            photo = page.locator(".photo img")
            await photo.wait_for()
            await page.wait_for_function("document.querySelector('.photo img').complete")
            assert await photo.evaluate("img => img.naturalWidth") == 64
            audio = page.locator(".voice audio")
            await page.wait_for_function(
                "document.querySelector('.voice audio').readyState >= 1"
                " || document.querySelector('.voice audio').error !== null"
            )
            assert await audio.evaluate("a => a.error") is None
            assert await audio.evaluate("a => a.duration") > 0.5

            # Reply: the preview shows what the worker will read, the count the limit.
            await page.fill("#reply-text", REPLY)
            assert REPLY in await page.inner_text(".preview-body")
            assert "Answer from the organisation:" in await page.inner_text(".preview-body")
            assert f"{len(REPLY)} of 3,500 characters" in await page.inner_text("#reply-count")
            await page.click("form[action$='/reply'] button")
            await page.wait_for_selector(".notice")
            assert "Reply sent" in await page.inner_text(".notice")
            assert REPLY in await page.inner_text(".entry-reply")

            await page.select_option("#new-status", "investigating")
            await page.click("form[action$='/status'] button")
            await page.wait_for_selector(".notice")
            assert "Being looked into" in await page.inner_text(".notice")
            assert "Investigating" in await page.inner_text(".case-status")
            assert watched.faults == []

            await read_status(worker, digits, REPLY)
            assert any("Being looked into" in (m.text or "") for m in worker.bot_messages())

            # The console's own log names routes, never content, ids or tokens.
            log = console.log.getvalue()
            assert "GET /cases/{case_id} 200" in log
            for secret in (REPORT_WORDS[:20], REPLY[:20], token, PASSPHRASE):
                assert secret not in log
            assert not re.search(r"[0-9A-HJKMNP-TV-Z]{12}", log)
        await running.api.wait_idle()


XSS = [
    "<script>alert('report')</script>",
    "<img src=x onerror=alert('img')>",
    '"><svg onload=alert(1)>',
    "' onmouseover='alert(2)",
    "</textarea><script>alert(3)</script>",
    "{{ 7*7 }} ${alert(4)}",
]


async def test_markup_in_every_free_text_field_renders_as_text_and_runs_nothing(tmp_path, browser):
    hostile = " ".join(XSS)
    async with desk_world(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path) as world:
        key = world.partner_key.public_key
        photo = AttachmentHeader("photo", "image/jpeg", ".jpg", XSS[1])
        sealed = await store_report(
            world.sessions,
            key,
            hostile,
            danger=True,
            workplace=XSS[1],
            categories=[(XSS[2], XSS[0]), ("wages", XSS[3])],
            language=XSS[4],
            files=[(photo, phone_photo())],
        )
        await add_follow_up(world.sessions, key, sealed.id, hostile, XSS[2])
        async with console_for(tmp_path, world.url, world.token, world.key_file) as console:
            watched = await browser.page()
            page = watched.page
            await unlock(page, console.start_url)
            queue_text = await page.inner_text("table.queue")
            assert XSS[0] in queue_text and XSS[1] in queue_text
            await page.select_option("#category", value=XSS[2])
            await page.click("form.filters button.primary")
            assert await page.locator("table.queue tbody tr").count() == 1
            await page.click("table.queue tbody tr .case-id a")
            await page.wait_for_selector(".thread")
            await page.fill("#reply-text", XSS[4])
            assert XSS[4] in await page.inner_text(".preview-body")
            case_text = await page.inner_text("main")
            for payload in XSS:
                assert payload in case_text
            injected = await page.evaluate(
                'document.querySelectorAll(\'script:not([src]), svg, img[src="x"], [onerror],'
                " [onload], [onmouseover]').length"
            )
            assert injected == 0
            await page.hover(".entry-report")
            assert watched.faults == []


async def test_after_the_idle_lock_no_page_shows_case_content_until_the_passphrase_is_given(
    tmp_path, browser
):
    words = "SENTINEL-IDLE the guard hit a worker at the gate"
    async with desk_world(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path) as world:
        key = world.partner_key.public_key
        photo = AttachmentHeader("photo", "image/jpeg", ".jpg", "evidence")
        sealed = await store_report(world.sessions, key, words, files=[(photo, phone_photo())])
        async with console_for(tmp_path, world.url, world.token, world.key_file) as console:
            watched = await browser.page()
            page = watched.page
            await unlock(page, console.start_url)
            await page.goto(f"{console.base}/cases/{sealed.id}")
            assert words in await page.inner_text("main")
            file_url = await page.get_attribute(".photo img", "src")

            console.clock.advance(15 * 60 + 1)
            # The open page finds out by itself and leaves.
            await page.wait_for_url(re.compile(r"/unlock$"), timeout=15_000)
            assert words not in await page.content()
            for path in ("/", f"/cases/{sealed.id}", "/keys"):
                await page.goto(console.base + path)
                assert "/unlock" in page.url
                assert words not in await page.content()
            fetched = await page.request.get(console.base + file_url)
            assert fetched.status == 403 and b"JFIF" not in await fetched.body()

            await page.goto(f"{console.base}/unlock?next=/cases/{sealed.id}")
            await page.fill("#passphrase", "not the passphrase at all")
            await page.click("form[action='/unlock'] button")
            assert "does not open" in await page.inner_text(".error")
            assert words not in await page.content()
            await page.fill("#passphrase", PASSPHRASE)
            await page.click("form[action='/unlock'] button")
            await page.wait_for_selector(".thread")
            assert page.url.endswith(f"/cases/{sealed.id}")
            assert words in await page.inner_text("main")

            await page.click("text=Lock now")
            await page.wait_for_url(re.compile(r"/unlock$"))
            assert "Locked" in await page.inner_text(".notice")
            await page.go_back()
            assert words not in await page.content()
            assert watched.faults == []
