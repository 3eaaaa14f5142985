"""The environment variables `grievance` reads, and what each --help says about them.

Only names here (from modules that load nothing heavy): building the command line must not load
SQLAlchemy, PyNaCl or Telegram.
"""

from __future__ import annotations

from typing import Final

from bot.config import (
    API_URL_VARIABLE,
    DATABASE_VARIABLES,
    IDLE_VARIABLE,
    LISTEN_VARIABLE,
    LOG_LEVEL_VARIABLE,
    RETENTION_VARIABLE,
    SERVE_VARIABLES,
    TOKEN_VARIABLE,
    VERIFY_KEY_VARIABLE,
    WEBHOOK_VARIABLE,
)
from desk.cli.options import ENVIRONMENT as DESK_ENVIRONMENT
from desk.passphrase import PASSPHRASE_VARIABLE
from storage.environment import DATA_DIR_VARIABLE, DATABASE_URL_VARIABLE

MEANINGS: Final = {
    **DESK_ENVIRONMENT,
    DATA_DIR_VARIABLE: "the server's data folder, which holds the SQLite database "
    f"(required unless {DATABASE_URL_VARIABLE} is set)",
    DATABASE_URL_VARIABLE: "a PostgreSQL URL (postgresql://USER@HOST/DB), used instead of "
    "SQLite in the data folder",
    VERIFY_KEY_VARIABLE: "the administrators' verify key (gvk1...), pinned",
    TOKEN_VARIABLE: "the bot token from @BotFather",
    API_URL_VARIABLE: "another Bot API server (default https://api.telegram.org)",
    WEBHOOK_VARIABLE: "public HTTPS base URL for Telegram's webhook (default: long polling)",
    LISTEN_VARIABLE: "HOST:PORT of the HTTP server (default 127.0.0.1:8080)",
    LOG_LEVEL_VARIABLE: "DEBUG, INFO, WARNING or ERROR (default INFO)",
    IDLE_VARIABLE: "minutes after which an unfinished conversation is forgotten (default 30)",
    RETENTION_VARIABLE: "days after which unchanged closed cases are purged (default 365)",
}
DATABASE: Final = DATABASE_VARIABLES
PASSPHRASE: Final = (PASSPHRASE_VARIABLE,)
SIGNING: Final = (*DATABASE, VERIFY_KEY_VARIABLE, PASSPHRASE_VARIABLE)
SERVE: Final = SERVE_VARIABLES
PURGE: Final = (*DATABASE, RETENTION_VARIABLE)
LIST_PARTNERS: Final = (*DATABASE, VERIFY_KEY_VARIABLE)
