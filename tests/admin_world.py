"""What the administrators' command-line tests stand on: a database named by the environment, the
signing key on "removable media" (a file), its verify key pinned, the passphrase given."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from casework import run_json

from bot.cli import main
from crypto.keyfile import KdfParams, write_signing_key
from crypto.keys import (
    PrivateKey,
    new_partner_key,
    new_signing_key,
    partner_key_text,
    verify_key_text,
)
from storage import audit
from storage.db import create_engine, session_factory

PASSPHRASE = "administrators' long passphrase"
FAST = KdfParams(opslimit=1, memlimit=8 * 1024 * 1024)  # tests only; keygen always writes MODERATE


def admin_deployment(
    database_url: str, tmp_path: Path, monkeypatch: Any, capsys: Any
) -> dict[str, Any]:
    """The GRIEVANCE_* variables set for `database_url`, the schema made; returns the signing key
    file, the verify key and the URL."""
    signing_key = new_signing_key()
    key_file = tmp_path / "admin.key"
    write_signing_key(key_file, signing_key, PASSPHRASE, FAST)
    monkeypatch.setenv("GRIEVANCE_DATABASE_URL", database_url)
    monkeypatch.delenv("GRIEVANCE_DATA_DIR", raising=False)
    monkeypatch.setenv("GRIEVANCE_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("GRIEVANCE_ADMIN_VERIFY_KEY", verify_key_text(signing_key.verify_key))
    assert main(["db", "upgrade"]) == 0
    capsys.readouterr()
    return {"signing_key": str(key_file), "verify_key": signing_key.verify_key, "url": database_url}


def add_partner(
    capsys: Any,
    env: dict[str, Any],
    slug: str = "mekong-workers",
    countries: tuple[str, ...] = ("TH",),
    key: PrivateKey | None = None,
) -> tuple[dict[str, Any], PrivateKey]:
    """`grievance admin partner add SLUG` with a fresh key pair; its JSON answer and the key."""
    key = key or new_partner_key()
    args = ["admin", "partner", "add", slug, "--name", f"{slug} CSO"]
    args += ["--public-key", partner_key_text(key.public_key), "--signing-key", env["signing_key"]]
    for country in countries:
        args += ["--country", country]
    return run_json(capsys, *args), key


def audit_events(url: str) -> list[tuple[str, str, str | None]]:
    """(actor, action, subject) of every audit event, oldest first."""

    async def read() -> list[tuple[str, str, str | None]]:
        engine = create_engine(url)
        try:
            async with session_factory(engine)() as session:
                return [(e.actor, e.action, e.subject) for e in await audit.list_events(session)]
        finally:
            await engine.dispose()

    return asyncio.run(read())
