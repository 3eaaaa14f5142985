"""`grievance serve`: the Telegram bot and the HTTP server, wired to the database.

Long polling by default; a webhook when GRIEVANCE_WEBHOOK_URL is set, checked with a secret token
drawn at every start. No PTB persistence: conversations live in memory only. With
`--no-telegram` (`running_api`) only the HTTP server runs: the health check and the case API,
with the daily retention purge, and no bot token is needed.

Start-up checks what is cheap and local first (the database, the listening port), then the Bot
API; each failure is one sentence (a UserError) and everything already opened is closed again.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import secrets
import signal
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, Final

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Update
from telegram.error import BadRequest, InvalidToken, NetworkError, TelegramError
from telegram.ext import Application, BaseRateLimiter

from bot.config import LISTEN_VARIABLE, TOKEN_VARIABLE, WEBHOOK_VARIABLE, Config
from bot.database import open_database
from bot.errors import UserError
from bot.http.server import WEBHOOK_PATH, make_app, make_runner
from bot.intake.directory import StoredDirectory
from bot.intake.receipts import receipt_salt
from bot.intake.scrub import MediaScrubber
from bot.intake.submission import StoredSubmitter
from bot.intake.tracking import StoredTracker
from bot.retention import run_daily as run_retention
from bot.telegram.adapter import TelegramAdapter
from bot.telegram.application import telegram_application
from bot.telegram.commands import set_commands
from bot.telegram.polling import Poller
from handlers.engine import Engine
from handlers.questionnaire import load_default
from handlers.sessions import SessionStore
from storage.db import describe

log = logging.getLogger(__name__)

SWEEP_SECONDS: Final = 60.0
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


@dataclass
class ApiService:
    """The HTTP server alone (`serve --no-telegram`)."""

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
    async with contextlib.AsyncExitStack() as stack:
        sessions = await stack.enter_async_context(open_database(config.database_url))
        salt = await receipt_salt(sessions)
        directory = StoredDirectory(sessions)
        store = SessionStore(idle_seconds=config.idle_minutes * 60)
        submitter = submitter_factory(sessions, directory, verify_key, salt)
        tracker = StoredTracker(sessions, salt, verify_key)
        engine = Engine(
            load_default(), directory, submitter, tracker, limits=store, scrubber=MediaScrubber()
        )
        application = telegram_application(stack, token, config.telegram_api_url, rate_limiter)
        TelegramAdapter(engine, store).install(application)
        secret = secrets.token_urlsafe(32)
        webhook = config.webhook_url is not None
        app = (
            make_app(application.bot, application.update_queue, secret, sessions=sessions)
            if webhook
            else make_app(sessions=sessions)
        )
        runner, bound = await _listen(stack, app, host, port)
        async with _bot_api_errors(config):
            await application.initialize()
            stack.push_async_callback(application.shutdown)
            await set_commands(application.bot)
        await application.start()
        stack.push_async_callback(_stop_application, application)
        poller: Poller | None = None
        async with _bot_api_errors(config):
            if webhook:
                await application.bot.set_webhook(
                    f"{config.webhook_url}{WEBHOOK_PATH}",
                    secret_token=secret,
                    allowed_updates=Update.ALL_TYPES,
                )
            else:
                poller = Poller(
                    application.bot, application.update_queue, poll_timeout, Update.ALL_TYPES
                )
                await poller.start()
        # Last in, first out: intake stops first (the poller, or the webhook's HTTP server), then
        # the application finishes every update it was handed, and only then are polled updates
        # confirmed to Telegram, while the bot can still make requests.
        if poller is not None:
            stack.push_async_callback(poller.confirm)
            stack.push_async_callback(_stop_application, application)
            stack.push_async_callback(poller.halt)
        else:
            stack.push_async_callback(_stop_application, application)
            stack.push_async_callback(_cleanup, runner)
        _background(stack, _sweep(store), run_retention(sessions, config.retention_days))
        mode = "webhook" if webhook else "long polling"
        log.info("serving: %s; %s", mode, describe(config.database_url))
        yield Service(application, engine, store, directory, sessions, bound)


@contextlib.asynccontextmanager
async def running_api(config: Config) -> AsyncIterator[ApiService]:
    """The health check and the case API (and the daily retention purge), without Telegram."""
    host, port = config.listen_address()
    async with contextlib.AsyncExitStack() as stack:
        sessions = await stack.enter_async_context(open_database(config.database_url))
        _runner, bound = await _listen(stack, make_app(sessions=sessions), host, port)
        _background(stack, run_retention(sessions, config.retention_days))
        log.info("serving: the case API only (no Telegram); %s", describe(config.database_url))
        yield ApiService(sessions, bound)


async def serve(config: Config, *, telegram: bool = True) -> None:
    """Run until SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    running = running_bot(config) if telegram else running_api(config)
    async with running:
        await stop.wait()
    log.info("stopped")


async def _listen(
    stack: contextlib.AsyncExitStack, app: web.Application, host: str, port: int
) -> tuple[web.AppRunner, int]:
    """Start the HTTP server; a port in use or an address not ours is one sentence."""
    runner = make_runner(app)
    await runner.setup()
    stack.push_async_callback(_cleanup, runner)
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError as exc:
        reason = (
            "the address is already in use (is another 'grievance serve' running?)"
            if exc.errno == errno.EADDRINUSE
            else (exc.strerror or type(exc).__name__)
        )
        raise UserError(f"cannot listen on {host}:{port} ({LISTEN_VARIABLE}): {reason}") from exc
    return runner, int(runner.addresses[0][1]) if runner.addresses else port


async def _cleanup(runner: web.AppRunner) -> None:
    """Stop the HTTP server (once, however often it is asked)."""
    if runner.server is not None:
        await runner.cleanup()


@contextlib.asynccontextmanager
async def _bot_api_errors(config: Config) -> AsyncIterator[None]:
    """The Bot API's refusals at start-up, as sentences that never repeat the token."""
    try:
        yield
    except InvalidToken as exc:
        raise UserError(
            f"the Bot API refused {TOKEN_VARIABLE}: check the token @BotFather gave "
            "(or revoke it there and set the new one)"
        ) from exc
    except NetworkError as exc:
        if isinstance(exc, BadRequest) and config.webhook_url is not None:
            raise UserError(
                f"Telegram refused the webhook at {WEBHOOK_VARIABLE}: {exc.message}"
            ) from exc
        raise UserError(
            f"cannot reach the Bot API at {config.telegram_api_url} ({type(exc).__name__}): "
            "check the server's network connection"
        ) from exc
    except TelegramError as exc:
        raise UserError(
            f"the Bot API at {config.telegram_api_url} answered with an error "
            f"({type(exc).__name__}); try again later"
        ) from exc


async def _stop_application(application: Application) -> None:  # type: ignore[type-arg]
    """Finish every update handed to the application (once, however often it is asked)."""
    if application.running:
        await application.stop()


def _background(stack: contextlib.AsyncExitStack, *jobs: Any) -> None:
    for job in jobs:
        task = asyncio.create_task(job)
        stack.push_async_callback(_cancelled, task.cancel, task)


async def _cancelled(cancel: Callable[[], Any], task: asyncio.Task[Any]) -> None:
    cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _sweep(store: SessionStore) -> None:
    """Drop idle conversations every minute: an abandoned draft must not linger in memory."""
    while True:
        await asyncio.sleep(SWEEP_SECONDS)
        store.sweep()
