"""The HTTP server of `grievance serve`: Telegram's webhook, a health check and the case API.

Access logs name the method, the route's template and the status only: never the concrete path
(it holds case ids), the query, the caller's address, a header or the time.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from typing import Any, Final

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot, Update

from bot.case_api import API_PREFIX, make_api

log = logging.getLogger(__name__)

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


def make_app(
    bot: Bot | None = None,
    updates: asyncio.Queue[object] | None = None,
    secret: str = "",
    *,
    sessions: async_sessionmaker[AsyncSession] | None = None,
) -> web.Application:
    """The aiohttp application: the health check; given a bot, an update queue and a secret, the
    webhook; given a session factory, the case API under /api/v1/.

    The case API reads its own bodies with its own limit (bot.case_api.MAX_REQUEST_BYTES), so
    the application-wide limit stays the webhook's.
    """
    app = web.Application(client_max_size=MAX_UPDATE_BYTES)
    app.router.add_get("/healthz", _health)
    if bot is not None and updates is not None:
        app[BOT], app[UPDATES], app[SECRET] = bot, updates, secret
        app.router.add_post(WEBHOOK_PATH, _webhook)
    if sessions is not None:
        app.add_subapp(API_PREFIX, make_api(sessions))
    return app


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
