"""The HTTP server of `grievance serve`: Telegram's webhook, a health check and the case API.

Access logs name the method, the route's template and the status only: never the concrete path
(it holds case ids), the query, the caller's address, a header or the time.

Every answer is JSON and says nothing about the software: no `Server` header (it named the Python
and aiohttp versions, a gift to anyone matching known flaws), and a request aiohttp's parser
refuses (a malformed request line, a bad header, oversized headers, bad chunked encoding) gets a
short JSON error instead of aiohttp's text, which quotes the offending bytes of the request back
to the sender (an `Authorization` header among them). Run the app with `make_runner` for that.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Final

from aiohttp import hdrs, web
from aiohttp.abc import AbstractAccessLogger
from aiohttp.web_protocol import RequestHandler
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot, Update

from bot.http.calls import API_PREFIX, SERVER_FAULT
from bot.http.case_api import make_api

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

ACCESS_LOGGER: Final = "bot.access"
SERVER_LOGGER: Final = "bot.http"
UNROUTED: Final = "(no route)"

BOT: Final = web.AppKey("bot", Bot)
UPDATES: Final = web.AppKey("updates", asyncio.Queue)
SECRET: Final = web.AppKey("secret", str)
WEBHOOK_PATH: Final = "/telegram/webhook"
SECRET_HEADER: Final = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name)
MAX_UPDATE_BYTES: Final = 256 * 1024
"""An update is a few kilobytes; files are fetched separately. Anything larger is refused."""
NOT_HTTP: Final = "This is not a valid HTTP request; it was refused unread."
HTTP_ERRORS: Final = {
    404: "There is no such path on this server.",
    405: "This method is not allowed on this path.",
    413: "The request body is too large.",
}


def make_app(
    bot: Bot | None = None,
    updates: asyncio.Queue[object] | None = None,
    secret: str = "",
    *,
    sessions: async_sessionmaker[AsyncSession] | None = None,
) -> web.Application:
    """The aiohttp application: the health check; given a bot, an update queue and a secret, the
    webhook; given a session factory, the case API under /api/v1/.

    The case API reads its own bodies with its own limit (bot.http.calls.MAX_REQUEST_BYTES), so
    the application-wide limit stays the webhook's.
    """
    app = web.Application(client_max_size=MAX_UPDATE_BYTES, middlewares=[_json_errors])
    app.on_response_prepare.append(_anonymous)
    app.router.add_get("/healthz", _health)
    if bot is not None and updates is not None:
        app[BOT], app[UPDATES], app[SECRET] = bot, updates, secret
        app.router.add_post(WEBHOOK_PATH, _webhook)
    if sessions is not None:
        app.add_subapp(API_PREFIX, make_api(sessions))
    return app


async def _anonymous(request: web.Request, response: web.StreamResponse) -> None:
    """Drop the `Server` header aiohttp adds to every answer while preparing it."""
    response.headers.popall(hdrs.SERVER, None)


@web.middleware
async def _json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Outside the case API (which has its own guard): HTTP errors and failures as JSON too."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        response = web.json_response(
            {"error": HTTP_ERRORS.get(exc.status, exc.reason)}, status=exc.status
        )
        if hdrs.ALLOW in exc.headers:
            response.headers[hdrs.ALLOW] = exc.headers[hdrs.ALLOW]
        return response
    except Exception as exc:
        log.error("http: unexpected %s", type(exc).__name__)
        return web.json_response({"error": SERVER_FAULT}, status=500)


class RouteAccessLogger(AbstractAccessLogger):
    """One line a request: method, route template, status (`GET /api/v1/cases/{case_id} 200`).

    The template, not the path: a path carries case and entry ids. No query string, address,
    header, size or time: together they could tie a caseworker's or a worker's activity to a
    case.
    """

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info("%s %s %s", request.method, route_template(request), response.status)


def route_template(request: web.BaseRequest) -> str:
    """The canonical template of the route that served `request` (or a placeholder)."""
    if not isinstance(request, web.Request):
        return UNROUTED
    try:
        resource = request.match_info.route.resource
    except AssertionError:
        # A request refused before routing (a malformed one) has no match info at all.
        return UNROUTED
    return resource.canonical if resource is not None else UNROUTED


class _NoAddress(logging.Filter):
    """aiohttp logs "Error handling request from <address>" for a malformed request: drop the
    address (the redacting handler keeps the exception's type only)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and record.msg.startswith("Error handling request"):
            record.msg, record.args = "Error handling request", None
        return True


class _Anonymous(web.Response):
    """An answer prepared without the `Server` header, for requests that never reach the app
    (and so its `on_response_prepare` signal)."""

    async def _prepare_headers(self) -> None:
        await super()._prepare_headers()
        self.headers.popall(hdrs.SERVER, None)


class _QuietHandler(RequestHandler):
    """aiohttp's connection handler, answering what it refuses itself with a short JSON error.

    aiohttp calls `handle_error` for requests its parser rejects and for failures outside any
    middleware; its own answer is text quoting the request. The logging and the connection
    checks stay aiohttp's; only the answer is replaced, and it echoes nothing.
    """

    def handle_error(
        self,
        request: web.BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        super().handle_error(request, status, exc, message)
        text = SERVER_FAULT if status >= 500 else NOT_HTTP
        answer = _Anonymous(
            status=status,
            body=json.dumps({"error": text}).encode(),
            content_type="application/json",
        )
        answer.force_close()
        return answer


class _QuietServer(web.Server):
    """The low-level server, making a `_QuietHandler` for each connection."""

    def __call__(self) -> RequestHandler:
        return _QuietHandler(self, loop=self._loop, **self._kwargs)


class QuietRunner(web.AppRunner):
    """`web.AppRunner` whose connections answer malformed HTTP as `_QuietHandler` does.

    `_make_server` is the runner's documented extension point (ServerRunner and AppRunner each
    define it); the server aiohttp builds is only given the quiet handler class.
    """

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        server.__class__ = _QuietServer
        return server


def make_runner(app: web.Application, **kwargs: Any) -> web.AppRunner:
    """The runner `grievance serve` (and the tests) start `app` with."""
    return QuietRunner(app, **{**runner_options(), **kwargs})


def runner_options() -> dict[str, Any]:
    """Keyword arguments for `web.AppRunner`: our access log and an address-free error log."""
    server_logger = logging.getLogger(SERVER_LOGGER)
    if not any(isinstance(f, _NoAddress) for f in server_logger.filters):
        server_logger.addFilter(_NoAddress())
    return {
        "access_log_class": RouteAccessLogger,
        "access_log": logging.getLogger(ACCESS_LOGGER),
        "logger": server_logger,
    }


async def _health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def _webhook(request: web.Request) -> web.Response:
    """Take one update from Telegram, if it carries the secret set with setWebhook."""
    offered = request.headers.get(SECRET_HEADER, "")
    if not hmac.compare_digest(offered.encode(), request.app[SECRET].encode()):
        return web.json_response({"error": "forbidden"}, status=403)
    try:
        data = await request.json()
        if not isinstance(data, dict):
            raise TypeError("an update is a JSON object")
        update = Update.de_json(data, request.app[BOT])
    except (ValueError, TypeError, KeyError, AttributeError):
        return web.json_response({"error": "not an update"}, status=400)
    await request.app[UPDATES].put(update)
    return web.json_response({"ok": True})
