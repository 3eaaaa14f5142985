"""The PTB Application the bot runs on, built in one place: the bot's own and the benchmark's
bare echo bot are then the same framework with the same settings, and differ in handlers only."""

from __future__ import annotations

import contextlib
from typing import Final

from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, BaseRateLimiter

from bot.telegram.aiohttp_request import AiohttpRequest
from bot.telegram.tolerant_bot import TolerantBot, UpdatesRequest

RATE_LIMIT_RETRIES: Final = 3
CONNECTIONS: Final = 64


def telegram_application(
    stack: contextlib.AsyncExitStack,
    token: str,
    api_url: str,
    rate_limiter: BaseRateLimiter[int] | None = None,
) -> Application:  # type: ignore[type-arg]
    """A PTB Application on our HTTP connection (aiohttp), with updates handled concurrently and
    no updater of PTB's (bot/telegram/polling.py polls). Its connections are closed when `stack`
    closes, even when the Bot API refuses us before the bot is initialised."""
    requests = (AiohttpRequest(connections=CONNECTIONS), UpdatesRequest())
    for request in requests:
        stack.push_async_callback(request.shutdown)
    bot = TolerantBot(
        token,
        base_url=f"{api_url}/bot",
        base_file_url=f"{api_url}/file/bot",
        request=requests[0],
        get_updates_request=requests[1],
        rate_limiter=rate_limiter or AIORateLimiter(max_retries=RATE_LIMIT_RETRIES),
    )
    return ApplicationBuilder().bot(bot).updater(None).concurrent_updates(True).build()
