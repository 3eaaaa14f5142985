"""The console's other paths, in Chromium: the first run's setup, a key rotation's re-wrap,
the console's language, and a refusal by the server said in one sentence."""

from __future__ import annotations

import json
import os
import stat

from console_world import console_for
from desk_world import PASSPHRASE, desk_world, store_report

from bot import admin
from crypto.keys import new_partner_key

WORDS = "SENTINEL-FLOW the canteen food made forty workers sick"


async def unlock(page, url: str) -> None:
    await page.goto(url)
    await page.fill("#passphrase", PASSPHRASE)
    await page.click("form[action='/unlock'] button")
    await page.wait_for_selector(".queue-head")


async def test_the_first_run_asks_for_the_settings_and_never_stores_the_passphrase(
    tmp_path, browser
):
    async with desk_world(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path) as world:
        await store_report(world.sessions, world.partner_key.public_key, WORDS)
        async with console_for(
            tmp_path, world.url, world.token, world.key_file, configured=False
        ) as console:
            watched = await browser.page()
            page = watched.page
            await page.goto(console.start_url)
            assert page.url.endswith("/setup")
            assert "The token is stored there" in await page.inner_text("main")
            await page.fill("#server", world.url)
            await page.fill("#token", "not-a-token")
            await page.fill("#key_file", str(world.key_file))
            await page.click("form[action='/setup'] button")
            assert "This is not a caseworker token" in await page.inner_text(".error")
            assert await page.input_value("#server") == world.url  # what was typed is kept
            assert not console.config_path.exists()

            await page.fill("#token", world.token)
            await page.fill("#key_file", str(tmp_path / "no-such.key"))
            await page.click("form[action='/setup'] button")
            assert "There is no file at" in await page.inner_text(".error")

            await page.fill("#key_file", str(world.key_file))
            await page.click("form[action='/setup'] button")
            await page.wait_for_selector("#passphrase")
            await page.fill("#passphrase", PASSPHRASE)
            await page.click("form[action='/unlock'] button")
            await page.wait_for_selector("table.queue")
            assert WORDS in await page.inner_text("table.queue")

            saved = console.config_path.read_text()
            assert json.loads(saved)["token"] == world.token
            assert PASSPHRASE not in saved
            if os.name == "posix":
                assert stat.S_IMODE(console.config_path.stat().st_mode) == 0o600
            assert watched.faults == []


async def test_after_a_rotation_the_console_offers_the_rewrap_and_then_opens_every_case(
    tmp_path, browser
):
    async with desk_world(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path) as world:
        old_words = "SENTINEL-OLD-KEY sealed before the rotation"
        await store_report(world.sessions, world.partner_key.public_key, old_words)
        new_key = new_partner_key()
        async with world.sessions() as session, session.begin():
            await admin.partners.rotate_key(
                session, world.signer, "mekong-workers", new_key.public_key
            )
        await store_report(world.sessions, new_key.public_key, WORDS)
        new_file = world.key_file_for(new_key, "new-partner.key")
        async with console_for(tmp_path, world.url, world.token, new_file) as console:
            watched = await browser.page()
            page = watched.page
            await unlock(page, console.start_url)
            banners = await page.inner_text("main")
            assert "1 entry is still sealed to a retired key" in banners
            assert "1 case did not open with your key" in banners
            assert old_words not in banners

            await page.click("text=Move them to the active key")
            await page.wait_for_selector("#old-key-file")
            await page.fill("#old-key-file", str(world.key_file))
            await page.fill("#old-passphrase", "a wrong passphrase here")
            await page.click("form[action='/keys/rewrap'] button")
            assert "does not open" in await page.inner_text(".error")

            await page.fill("#old-passphrase", PASSPHRASE)
            await page.click("form[action='/keys/rewrap'] button")
            assert "1 entry moved to the active key" in await page.inner_text(".banner.ok")

            await page.goto(console.base + "/")
            await page.wait_for_selector("table.queue")
            text = await page.inner_text("main")
            assert old_words in text and WORDS in text
            assert "retired key" not in text and "did not open" not in text
            assert watched.faults == []


async def test_the_console_speaks_the_language_the_caseworker_picks_and_remembers_it(
    tmp_path, browser
):
    async with desk_world(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path) as world:
        await store_report(world.sessions, world.partner_key.public_key, WORDS)
        async with console_for(tmp_path, world.url, world.token, world.key_file) as console:
            watched = await browser.page()
            page = watched.page
            await unlock(page, console.start_url)
            assert "Search the cases" in await page.inner_text("main")
            await page.select_option("#language-choice", "th")
            await page.wait_for_selector("html[lang='th']")
            assert "ค้นหา" in await page.inner_text("main")
            assert WORDS in await page.inner_text("table.queue")  # the worker's words as written
            await page.select_option("#language-choice", "zh_Hans")
            await page.wait_for_selector("html[lang='zh-Hans']")
            assert "搜索" in await page.inner_text("main")
            assert json.loads(console.config_path.read_text())["language"] == "zh_Hans"
            assert watched.faults == []


async def test_a_refusal_by_the_server_is_one_sentence_on_the_page_and_the_reply_is_kept(
    tmp_path, browser
):
    async with desk_world(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path) as world:
        sealed = await store_report(world.sessions, world.partner_key.public_key, WORDS)
        async with world.sessions() as session, session.begin():
            issued = await admin.credentials.issue(session, "mekong-workers", "console laptop")
        async with console_for(
            tmp_path, world.url, issued.credential.token, world.key_file
        ) as console:
            watched = await browser.page()
            page = watched.page
            await unlock(page, console.start_url)
            await page.goto(f"{console.base}/cases/{sealed.id}")
            async with world.sessions() as session, session.begin():
                await admin.credentials.revoke(session, issued.credential.id)
            typed = "SENTINEL-KEPT a reply the caseworker took time to write"
            await page.fill("#reply-text", typed)
            await page.click("form[action$='/reply'] button")
            error = await page.inner_text(".actions .error")
            assert error == "The server refused the token: the token is not valid or was revoked."
            assert await page.input_value("#reply-text") == typed
            assert "Traceback" not in await page.content()
            assert watched.faults == []
