"""Server configuration, read once from the environment.

Nothing here is a secret the server could leak: the administrators' signing key never lives on the
server; only its verify key is pinned here.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from bot.errors import UserError
from crypto.errors import InvalidKeyText
from crypto.keys import VerifyKey, parse_verify_key
from storage.db import DATA_DIR_VARIABLE, DEFAULT_DATA_DIR, database_url_from_env

VERIFY_KEY_VARIABLE: Final = "GRIEVANCE_ADMIN_VERIFY_KEY"


@dataclass(frozen=True)
class Config:
    """What the server and the admin commands need to know about their deployment."""

    data_dir: Path
    database_url: str
    admin_verify_key_text: str | None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Config:
        """Read the GRIEVANCE_* variables."""
        return cls(
            data_dir=Path(environ.get(DATA_DIR_VARIABLE) or DEFAULT_DATA_DIR),
            database_url=database_url_from_env(),
            admin_verify_key_text=environ.get(VERIFY_KEY_VARIABLE) or None,
        )

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
