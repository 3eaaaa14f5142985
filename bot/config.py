"""Server configuration, read from the environment: each setting by its own function, so that a
command reads (and checks) only the settings it uses, and its --help can name them.

Nothing here is a secret the server could leak: the administrators' signing key never lives on the
server; only its verify key is pinned here. The bot token is the one secret read here, and no
message ever repeats it.

Naming the settings loads nothing heavy (the command line names them in every --help): SQLAlchemy
and PyNaCl are imported when the database URL or the verify key is read.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Final

from bot.errors import UserError
from storage.environment import DATA_DIR_VARIABLE, DATABASE_URL_VARIABLE

if TYPE_CHECKING:
    from crypto.keys import VerifyKey

VERIFY_KEY_VARIABLE: Final = "GRIEVANCE_ADMIN_VERIFY_KEY"
TOKEN_VARIABLE: Final = "GRIEVANCE_TELEGRAM_TOKEN"  # noqa: S105 (a variable name)
API_URL_VARIABLE: Final = "GRIEVANCE_TELEGRAM_API_URL"
WEBHOOK_VARIABLE: Final = "GRIEVANCE_WEBHOOK_URL"
LISTEN_VARIABLE: Final = "GRIEVANCE_HTTP_LISTEN"
LOG_LEVEL_VARIABLE: Final = "GRIEVANCE_LOG_LEVEL"
IDLE_VARIABLE: Final = "GRIEVANCE_CONVERSATION_IDLE_MINUTES"
RETENTION_VARIABLE: Final = "GRIEVANCE_RETENTION_DAYS"
DEFAULT_TELEGRAM_API: Final = "https://api.telegram.org"
DEFAULT_LISTEN: Final = "127.0.0.1:8080"
DEFAULT_IDLE_MINUTES: Final = 30
MAX_IDLE_MINUTES: Final = 24 * 60
"""An unfinished report is never kept in memory for more than a day."""
DEFAULT_RETENTION_DAYS: Final = 365
MAX_RETENTION_DAYS: Final = 100 * 366
LOG_LEVELS: Final = ("DEBUG", "INFO", "WARNING", "ERROR")
_TOKEN_SHAPE: Final = re.compile(r"\d{1,20}:[A-Za-z0-9_-]{20,100}")

DATABASE_VARIABLES: Final = (DATA_DIR_VARIABLE, DATABASE_URL_VARIABLE)
SERVE_VARIABLES: Final = (
    *DATABASE_VARIABLES,
    VERIFY_KEY_VARIABLE,
    TOKEN_VARIABLE,
    API_URL_VARIABLE,
    WEBHOOK_VARIABLE,
    LISTEN_VARIABLE,
    LOG_LEVEL_VARIABLE,
    IDLE_VARIABLE,
    RETENTION_VARIABLE,
)


@dataclass(frozen=True)
class Config:
    """What the server needs to know about its deployment."""

    data_dir: Path | None
    database_url: str
    admin_verify_key_text: str | None
    telegram_token: str | None = field(default=None, repr=False)
    telegram_api_url: str = DEFAULT_TELEGRAM_API
    webhook_url: str | None = None
    http_listen: str = DEFAULT_LISTEN
    log_level: str = "INFO"
    idle_minutes: int = DEFAULT_IDLE_MINUTES
    # Closed cases are purged once unchanged for longer than this: what is not kept cannot leak.
    retention_days: int = DEFAULT_RETENTION_DAYS

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Config:
        """Read and check every GRIEVANCE_* variable `serve` uses."""
        data_dir = environ.get(DATA_DIR_VARIABLE, "").strip()
        return cls(
            data_dir=Path(data_dir) if data_dir else None,
            database_url=database_url(environ),
            admin_verify_key_text=environ.get(VERIFY_KEY_VARIABLE) or None,
            telegram_token=environ.get(TOKEN_VARIABLE) or None,
            telegram_api_url=(environ.get(API_URL_VARIABLE) or DEFAULT_TELEGRAM_API).rstrip("/"),
            webhook_url=environ.get(WEBHOOK_VARIABLE) or None,
            http_listen=environ.get(LISTEN_VARIABLE) or DEFAULT_LISTEN,
            log_level=log_level(environ),
            idle_minutes=_whole_number(
                environ, IDLE_VARIABLE, DEFAULT_IDLE_MINUTES, MAX_IDLE_MINUTES, "minutes"
            ),
            retention_days=retention_days(environ),
        )

    def token(self) -> str:
        """The bot token; serving without one, or with one of the wrong shape, is refused here.

        The message never repeats the token, not even a part of it.
        """
        if not self.telegram_token:
            raise UserError(
                f"{TOKEN_VARIABLE} is not set: give the bot token from @BotFather "
                "(or run 'grievance serve --no-telegram' for the case API alone)"
            )
        if not _TOKEN_SHAPE.fullmatch(self.telegram_token.strip()):
            raise UserError(
                f"{TOKEN_VARIABLE} does not look like a bot token (digits, a colon, then "
                "letters, digits, '-' and '_', as @BotFather gives it)"
            )
        return self.telegram_token.strip()

    def listen_address(self) -> tuple[str, int]:
        """Host and port of the HTTP server (webhook, health check, case API)."""
        return listen_address(self.http_listen)

    def admin_verify_key(self) -> VerifyKey:
        """The pinned verify key; every use of a partner key is checked against it."""
        return _verify_key(self.admin_verify_key_text)


def database_url(environ: Mapping[str, str] = os.environ) -> str:
    """GRIEVANCE_DATABASE_URL, else the SQLite file in GRIEVANCE_DATA_DIR; one must be set."""
    from storage.db import DatabaseNotConfigured, database_url_from_env

    try:
        return database_url_from_env(environ)
    except DatabaseNotConfigured as exc:
        raise UserError(str(exc)) from exc


def admin_verify_key(environ: Mapping[str, str] = os.environ) -> VerifyKey:
    """GRIEVANCE_ADMIN_VERIFY_KEY, parsed."""
    return _verify_key(environ.get(VERIFY_KEY_VARIABLE) or None)


def retention_days(environ: Mapping[str, str] = os.environ) -> int:
    """GRIEVANCE_RETENTION_DAYS, a whole number of days (365 unless set)."""
    return _whole_number(
        environ, RETENTION_VARIABLE, DEFAULT_RETENTION_DAYS, MAX_RETENTION_DAYS, "days"
    )


def log_level(environ: Mapping[str, str] = os.environ) -> str:
    """GRIEVANCE_LOG_LEVEL, one of DEBUG, INFO, WARNING, ERROR (INFO unless set)."""
    raw = (environ.get(LOG_LEVEL_VARIABLE) or "INFO").strip()
    if raw.upper() not in LOG_LEVELS:
        raise UserError(
            f"{LOG_LEVEL_VARIABLE} must be one of {', '.join(LOG_LEVELS)}, not {shown(raw)}"
        )
    return raw.upper()


def listen_address(text: str) -> tuple[str, int]:
    """HOST:PORT (IPv6 hosts in brackets) as a host and a port number."""
    host, _, port = text.strip().rpartition(":")
    host = host.strip("[]")
    if not host or not (port.isascii() and port.isdigit()) or not 0 <= int(port) < 65536:
        raise UserError(
            f"{LISTEN_VARIABLE} must be HOST:PORT, e.g. {DEFAULT_LISTEN}, not {shown(text)}"
        )
    return host, int(port)


def _verify_key(text: str | None) -> VerifyKey:
    from crypto.errors import InvalidKeyText
    from crypto.keys import parse_verify_key

    if text is None:
        raise UserError(
            f"{VERIFY_KEY_VARIABLE} is not set: pin the verify key that "
            "'grievance admin keygen' printed"
        )
    try:
        return parse_verify_key(text.strip())
    except InvalidKeyText as exc:
        raise UserError(f"{VERIFY_KEY_VARIABLE}: {exc}") from exc


def _whole_number(
    environ: Mapping[str, str], name: str, default: int, maximum: int, unit: str
) -> int:
    raw = (environ.get(name) or "").strip()
    if not raw:
        return default
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= maximum:
        raise UserError(
            f"{name} must be a whole number of {unit} from 1 to {maximum}, not {shown(raw)}"
        )
    return int(raw)


def shown(value: str, limit: int = 40) -> str:
    """A setting's value quoted for a message: control characters escaped, long values cut."""
    return repr(value if len(value) <= limit else value[:limit] + "…")
