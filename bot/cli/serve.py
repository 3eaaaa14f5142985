"""`grievance serve`: the Telegram bot and its HTTP server, or the HTTP server alone."""

from __future__ import annotations

import argparse
from typing import Any

from bot.cli.environment import MEANINGS, SERVE
from desk.commandline import add_command


def add(commands: argparse._SubParsersAction[Any], name: str, help: str) -> None:
    """Add `serve`."""
    serve = add_command(
        commands,
        name,
        run_serve,
        help=help,
        environment=SERVE,
        meanings=MEANINGS,
        json_flag=False,
    )
    serve.add_argument(
        "--no-telegram",
        action="store_true",
        help="run only the HTTP server (/healthz and the case API, with the daily retention "
        "purge): no bot token needed; the desk can be tried, or the API run as its own process",
    )


def run_serve(args: argparse.Namespace) -> int:
    """grievance serve [--no-telegram]: every setting is checked before anything starts."""
    import asyncio

    from bot import logs
    from bot.config import Config

    settings = Config.from_env()
    settings.listen_address()
    secrets: tuple[str, ...] = ()
    if not args.no_telegram:
        secrets = (settings.token(),)
        settings.admin_verify_key()
    logs.configure(settings.log_level, secrets=secrets)
    from bot.service import serve  # Telegram, aiohttp and SQLAlchemy: only for this command

    asyncio.run(serve(settings, telegram=not args.no_telegram))
    return 0
