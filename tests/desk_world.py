"""What the desk's tests stand on: the real case API server, a partner registered by the
administrators, its key file on the "laptop", a credential, and cases sealed as the bot seals
them. The desk itself is run through `grievance desk ...` (bot.cli.main), as a caseworker runs it.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import secrets
import subprocess
import sys
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from casework import ServedApp
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import admin
from bot.cli import main
from bot.database import open_database
from bot.http.server import make_app
from crypto.envelope import Context, Envelope, open_envelope, seal
from crypto.ids import new_case_id, new_entry_id
from crypto.keyfile import KdfParams, write_partner_key
from crypto.keys import PrivateKey, PublicKey, key_id, new_partner_key, new_signing_key
from crypto.payloads import AttachmentHeader, encode_attachment, encode_message, encode_report
from storage import cases, partners
from storage.migrate import upgrade_to_head
from vocabulary import DEFAULT_QUESTIONNAIRE_ROLES, Author, CaseStatus, Purpose

Sessions = async_sessionmaker[AsyncSession]
PASSPHRASE = "the caseworker's passphrase"
FAST_KDF = KdfParams(opslimit=1, memlimit=8192)
"""Argon2id at its minimum for test key files: the format is the same, only the cost differs."""
SLUG = "mekong-workers"
GRIEVANCE = [sys.executable, "-m", "bot.cli"]


@dataclass
class Ran:
    """What a command left: its exit status and what it printed."""

    status: int
    out: str
    err: str


@dataclass
class Sealed:
    """A case as stored, with what only the worker holds (their case key)."""

    id: str
    worker_key: PrivateKey
    entry_ids: list[str] = field(default_factory=list)


@dataclass
class DeskWorld:
    """A partner, its key on disk, a credential and the running API; the desk aims at it."""

    url: str
    sessions: Sessions
    signer: admin.signing.Signer
    partner_key: PrivateKey
    key_file: Path
    token: str
    folder: Path

    def connect(self) -> list[str]:
        return ["--server", self.url, "--token", self.token]

    async def desk(self, *argv: str, key: Path | Sequence[Path] | None = None) -> Ran:
        """`grievance desk ARGV` with this world's server and token (and key files if given)."""
        keys = [key] if isinstance(key, Path) else list(key or [])
        args = ["desk", *argv, *self.connect()]
        for path in keys:
            args += ["--key", str(path)]
        return await run_cli(args)

    def key_file_for(self, key: PrivateKey, name: str) -> Path:
        """Another key file on the caseworker's laptop (e.g. the new key after a rotation)."""
        return write_key_file(self.folder / name, key)


def write_key_file(path: Path, key: PrivateKey) -> Path:
    write_partner_key(path, key, PASSPHRASE, FAST_KDF)
    return path


async def run_cli(argv: Sequence[str]) -> Ran:
    """`grievance ARGV` in a worker thread (the command runs its own event loop there)."""
    return await asyncio.to_thread(_main, list(argv))


def _main(argv: list[str]) -> Ran:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(argv)
        except SystemExit as exc:  # argparse's usage errors
            status = int(exc.code or 0)
    return Ran(status, out.getvalue(), err.getvalue())


async def run_subprocess(argv: Sequence[str], env: dict[str, str], cwd: Path) -> Ran:
    """`grievance ARGV` as its own process, with only the GRIEVANCE_* variables given.

    Waited for in a thread: the server under test runs on this event loop and must answer."""
    return await asyncio.to_thread(_subprocess, list(argv), env, cwd)


