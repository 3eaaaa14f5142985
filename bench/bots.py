"""The two bots the bot bench compares, both pointed at the stand-in Bot API on 127.0.0.1.

* **echo**: python-telegram-bot with the Application settings of `bot.service.running_bot`
  (the same `TolerantBot`, HTTP client, rate limiter, concurrent updates and poller), and two
  handlers that echo: a message for every message, an answer and a message for every button.
  It is what the framework costs per update, whatever a bot does.
* **ours**: `bot.service.running_bot` itself: the engine, routing, the stored submitter
  (Argon2id, sealing, SQLite in a temporary folder), media scrubbing.

Both get the same rate limiter with Telegram's caps off (`overall_max_rate=0`): the caps are
Telegram's limit, and the point is what the bot itself costs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import (
    AIORateLimiter,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bench.standin import TOKEN
from bot.config import Config
from bot.service import running_bot
from bot.telegram.application import RATE_LIMIT_RETRIES, telegram_application
from bot.telegram.polling import Poller
from crypto.keys import new_partner_key, new_signing_key, verify_key_text

POLL_TIMEOUT = 10


def uncapped() -> AIORateLimiter:
    return AIORateLimiter(overall_max_rate=0, group_max_rate=0, max_retries=RATE_LIMIT_RETRIES)


async def _echo_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is not None:
        await context.bot.send_message(message.chat_id, message.text or "a photo")


async def _echo_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is not None and query.message is not None:
        await query.answer()
        await context.bot.send_message(query.message.chat.id, query.data or "?")


@asynccontextmanager
async def echo_bot(api_url: str) -> AsyncIterator[None]:
    """The framework alone, polling the stand-in until the block ends."""
    async with AsyncExitStack() as stack:
        application = telegram_application(stack, TOKEN, api_url, uncapped())
        application.add_handler(MessageHandler(filters.ALL, _echo_message))
        application.add_handler(CallbackQueryHandler(_echo_button))
        await application.initialize()
        stack.push_async_callback(application.shutdown)
        await application.start()
        poller = Poller(application.bot, application.update_queue, POLL_TIMEOUT, Update.ALL_TYPES)
        await poller.start()
        stack.push_async_callback(poller.confirm)
        stack.push_async_callback(application.stop)
        stack.push_async_callback(poller.halt)
        yield


@asynccontextmanager
async def our_bot(api_url: str, folder: Path) -> AsyncIterator[Any]:
    """`running_bot` with one partner and one site, a fresh SQLite database in `folder`."""
    from deployment import register_partner  # tests/deployment.py, on the path bench.standin set

    url = f"sqlite:///{folder / 'grievance.sqlite3'}"
    signing_key = new_signing_key()
    await register_partner(url, signing_key, new_partner_key())
    config = Config(
        data_dir=folder / "data",
        database_url=url,
        admin_verify_key_text=verify_key_text(signing_key.verify_key),
        telegram_token=TOKEN,
        telegram_api_url=api_url,
        http_listen="127.0.0.1:0",
        log_level="WARNING",
    )
    async with running_bot(config, rate_limiter=uncapped(), poll_timeout=POLL_TIMEOUT) as service:
        yield service
