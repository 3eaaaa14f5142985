"""`grievance serve`: the Telegram bot and the HTTP server, wired to the database.

Long polling by default; a webhook when GRIEVANCE_WEBHOOK_URL is set, checked with a secret token
drawn at every start. No PTB persistence: conversations live in memory only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Final

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Update
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, BaseRateLimiter

from bot.aiohttp_request import AiohttpRequest
from bot.config import Config
from bot.database import open_database
from bot.retention import run_daily as run_retention
from bot.server import WEBHOOK_PATH, make_app, make_runner
from bot.telegram_adapter import TelegramAdapter, set_commands
from bot.tolerant_bot import TolerantBot
from handlers.engine import Engine
from handlers.questionnaire import load_default
from handlers.routing import StoredDirectory
from handlers.sessions import SessionStore
from handlers.submission import StoredSubmitter, receipt_salt
from handlers.tracking import StoredTracker

log = logging.getLogger(__name__)

SWEEP_SECONDS: Final = 60.0
RATE_LIMIT_RETRIES: Final = 3
CONNECTIONS: Final = 64
"""Bot API connections for answering updates handled at the same time."""
POLL_TIMEOUT_SECONDS: Final = 30


@dataclass
class Service:
    """What a running bot is made of (tests and benchmarks reach in here)."""

    application: Application  # type: ignore[type-arg]
    engine: Engine
    store: SessionStore
    directory: StoredDirectory
    sessions: async_sessionmaker[AsyncSession]
    http_port: int


@contextlib.asynccontextmanager
async def running_bot(
    config: Config,
    rate_limiter: BaseRateLimiter[Any] | None = None,
    poll_timeout: int = POLL_TIMEOUT_SECONDS,
    submitter_factory: Any = StoredSubmitter,
) -> AsyncIterator[Service]:
    """Start everything; stop it all again on exit."""
    token = config.token()
    verify_key = config.admin_verify_key()
    host, port = config.listen_address()
    async with open_database(config.database_url) as sessions:
        salt = await receipt_salt(sessions)
        directory = StoredDirectory(sessions)
        store = SessionStore(idle_seconds=config.idle_minutes * 60)
        submitter = submitter_factory(sessions, directory, verify_key, salt)
        tracker = StoredTracker(sessions, salt, verify_key)
        engine = Engine(load_default(), directory, submitter, tracker, limits=store)
        bot = TolerantBot(
            token,
            base_url=f"{config.telegram_api_url}/bot",
            base_file_url=f"{config.telegram_api_url}/file/bot",
            request=AiohttpRequest(connections=CONNECTIONS),
            get_updates_request=AiohttpRequest(),
            rate_limiter=rate_limiter or AIORateLimiter(max_retries=RATE_LIMIT_RETRIES),
        )
        application = ApplicationBuilder().bot(bot).concurrent_updates(True).build()
        TelegramAdapter(engine, store).install(application)
        await application.initialize()
        await set_commands(application.bot)
        await application.start()
        secret = secrets.token_urlsafe(32)
        webhook = config.webhook_url is not None
        app = (
            make_app(application.bot, application.update_queue, secret, sessions=sessions)
            if webhook
            else make_app(sessions=sessions)
        )
        runner = make_runner(app)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound = runner.addresses[0][1] if runner.addresses else port
        if webhook:
            await application.bot.set_webhook(
                f"{config.webhook_url}{WEBHOOK_PATH}" if config.webhook_url else "",
                secret_token=secret,
                allowed_updates=Update.ALL_TYPES,
            )
        else:
            assert application.updater is not None
            await application.updater.start_polling(
                poll_interval=0, timeout=poll_timeout, allowed_updates=Update.ALL_TYPES
            )
        sweeper = asyncio.create_task(_sweep(store))
        purger = asyncio.create_task(run_retention(sessions, config.retention_days))
        log.info("serving: %s", "webhook" if webhook else "long polling")
        try:
            yield Service(application, engine, store, directory, sessions, bound)
        finally:
            for task in (sweeper, purger):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            if application.updater is not None and application.updater.running:
                await application.updater.stop()
            await application.stop()
            await application.shutdown()
            await runner.cleanup()


async def serve(config: Config) -> None:
    """Run until SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with running_bot(config):
        await stop.wait()
    log.info("stopped")


async def _sweep(store: SessionStore) -> None:
    """Drop idle conversations every minute: an abandoned draft must not linger in memory."""
    while True:
        await asyncio.sleep(SWEEP_SECONDS)
        store.sweep()
