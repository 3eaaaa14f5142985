"""The HTTP server of `grievance serve`: Telegram's webhook and a health check.

The case API of the caseworker desk will live here too. Access logs are off: they would record the
caller's address and the time of every request.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from typing import Final

from aiohttp import web
from telegram import Bot, Update

log = logging.getLogger(__name__)

WEBHOOK_PATH: Final = "/telegram/webhook"
SECRET_HEADER: Final = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name)
MAX_UPDATE_BYTES: Final = 256 * 1024
"""An update is a few kilobytes; files are fetched separately. Anything larger is refused."""


def make_app(
    bot: Bot | None = None, updates: asyncio.Queue[object] | None = None, secret: str = ""
) -> web.Application:
    """The aiohttp application; given a bot, an update queue and a secret, also the webhook."""
    app = web.Application(client_max_size=MAX_UPDATE_BYTES)
    app.router.add_get("/healthz", _health)
    if bot is not None and updates is not None:
        app["bot"], app["updates"], app["secret"] = bot, updates, secret
        app.router.add_post(WEBHOOK_PATH, _webhook)
    return app


async def _health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def _webhook(request: web.Request) -> web.Response:
    """Take one update from Telegram, if it carries the secret set with setWebhook."""
    offered = request.headers.get(SECRET_HEADER, "")
    if not hmac.compare_digest(offered.encode(), request.app["secret"].encode()):
        return web.json_response({"error": "forbidden"}, status=403)
    try:
        data = await request.json()
        update = Update.de_json(data, request.app["bot"])
    except (ValueError, TypeError, KeyError):
        return web.json_response({"error": "not an update"}, status=400)
    await request.app["updates"].put(update)
    return web.json_response({"ok": True})
