"""Only this laptop's browser, with this start's secret, can use the console; nothing forged.

In Chromium: a page of a rebinding domain that resolves to 127.0.0.1 is refused by its Host
header, and a form that another site posts to the console is refused (no cookie, no CSRF
token) without changing anything. Over plain HTTP: every answer's headers, the cookie's
attributes, the one-time start link, and the CSRF check for a request that has the cookie.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
from console_browser import REBINDING_HOST
from console_world import console_for
from desk_world import PASSPHRASE, desk_world, store_report

from desk.console.security import CONTENT_SECURITY_POLICY

WORDS = "SENTINEL-GUARD the supervisor locked the fire exit"


@contextlib.asynccontextmanager
async def hostile_site(target: str) -> AsyncIterator[str]:
    """Another web site the caseworker visits: a button that posts a form to the console."""
    page = f"""<!doctype html><form method="post" action="{target}">
    <input name="csrf" value="guessed"><input name="status" value="closed">
    <button id="go">Win a prize</button></form>"""

    async def index(request: web.Request) -> web.Response:
        return web.Response(text=page, content_type="text/html")

    app = web.Application()
    app.router.add_get("/", index)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield f"http://127.0.0.1:{server.port}/"
    finally:
        await server.close()


async def case_status(world, case_id: str) -> str:
    headers = {"Authorization": f"Bearer {world.token}"}
    async with (
        aiohttp.ClientSession(headers=headers) as http,
        http.get(f"{world.url}/api/v1/cases/{case_id}") as response,
    ):
        return (await response.json())["status"]


async def test_a_rebinding_domain_and_another_sites_form_are_refused_in_the_browser(
    tmp_path, browser
):
    async with desk_world(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path) as world:
        sealed = await store_report(world.sessions, world.partner_key.public_key, WORDS)
        async with console_for(tmp_path, world.url, world.token, world.key_file) as console:
            watched = await browser.page()
            page = watched.page
            await page.goto(console.start_url)
            await page.fill("#passphrase", PASSPHRASE)
            await page.click("form[action='/unlock'] button")
            await page.wait_for_selector("table.queue")

            port = console.running.port
            answer = await page.goto(f"http://{REBINDING_HOST}:{port}/")
            assert answer.status == 421
            assert "answers only at the address it printed" in await page.inner_text("body")
            assert WORDS not in await page.content()
            answer = await page.goto(f"http://{REBINDING_HOST}:{port}/cases/{sealed.id}")
            assert answer.status == 421 and WORDS not in await page.content()

            target = f"{console.base}/cases/{sealed.id}/status"
            async with hostile_site(target) as site:
                await page.goto(site)
                async with page.expect_navigation():
                    await page.click("#go")
                assert "refused" in await page.inner_text("body") or "opens only" in (
                    await page.inner_text("body")
                )
                assert WORDS not in await page.content()
            assert await case_status(world, sealed.id) == "new"


async def test_every_answer_carries_the_strict_headers_and_the_start_link_works_once(tmp_path):
    async with desk_world(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path) as world:
        await store_report(world.sessions, world.partner_key.public_key, WORDS)
        async with (
            console_for(tmp_path, world.url, world.token, world.key_file) as console,
            aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http,
        ):
            async with http.get(console.base + "/") as refused:
                assert refused.status == 403
                assert "opens only from the link it printed" in await refused.text()
            async with http.get(console.start_url, allow_redirects=False) as started:
                assert started.status == 303 and started.headers["Location"] == "/"
                cookie = started.headers["Set-Cookie"]
                assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
            async with aiohttp.ClientSession() as other, other.get(console.start_url) as again:
                assert again.status == 403  # the link opened one browser; it opens no other
                assert "already used" in await again.text()
            for path in ("/", "/unlock", "/setup", "/static/console.css", "/no-such-page"):
                async with http.get(console.base + path, allow_redirects=False) as answer:
                    headers = answer.headers
                    assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
                    assert headers["X-Content-Type-Options"] == "nosniff"
                    assert headers["Referrer-Policy"] == "no-referrer"
                    assert headers["Cache-Control"] == "no-store"
                    assert "Server" not in headers
            assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
            assert "http" not in CONTENT_SECURITY_POLICY  # no remote origin of any kind


async def test_a_state_change_without_the_csrf_token_is_refused_even_with_the_cookie(tmp_path):
    async with desk_world(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path) as world:
        sealed = await store_report(world.sessions, world.partner_key.public_key, WORDS)
        async with (
            console_for(tmp_path, world.url, world.token, world.key_file) as console,
            aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http,
        ):
            async with http.get(console.start_url) as started:
                assert started.status == 200
            csrf = console.running.state.guard.csrf
            async with http.post(
                console.base + "/unlock", data={"passphrase": PASSPHRASE, "csrf": csrf}
            ) as unlocked:
                assert unlocked.status == 200
            target = f"{console.base}/cases/{sealed.id}/status"
            for form, headers in (
                ({"status": "closed"}, {}),
                ({"status": "closed", "csrf": "x" * len(csrf)}, {}),
                ({"status": "closed", "csrf": csrf}, {"Origin": "http://evil.example"}),
                ({"status": "closed", "csrf": csrf}, {"Sec-Fetch-Site": "cross-site"}),
            ):
                async with http.post(target, data=form, headers=headers) as refused:
                    assert refused.status == 403
                    assert "nothing was changed" in await refused.text()
            assert await case_status(world, sealed.id) == "new"
            async with http.post(target, data={"status": "acknowledged", "csrf": csrf}) as done:
                assert done.status == 200
            assert await case_status(world, sealed.id) == "acknowledged"
            async with http.get(
                console.base + "/", headers={"Host": f"evil.example:{console.running.port}"}
            ) as rebound:
                assert rebound.status == 421
                assert WORDS not in await rebound.text()
