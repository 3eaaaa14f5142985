"""Logging that cannot leak a worker: third-party loggers capped, every line redacted.

PTB logs whole updates (names, usernames, texts) at DEBUG and httpx logs request URLs, which carry
the bot token; so those loggers never go below WARNING, whatever GRIEVANCE_LOG_LEVEL says, and a
filter on the handler removes the token and long digit runs (chat, user and message ids) from any
line that still gets through.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Final, TextIO

THIRD_PARTY: Final = (
    "telegram",
    "httpx",
    "httpcore",
    "aiohttp",
    "asyncio",
    "aiosqlite",
    "asyncpg",
    "sqlalchemy",
    "alembic",
    "PIL",
    "pypdf",
)
THIRD_PARTY_FLOOR: Final = logging.WARNING
_TOKEN: Final = re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}")
_PLACEHOLDER: Final = re.compile(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[a-zA-Z%]")
_LONG_NUMBER: Final = re.compile(r"(?<![\w.])-?\d{5,}(?![\w.])")
HANDLER_NAME: Final = "grievance"
MIN_SECRET: Final = 8
FORMAT: Final = "%(levelname)s %(name)s: %(message)s"
"""No time stamps: the service's own logs must not record when a worker was active."""


class RedactingFilter(logging.Filter):
    """Formats the record, then removes the bot token and numbers that could be ids."""

    def __init__(self, secrets: tuple[str, ...] = ()) -> None:
        super().__init__()
        # A bot token's secret half ("123:ABC" -> "ABC") is as sensitive as the whole.
        parts = [part for secret in secrets for part in (secret, secret.partition(":")[2])]
        self._secrets = tuple(sorted({p for p in parts if len(p) >= MIN_SECRET}, key=len)[::-1])

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.split(".")[0] in THIRD_PARTY and record.args:
            # A library's arguments can hold whole updates (names, texts): keep its words only.
            message = _PLACEHOLDER.sub("[…]", str(record.msg))
        else:
            message = record.getMessage()
        for secret in self._secrets:
            message = message.replace(secret, "[secret]")
        message = _TOKEN.sub("[token]", message)
        message = _LONG_NUMBER.sub("[number]", message)
        record.msg, record.args = message, None
        if record.exc_info and record.exc_info[1] is not None:
            # Keep the exception's type and traceback lines, never its text (it may quote input).
            error = record.exc_info[1]
            record.msg = f"{message} ({type(error).__name__})"
            record.exc_info = None
            record.exc_text = None
        return True


def configure(
    level: str = "INFO", secrets: tuple[str, ...] = (), stream: TextIO | None = None
) -> None:
    """Set the level, cap third-party loggers and install the redacting handler on the root."""
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        raise ValueError(f"unknown log level {level!r} (DEBUG, INFO, WARNING, ERROR)")
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(RedactingFilter(secrets))
    handler.set_name(HANDLER_NAME)
    root = logging.getLogger()
    for existing in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(numeric)
    for name in THIRD_PARTY:
        logging.getLogger(name).setLevel(max(numeric, THIRD_PARTY_FLOOR))
