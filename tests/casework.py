"""Material for case API tests: partners with real signed keys, credentials, and cases sealed
exactly as the bot seals them, plus a client for the running API and a snapshot of every row."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import secrets
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import admin
from bot.cli import main
from bot.http.server import make_app, make_runner
from crypto.envelope import Context, Envelope, open_envelope, rewrap, seal
from crypto.ids import new_case_id, new_entry_id
from crypto.keys import (
    PrivateKey,
    PublicKey,
    key_id,
    new_partner_key,
    new_signing_key,
    verify_key_text,
)
from crypto.payloads import AttachmentHeader, encode_attachment, encode_message, encode_report
from storage import cases, partners
from storage.db import create_engine
from storage.db import session_factory as make_session_factory
from vocabulary import DEFAULT_QUESTIONNAIRE_ROLES, Author, Purpose

Sessions = async_sessionmaker[AsyncSession]
REPORT_TEXT = "SENTINEL-REPORT the supervisor keeps our passports in his drawer"
PHOTO = b"\xff\xd8\xff\xe0SENTINEL-PHOTO-BYTES" + bytes(range(256)) * 8


@dataclass
class World:
    """Two partners, each with a key and a credential, a revoked credential, and one case each.

    Tokens: "own" (a `lead` credential of mekong-workers, which may do everything), "triage"
    (mekong-workers, cannot purge), "other" (pearl-river), "revoked" (mekong-workers, revoked).
    """

    sessions: Sessions
    signer: admin.signing.Signer
    keys: dict[str, PrivateKey]  # partner slug -> its active private key
    tokens: dict[str, str]  # "own", "triage", "other", "revoked" -> token
    credential_ids: dict[str, int]
    case: StoredCase  # partner "mekong-workers"
    other_case: StoredCase  # partner "pearl-river"


@dataclass
class StoredCase:
    """A case as stored, with what only the worker holds (the case key from the receipt)."""

    id: str
    partner: str
    worker_key: PrivateKey
    report_id: str
    attachment_id: str | None


async def register_partner(
    sessions: Sessions, signer: admin.signing.Signer, slug: str, country: str
) -> PrivateKey:
    """A partner registered by the administrators with a signed active key; its private key."""
    key = new_partner_key()
    async with sessions() as session, session.begin():
        await admin.partners.add_partner(
            session, signer, slug, f"{slug} CSO", key.public_key, [country]
        )
    return key


async def rotate(sessions: Sessions, signer: admin.signing.Signer, slug: str) -> PrivateKey:
    """`admin partner rotate`: a new active key; the old one is retired."""
    key = new_partner_key()
    async with sessions() as session, session.begin():
        await admin.partners.rotate_key(session, signer, slug, key.public_key)
    return key


async def issue(
    sessions: Sessions, slug: str, label: str = "", role: str = "triage"
) -> tuple[int, str]:
    """A credential for `slug` (a `triage` one unless told): its id and token."""
    async with sessions() as session, session.begin():
        issued = await admin.credentials.issue(session, slug, label, role)
    return issued.credential.id, issued.credential.token


async def revoke(sessions: Sessions, credential_id: int) -> None:
    async with sessions() as session, session.begin():
        await admin.credentials.revoke(session, credential_id)


def _sealed(
    case_id: str, entry_id: str, purpose: Purpose, plaintext: bytes, to: Sequence[PublicKey]
) -> cases.NewEntry:
    envelope = seal(plaintext, Context(case_id, entry_id, purpose), to)
    author = Author.CASEWORKER if purpose in {Purpose.REPLY, Purpose.NOTE} else Author.WORKER
    return cases.NewEntry(
        entry_id, Purpose(purpose.value), author, envelope.body, dict(envelope.wraps)
    )


async def store_case(
    sessions: Sessions,
    slug: str,
    partner_key: PublicKey,
    text: str = REPORT_TEXT,
    photo: bytes | None = None,
) -> StoredCase:
    """A worker's report (and a photo) sealed to the partner's key and committed, as the bot does.

    The worker's case key is drawn at random instead of from a receipt: the server cannot tell.
    """
    case_id, worker_key = new_case_id(), new_partner_key()
    entries, listed = [], []
    attachment_id = None
    if photo is not None:
        attachment_id = new_entry_id()
        header = AttachmentHeader("photo", "image/jpeg", ".jpg", "evidence")
        entries.append(
            _sealed(
                case_id,
                attachment_id,
                Purpose.ATTACHMENT,
                encode_attachment(header, photo),
                [partner_key],
            )
        )
        listed.append({"entry_id": attachment_id, "step": "evidence", "kind": "photo"})
    report_id = new_entry_id()
    answers = {"what_happened": {"text": text}, "categories": ["passports"]}
    readable = {"what_happened": {"question": "What happened?", "answer": text}}
    report = encode_report(
        "default", 1, "th", answers, readable, listed, DEFAULT_QUESTIONNAIRE_ROLES
    )
    entries.insert(0, _sealed(case_id, report_id, Purpose.REPORT, report, [partner_key]))
    async with sessions() as session, session.begin():
        partner = await partners.get_partner(session, slug)
        await cases.create_case(
            session,
            case_id,
            partner.id,
            bytes(worker_key.public_key),
            secrets.token_bytes(32),
            entries,
        )
    return StoredCase(case_id, slug, worker_key, report_id, attachment_id)


async def make_world(sessions: Sessions, photo: bool = True) -> World:
    """The access matrix's world: mekong-workers (own) and pearl-river (another partner)."""
    signer = admin.signing.Signer(new_signing_key())
    keys = {
        "mekong-workers": await register_partner(sessions, signer, "mekong-workers", "TH"),
        "pearl-river": await register_partner(sessions, signer, "pearl-river", "CN"),
    }
    own_id, own = await issue(sessions, "mekong-workers", "office laptop 1", "lead")
    triage_id, triage = await issue(sessions, "mekong-workers", "office laptop 2")
    other_id, other = await issue(sessions, "pearl-river", "", "lead")
    revoked_id, revoked = await issue(sessions, "mekong-workers", "lost laptop")
    await revoke(sessions, revoked_id)
    case = await store_case(
        sessions,
        "mekong-workers",
        keys["mekong-workers"].public_key,
        photo=PHOTO if photo else None,
    )
    other_case = await store_case(sessions, "pearl-river", keys["pearl-river"].public_key)
    return World(
        sessions,
        signer,
        keys,
        {"own": own, "triage": triage, "other": other, "revoked": revoked},
        {"own": own_id, "triage": triage_id, "other": other_id, "revoked": revoked_id},
        case,
        other_case,
    )


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text_: str) -> bytes:
    return base64.b64decode(text_, validate=True)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def new_message(
    case_id: str, purpose: Purpose, message: str, to: Sequence[PublicKey], entry_id: str = ""
) -> dict[str, Any]:
    """A reply or note as the desk sends it: sealed locally, base64 for the API."""
    entry_id = entry_id or new_entry_id()
    envelope = seal(encode_message(message), Context(case_id, entry_id, purpose), to)
    return {
        "id": entry_id,
        "purpose": purpose.value,
        "body": b64(envelope.body),
        "wraps": {kid: b64(sealed) for kid, sealed in envelope.wraps.items()},
    }


