"""Server configuration, read once from the environment.

Nothing here is a secret the server could leak: the administrators' signing key never lives on the
server; only its verify key is pinned here.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from bot.errors import UserError
from crypto.errors import InvalidKeyText
from crypto.keys import VerifyKey, parse_verify_key
from storage.db import DATA_DIR_VARIABLE, DEFAULT_DATA_DIR, database_url_from_env

VERIFY_KEY_VARIABLE: Final = "GRIEVANCE_ADMIN_VERIFY_KEY"
TOKEN_VARIABLE: Final = "GRIEVANCE_TELEGRAM_TOKEN"  # noqa: S105 (a variable name)
DEFAULT_TELEGRAM_API: Final = "https://api.telegram.org"
DEFAULT_LISTEN: Final = "127.0.0.1:8080"
DEFAULT_IDLE_MINUTES: Final = 30
RETENTION_VARIABLE: Final = "GRIEVANCE_RETENTION_DAYS"
DEFAULT_RETENTION_DAYS: Final = 365


@dataclass(frozen=True)
class Config:
    """What the server and the admin commands need to know about their deployment."""

    data_dir: Path
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
        """Read the GRIEVANCE_* variables."""
        return cls(
            data_dir=Path(environ.get(DATA_DIR_VARIABLE) or DEFAULT_DATA_DIR),
            database_url=database_url_from_env(),
            admin_verify_key_text=environ.get(VERIFY_KEY_VARIABLE) or None,
            telegram_token=environ.get(TOKEN_VARIABLE) or None,
            telegram_api_url=(
                environ.get("GRIEVANCE_TELEGRAM_API_URL") or DEFAULT_TELEGRAM_API
            ).rstrip("/"),
            webhook_url=environ.get("GRIEVANCE_WEBHOOK_URL") or None,
            http_listen=environ.get("GRIEVANCE_HTTP_LISTEN") or DEFAULT_LISTEN,
            log_level=environ.get("GRIEVANCE_LOG_LEVEL") or "INFO",
            idle_minutes=_whole_number(
                environ, "GRIEVANCE_CONVERSATION_IDLE_MINUTES", DEFAULT_IDLE_MINUTES
            ),
            retention_days=_whole_number(
                environ, RETENTION_VARIABLE, DEFAULT_RETENTION_DAYS, unit="days"
            ),
        )

    def token(self) -> str:
        """The bot token; serving without one is a mistake said in one line."""
        if not self.telegram_token:
            raise UserError(
                f"{TOKEN_VARIABLE} is not set: give the bot token from @BotFather "
                "(or run 'python3 dev.py demo' for the local sandbox)"
            )
        return self.telegram_token

    def listen_address(self) -> tuple[str, int]:
        """Host and port of the HTTP server (webhook, health check, later the case API)."""
        host, _, port = self.http_listen.rpartition(":")
        if not host or not port.isdigit() or not 0 <= int(port) < 65536:
            raise UserError(f"GRIEVANCE_HTTP_LISTEN must be HOST:PORT, not {self.http_listen!r}")
        return host.strip("[]"), int(port)

    def admin_verify_key(self) -> VerifyKey:
        """The pinned verify key; every use of a partner key is checked against it."""
        if self.admin_verify_key_text is None:
            raise UserError(
                f"{VERIFY_KEY_VARIABLE} is not set: pin the verify key that "
                "'grievance admin keygen' printed"
            )
        try:
            return parse_verify_key(self.admin_verify_key_text)
        except InvalidKeyText as exc:
            raise UserError(f"{VERIFY_KEY_VARIABLE}: {exc}") from exc


def _whole_number(
    environ: Mapping[str, str], name: str, default: int, unit: str = "minutes"
) -> int:
    raw = environ.get(name)
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise UserError(f"{name} must be a whole number of {unit}, not {raw!r}")
    return int(raw)