def _subprocess(argv: list[str], env: dict[str, str], cwd: Path) -> Ran:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GRIEVANCE_")}
    result = subprocess.run(
        [*GRIEVANCE, *argv],
        capture_output=True,
        text=True,
        env={**clean, **env},
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    return Ran(result.returncode, result.stdout, result.stderr)


@contextlib.asynccontextmanager
async def api_server(sessions: Sessions) -> AsyncIterator[str]:
    """The HTTP server of `grievance serve` (health check and case API); yields its URL."""
    server = ServedApp(make_app(sessions=sessions), host="127.0.0.1")
    await server.start_server()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        await server.close()


DESK_VARIABLES = (
    "GRIEVANCE_SERVER",
    "GRIEVANCE_TOKEN",
    "GRIEVANCE_KEY_FILE",
    "GRIEVANCE_ADMIN_VERIFY_KEY",
)


@contextlib.asynccontextmanager
async def desk_world_for_commands(
    database_url: str, folder: Path, monkeypatch: Any
) -> AsyncIterator[DeskWorld]:
    """desk_world, for tests that run the desk's commands: none of the caller's GRIEVANCE_*
    settings leak in, and the key file's passphrase comes from the environment."""
    for variable in DESK_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("GRIEVANCE_PASSPHRASE", PASSPHRASE)
    async with desk_world(database_url, folder) as world:
        yield world


@contextlib.asynccontextmanager
async def desk_world(database_url: str, folder: Path) -> AsyncIterator[DeskWorld]:
    """A registered partner with a credential, its key file, and the API running."""
    await upgrade_to_head(database_url)  # as `grievance db upgrade` does on PostgreSQL
    async with open_database(database_url) as sessions:
        signer = admin.signing.Signer(new_signing_key())
        partner_key = new_partner_key()
        async with sessions() as session, session.begin():
            await admin.partners.add_partner(
                session, signer, SLUG, "Mekong Workers", partner_key.public_key, ["TH"]
            )
            issued = await admin.credentials.issue(session, SLUG, "test laptop")
        key_file = write_key_file(folder / "partner.key", partner_key)
        async with api_server(sessions) as url:
            yield DeskWorld(
                url, sessions, signer, partner_key, key_file, issued.credential.token, folder
            )


# Cases, sealed as bot/intake/submission.py seals them -------------------------------------------


def report_payload(
    text: str,
    *,
    language: str = "en",
    danger: bool = False,
    categories: Iterable[tuple[str, str]] = (("wages", "Wages and deductions"),),
    workplace: str = "Lamphun Plant 2",
    attachments: Sequence[dict[str, str]] = (),
    site: str = "lamphun-2",
    country: tuple[str, str] = ("TH", "Thailand"),
    roles: Mapping[str, str] | None = DEFAULT_QUESTIONNAIRE_ROLES,
) -> bytes:
    """A report as the engine writes it: option ids in `answers`, English words in `readable`;
    `roles` None for one as sealed before reports named their roles."""
    chosen = list(categories)
    answers: dict[str, Any] = {
        "country": country[0],
        "site": site,
        "categories": [option for option, _ in chosen],
        "danger": "yes" if danger else "no",
        "what_happened": {"text": text},
        "since_when": "this_month",
        "workers_affected": 12,
        "evidence": len(attachments),
    }
    readable = {
        "country": {"question": "Country", "answer": country[1]},
        "site": {"question": "Workplace", "answer": workplace},
        "categories": {"question": "Problem", "answer": ", ".join(label for _, label in chosen)},
        "danger": {"question": "Danger now", "answer": "Yes" if danger else "No"},
        "what_happened": {"question": "What happened", "answer": text},
        "since_when": {"question": "When", "answer": "This month"},
        "workers_affected": {"question": "Workers affected", "answer": "12"},
        "evidence": {"question": "Evidence", "answer": f"{len(attachments)} files"},
    }
    payload = encode_report(
        "default", 1, language, answers, readable, list(attachments), roles or {}
    )
    if roles is not None:
        return payload
    document = json.loads(payload)
    del document["roles"]
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def sealed_entry(
    case_id: str,
    purpose: Purpose,
    plaintext: bytes,
    to: Sequence[PublicKey],
    entry_id: str | None = None,
) -> cases.NewEntry:
    entry_id = entry_id or new_entry_id()
    envelope = seal(plaintext, Context(case_id, entry_id, purpose), to)
    author = Author.CASEWORKER if purpose in {Purpose.REPLY, Purpose.NOTE} else Author.WORKER
    return cases.NewEntry(
        entry_id, Purpose(purpose.value), author, envelope.body, dict(envelope.wraps)
    )


async def store_report(
    sessions: Sessions,
    partner_key: PublicKey,
    text: str,
    *,
    files: Sequence[tuple[AttachmentHeader, bytes]] = (),
    status: CaseStatus = CaseStatus.NEW,
    slug: str = SLUG,
    **report: Any,
) -> Sealed:
    """A worker's report with its files, committed as one case; the worker's key drawn at random
    (the server cannot tell it from one derived from a receipt)."""
    case_id, worker_key = new_case_id(), new_partner_key()
    entries, listed = [], []
    for header, data in files:
        entry = sealed_entry(
            case_id, Purpose.ATTACHMENT, encode_attachment(header, data), [partner_key]
        )
        entries.append(entry)
        listed.append({"entry_id": entry.id, "step": header.step, "kind": header.kind})
    payload = report_payload(text, attachments=listed, **report)
    entries.insert(0, sealed_entry(case_id, Purpose.REPORT, payload, [partner_key]))
    async with sessions() as session, session.begin():
        partner = await partners.get_partner(session, slug)
        case = await cases.create_case(
            session, case_id, partner.id, bytes(worker_key.public_key), secrets.token_bytes(32),
            entries,
        )  # fmt: skip
        if status != CaseStatus.NEW:
            await cases.set_status(session, case, status)
    return Sealed(case_id, worker_key, [entry.id for entry in entries])


async def add_follow_up(
    sessions: Sessions, partner_key: PublicKey, case_id: str, text: str, language: str
) -> None:
    """What /status does when the worker adds information."""
    async with sessions() as session, session.begin():
        (partner,) = await partners.list_partners(session)
        case = await cases.get_case(session, partner.id, case_id)
        entry = sealed_entry(
            case_id, Purpose.FOLLOW_UP, encode_message(text, language), [partner_key]
        )
        await cases.add_entry(session, case, entry)


async def add_follow_up_file(
    sessions: Sessions, partner_key: PublicKey, case_id: str, header: AttachmentHeader, data: bytes
) -> None:
    """What /status does when the worker sends a file as a follow-up."""
    async with sessions() as session, session.begin():
        (partner,) = await partners.list_partners(session)
        case = await cases.get_case(session, partner.id, case_id)
        entry = sealed_entry(
            case_id, Purpose.ATTACHMENT, encode_attachment(header, data), [partner_key]
        )
        await cases.add_entry(session, case, entry)


async def stored_entries(sessions: Sessions, case_id: str) -> list[Any]:
    """The entries of a case as the database holds them (wraps loaded)."""
    async with sessions() as session:
        (partner,) = await partners.list_partners(session)
        case = await cases.get_case(session, partner.id, case_id)
        return list(case.entries)


def open_stored(case_id: str, entry: Any, key: PrivateKey) -> bytes:
    """Open a stored entry with `key` (DecryptionError if it was not sealed to it)."""
    envelope = Envelope(entry.body, {w.key_id: w.sealed_key for w in entry.wraps})
    context = Context(case_id, entry.id, Purpose(entry.purpose.value))
    return open_envelope(envelope, context, key)


def kid(key: PrivateKey) -> str:
    return key_id(bytes(key.public_key))