def open_entry(case_id: str, entry: dict[str, Any], key: PrivateKey) -> bytes:
    """Decrypt an entry as the API returned it, with a partner key (as the desk does)."""
    envelope = Envelope(unb64(entry["body"]), {k: unb64(v) for k, v in entry["wraps"].items()})
    return open_envelope(envelope, Context(case_id, entry["id"], Purpose(entry["purpose"])), key)


def rewrapped(
    case_id: str, entry: dict[str, Any], old: PrivateKey, new: PublicKey
) -> dict[str, str]:
    """The desk's re-wrap of one entry: the data key sealed to `new`, base64 per key id."""
    envelope = Envelope(unb64(entry["body"]), {k: unb64(v) for k, v in entry["wraps"].items()})
    context = Context(case_id, entry["id"], Purpose(entry["purpose"]))
    return {kid: b64(sealed) for kid, sealed in rewrap(envelope, context, old, [new]).items()}


def kid(key: PrivateKey | PublicKey) -> str:
    public = key.public_key if isinstance(key, PrivateKey) else key
    return key_id(bytes(public))


class ServedApp(TestServer):
    """aiohttp's test server, running the app as `grievance serve` does (make_runner of
    bot/http/server.py: its access log, no Server header, JSON answers to malformed HTTP)."""

    async def _make_runner(self, **kwargs: Any) -> Any:
        return make_runner(self.app, **kwargs)


@contextlib.asynccontextmanager
async def api_client(sessions: Sessions) -> AsyncIterator[TestClient]:
    """The server of `grievance serve` (health check and case API) with its access log, on a
    free local port."""
    server = ServedApp(make_app(sessions=sessions))
    await server.start_server()
    async with TestClient(server) as client:
        yield client


async def snapshot(sessions: Sessions) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, sorted: to show that a refused request changed nothing."""
    rows: dict[str, list[tuple[Any, ...]]] = {}
    async with sessions() as session:
        connection = await session.connection()
        names = await connection.run_sync(lambda sync: sa_inspect(sync).get_table_names())
        for name in sorted(names):
            result = await session.execute(text(f'SELECT * FROM "{name}"'))
            rows[name] = sorted((tuple(row) for row in result), key=repr)
    return rows


def command_line_deployment(database_url: str, tmp_path: Any, monkeypatch: Any) -> dict[str, Any]:
    """The environment `grievance` commands read, a migrated database, and one partner
    (mekong-workers, Thailand) registered with a signed key. Returns the URL, signer and key."""
    signer = admin.signing.Signer(new_signing_key())
    monkeypatch.setenv("GRIEVANCE_DATABASE_URL", database_url)
    monkeypatch.setenv("GRIEVANCE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("GRIEVANCE_ADMIN_VERIFY_KEY", verify_key_text(signer.signing_key.verify_key))
    assert main(["db", "upgrade"]) == 0

    async def register() -> PrivateKey:
        engine = create_engine(database_url)
        try:
            sessions = make_session_factory(engine)
            return await register_partner(sessions, signer, "mekong-workers", "TH")
        finally:
            await engine.dispose()

    key = asyncio.run(register())
    return {"url": database_url, "signer": signer, "key": key}


def run(capsys: Any, *argv: str) -> tuple[int, str, str]:
    """Run one `grievance` command; return (exit status, stdout, stderr)."""
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def run_json(capsys: Any, *argv: str) -> Any:
    """Run one command with --json; it must succeed."""
    status, out, err = run(capsys, *argv, "--json")
    assert status == 0, err
    return json.loads(out)
