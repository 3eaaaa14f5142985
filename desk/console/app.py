"""The console's web app: routes, middlewares, the idle watcher, and running it on a port.

Middlewares, outermost first: the content-free access log; the guard (Host, secret cookie,
CSRF); the activity clock (idle lock); the error pages (a locked console sends to the unlock
page, anything else is one calm sentence, never a traceback).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Final

from aiohttp import web

from desk.console import case_pages, keys_page, pages, report_pages
from desk.console import config as settings
from desk.console.i18n import sentence
from desk.console.logs import LOGGER, access_log, route_of
from desk.console.security import Guard, guard_middleware, host_name, secure_headers
from desk.console.state import STATE, ConsoleState, state_of
from desk.console.templates import page
from desk.console.vault import Locked, Vault

STATIC: Final = {
    "console.css": "text/css",
    "console.js": "text/javascript",
    "icon.svg": "image/svg+xml",
    "reports.css": "text/css",
    "reports.js": "text/javascript",
    "vendor/chart.umd.min.js": "text/javascript",
}
"""The console's own assets, shipped in the package: nothing is fetched from elsewhere."""
IDLE_CHECK_SECONDS: Final = 10.0
QUIET_PATHS: Final = frozenset({"/session"})
"""Requests that do not count as the caseworker's activity (the page's lock check)."""
MAX_REQUEST_BYTES: Final = 256 * 1024
"""A note is at most 20,000 characters: a form never needs more."""

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def activity(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Lock first if the console was idle too long, then count this request as activity."""
    vault = state_of(request).vault
    vault.check_idle()
    if request.path not in QUIET_PATHS and not request.path.startswith("/static/"):
        vault.touch()
    return await handler(request)


@web.middleware
async def error_pages(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A locked console sends to the unlock page; an error is a sentence, not a traceback."""
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except Locked:
        if request.method != "GET":
            _ = pages.gettext_for(request)
            state_of(request).notice = _(
                "The console locked itself while you were away; what you sent was not used."
            )
        raise web.HTTPSeeOther("/unlock") from None
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        LOGGER.error("%s failed (%s)", route_of(request), type(exc).__name__)
        _ = pages.gettext_for(request)
        message = _("Something went wrong in the console: {reason}").format(reason=sentence(exc, _))
        return page(request, "error.html", {"error": message}, status=500)


def _static_handler() -> Handler:
    folder = resources.files("desk.console") / "static"
    assets = {name: folder.joinpath(*name.split("/")).read_bytes() for name in STATIC}

    async def serve(request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if name not in assets:
            raise web.HTTPNotFound
        return web.Response(body=assets[name], content_type=STATIC[name], charset="utf-8")

    return serve


async def _favicon(request: web.Request) -> web.StreamResponse:
    raise web.HTTPMovedPermanently("/static/icon.svg")


def make_app(state: ConsoleState) -> web.Application:
    """The console's aiohttp application for `state`."""
    app = web.Application(
        middlewares=[access_log, guard_middleware(lambda: state.guard), activity, error_pages],
        client_max_size=MAX_REQUEST_BYTES,
    )
    app[STATE] = state
    app.on_response_prepare.append(secure_headers)
    app.router.add_get("/", pages.queue_page)
    app.router.add_post("/queue", pages.queue_filter)
    app.router.add_post("/queue/reload", pages.queue_reload)
    app.router.add_get("/setup", pages.setup_form)
    app.router.add_post("/setup", pages.setup_save)
    app.router.add_get("/unlock", pages.unlock_form)
    app.router.add_post("/unlock", pages.unlock)
    app.router.add_post("/lock", pages.lock)
    app.router.add_post("/language", pages.language)
    app.router.add_get("/session", pages.session)
    app.router.add_get("/cases/{case_id}", case_pages.case_page)
    app.router.add_get("/cases/{case_id}/files/{entry_id}", case_pages.case_file)
    app.router.add_post("/cases/{case_id}/status", case_pages.set_status)
    app.router.add_post("/cases/{case_id}/assignee", case_pages.assign)
    app.router.add_post("/cases/{case_id}/reply", case_pages.reply)
    app.router.add_post("/cases/{case_id}/note", case_pages.note)
    app.router.add_post("/cases/{case_id}/save", case_pages.save_files)
    app.router.add_get("/keys", keys_page.keys_page)
    app.router.add_post("/keys/rewrap", keys_page.rewrap)
    app.router.add_get("/reports", report_pages.reports_page)
    app.router.add_post("/reports", report_pages.choose)
    app.router.add_get("/reports/print", report_pages.printable)
    app.router.add_get("/reports/export.csv", report_pages.export_csv)
    app.router.add_get("/static/{name:[a-z0-9./-]+}", _static_handler())
    app.router.add_get("/favicon.ico", _favicon)
    app.cleanup_ctx.append(_idle_watcher)
    return app


async def _idle_watcher(app: web.Application) -> AsyncIterator[None]:
    """Lock after the idle time even when no request comes (the browser may be closed)."""
    vault = app[STATE].vault

    async def watch() -> None:
        while True:
            await asyncio.sleep(IDLE_CHECK_SECONDS)
            vault.check_idle()

    task = asyncio.ensure_future(watch())
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await vault.shutdown()


@dataclass
class Running:
    """A console serving on a port."""

    state: ConsoleState
    host: str
    port: int

    @property
    def url(self) -> str:
        """The one-time start link (empty once used)."""
        return self.state.guard.start_url(f"{self.host}:{self.port}")

    @property
    def base_url(self) -> str:
        """The console's address without the start token."""
        return f"http://{self.host}:{self.port}"


@contextlib.asynccontextmanager
async def running_console(
    config_path: Path,
    *,
    port: int = 0,
    listen: Sequence[str] = (),
    lock_minutes: float = 15.0,
    verify_key: str | None = None,
    clock: Callable[[], float] | None = None,
) -> AsyncIterator[Running]:
    """Serve the console on 127.0.0.1 (and the `listen` addresses) until the block ends."""
    config = settings.load(config_path)
    vault = Vault(lock_minutes * 60, clock) if clock is not None else Vault(lock_minutes * 60)
    addresses = ["127.0.0.1", *listen]
    state = ConsoleState(config_path, config, Guard(frozenset()), vault, verify_key)
    runner = web.AppRunner(make_app(state), access_log=None, handle_signals=False)
    await runner.setup()
    try:
        first = web.TCPSite(runner, addresses[0], port)
        await first.start()
        bound = _port_of(first)
        for address in addresses[1:]:
            await web.TCPSite(runner, address.strip("[]"), bound).start()
        state.guard = Guard.for_port(bound, listen)
        host = host_name(listen[0]) if listen else "127.0.0.1"
        yield Running(state, host, bound)
    finally:
        await runner.cleanup()


def _port_of(site: web.TCPSite) -> int:
    server = site._server  # aiohttp keeps the bound socket there; port 0 means "any free one"
    sockets = getattr(server, "sockets", None) or ()
    for sock in sockets:
        return int(sock.getsockname()[1])
    raise RuntimeError("the console's socket is not bound")
