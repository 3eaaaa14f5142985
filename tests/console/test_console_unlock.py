"""Unlocking: the queue downloads while the key opens, yet a wrong passphrase shows nothing.

The console asks the server for the queue while Argon2id runs; these tests make sure that this
head start changes nothing a caseworker sees: a wrong passphrase is named as such (even when the
server is unreachable too), no case appears, and the right passphrase then opens the queue.
"""

from __future__ import annotations

import aiohttp
from console_world import Console, console_for
from desk_world import PASSPHRASE, desk_world, store_report

WORDS = "the supervisor keeps our passports"


async def _unlock(http: aiohttp.ClientSession, console: Console, passphrase: str) -> str:
    form = {"passphrase": passphrase, "csrf": console.running.state.guard.csrf}
    async with http.post(console.base + "/unlock", data=form) as answer:
        return await answer.text()


async def _queue(http: aiohttp.ClientSession, console: Console) -> str:
    for _ in range(100):
        async with http.get(console.base + "/") as page:
            text = await page.text()
        if 'table class="queue"' in text:
            return text
    raise AssertionError("the queue did not open")


async def test_a_wrong_passphrase_opens_nothing_and_the_right_one_the_queue(tmp_path):
    async with desk_world(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path) as world:
        await store_report(world.sessions, world.partner_key.public_key, WORDS)
        async with (
            console_for(tmp_path, world.url, world.token, world.key_file) as console,
            aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http,
        ):
            async with http.get(console.start_url) as started:
                assert started.status == 200
            refused = await _unlock(http, console, "not the passphrase at all")
            assert "The passphrase does not open the key file" in refused
            assert WORDS not in refused
            assert console.running.state.vault.locked
            await _unlock(http, console, PASSPHRASE)
            assert "keeps our passports" in await _queue(http, console)


async def test_a_wrong_passphrase_is_named_even_when_the_server_is_unreachable(tmp_path):
    async with (
        desk_world(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path) as world,
        console_for(tmp_path, "http://127.0.0.1:9", world.token, world.key_file) as console,
        aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http,
    ):
        async with http.get(console.start_url) as started:
            assert started.status == 200
        refused = await _unlock(http, console, "not the passphrase at all")
        assert "The passphrase does not open the key file" in refused
        assert console.running.state.vault.locked
