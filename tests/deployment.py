"""A whole deployment for end-to-end tests: database, keys, a partner, a site, the running bot."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import socket
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fake_bot_api import JSON, FakeBotAPI, FakeMessage, FakeUser
from PIL import ExifTags, Image
from sqlalchemy import func, select
from telegram.ext import AIORateLimiter

from bot import admin, logs
from bot.config import Config
from bot.database import open_database
from bot.service import Service, running_bot
from crypto.envelope import Context, Envelope, open_envelope
from crypto.keys import (
    PrivateKey,
    SigningKey,
    key_id,
    new_partner_key,
    new_signing_key,
    verify_key_text,
)
from crypto.payloads import decode_attachment, decode_message, decode_report
from handlers.i18n import language_name, translator
from handlers.questionnaire import load_default
from storage import cases, partners
from storage.migrate import upgrade_to_head
from storage.models import Case
from vocabulary import Author, Purpose

TOKEN = "987654321:SENTINEL-TOKEN-abcdefghijklmnopqrstuvwxyz"
GPS_DATUM = "SENTINEL-GPS-DATUM"


@dataclass
class Deployment:
    """Everything a test needs to look at after the fact."""

    api: FakeBotAPI
    service: Service
    partner_key: PrivateKey
    log: io.StringIO
    database_url: str
    signing_key: SigningKey | None = None
    """The administrators' signing key (to rotate or revoke the partner's key mid-test)."""


async def register_partner(url: str, signing_key: SigningKey, partner_key: PrivateKey) -> None:
    """The administrators' setup: one partner for Thailand, one site, emergency contacts."""
    signer = admin.signing.Signer(signing_key)
    await upgrade_to_head(url)  # as the operator does with `grievance db upgrade` (PostgreSQL)
    async with open_database(url) as sessions, sessions() as session, session.begin():
        await admin.partners.add_partner(
            session, signer, "mekong-workers", "Mekong Workers", partner_key.public_key, ["TH"]
        )
        await admin.sites.add_site(session, "lamphun-2", "Lamphun Plant 2", "TH", "mekong-workers")
        await admin.partners.set_emergency_contacts(
            session, "mekong-workers", "Hotline 1300 (24 hours)"
        )


@contextlib.asynccontextmanager
async def deployment(
    database_url: str,
    data_dir: str,
    config_changes: Mapping[str, Any] | None = None,
    **overrides: Any,
) -> AsyncIterator[Deployment]:
    """A running bot talking to a stand-in Bot API, with every log line captured at DEBUG.

    `config_changes` replaces fields of the `Config` (e.g. `webhook_url` and `http_listen`).
    """
    signing_key, partner_key = new_signing_key(), new_partner_key()
    await register_partner(database_url, signing_key, partner_key)
    log = io.StringIO()
    logs.configure("DEBUG", secrets=(TOKEN,), stream=log)
    async with FakeBotAPI(token=TOKEN) as api:
        config = Config(
            data_dir=Path(data_dir),
            database_url=database_url,
            admin_verify_key_text=verify_key_text(signing_key.verify_key),
            telegram_token=TOKEN,
            telegram_api_url=api.base_url.removesuffix("/bot"),
            http_listen="127.0.0.1:0",
            log_level="DEBUG",
        )
        if config_changes:
            config = dataclasses.replace(config, **config_changes)
        limiter = AIORateLimiter(overall_max_rate=0, group_max_rate=0, max_retries=2)
        async with running_bot(
            config, rate_limiter=limiter, poll_timeout=1, **overrides
        ) as service:
            yield Deployment(api, service, partner_key, log, database_url, signing_key)


def phone_photo() -> bytes:
    """A JPEG as a phone takes it: GPS position, owner and camera serial in EXIF."""
    image = Image.new("RGB", (64, 48), (10, 120, 200))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "SentinelPhone"
    exif[ExifTags.Base.BodySerialNumber] = "SENTINEL-SERIAL-42"
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (18.0, 34.0, 12.0),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (99.0, 0.0, 30.0),
        ExifTags.GPS.GPSMapDatum: GPS_DATUM,
    }
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def voice_note() -> bytes:
    """A minimal OGG/Opus voice note: an identification header page, then some audio bytes."""
    head = b"OpusHead" + bytes([1, 1]) + b"\x38\x01" + b"\x80\xbb\x00\x00" + b"\x00\x00" + b"\x00"
    page = (
        b"OggS"
        + bytes([0, 2])
        + b"\x00" * 8
        + b"\x01\x00\x00\x00"
        + b"\x00\x00\x00\x00"
        + b"\x00\x00\x00\x00"
        + bytes([1, len(head)])
        + head
    )
    return page + b"OggS" + b"\x00" * 40 + b"voice-bytes"


async def decrypt_cases(url: str, partner_key: PrivateKey) -> list[dict[str, Any]]:
    """Every stored case, opened as the caseworker's desk will: the report and its files."""
    opened = []
    async with open_database(url) as sessions, sessions() as session:
        for partner in await partners.list_partners(session):
            for case in await cases.list_cases(session, partner.id, with_entries=True):
                report: dict[str, Any] = {}
                files = []
                messages: list[tuple[str, str]] = []
                for entry in case.entries:
                    envelope = Envelope(entry.body, {w.key_id: w.sealed_key for w in entry.wraps})
                    purpose, author = Purpose(entry.purpose.value), Author(entry.author.value)
                    context = Context(case.id, entry.id, purpose, author)
                    plaintext = open_envelope(envelope, context, partner_key)
                    if entry.purpose.value == "report":
                        report = decode_report(plaintext)
                    elif entry.purpose.value == "attachment":
                        files.append(decode_attachment(plaintext))
                    else:
                        messages.append((entry.purpose.value, decode_message(plaintext)))
                opened.append(
                    {"case": case, "report": report, "files": files, "messages": messages}
                )
    return opened


def dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


# Helpers for the bad-input, webhook and commit-failure tests -----------------------------------

WALK_TEXT = "SENTINEL-WALK the line leader shouted at us and cut our overtime pay"
"""What `walk_to` answers at "What happened?"."""
WALK_STEPS = (
    "language",
    "safety",
    "consent",
    "site",
    "categories",
    "danger",
    "what_happened",
    "since_when",
    "workers_affected",
    "evidence",
    "outcome",
    "review",
)
"""The steps a worker at the one covered workplace goes through (the only country is skipped)."""


async def walk_to(
    worker: FakeUser, until: str, language: str = "en", what_happened: str = WALK_TEXT
) -> FakeMessage:
    """From /start, answer every step in `language` until the prompt of step `until` arrives.

    Returns that prompt. Answers: the first site, "Wages and deductions", not in danger,
    `what_happened`, "This month", 12 workers, no evidence, no wanted outcome.
    """
    await worker.send_command("/start")
    picker = await worker.wait_for_bot_message(
        lambda m: language_name(language) in m.button_texts()
    )
    if until == "language":
        return picker
    return await walk_on(worker, "language", picker, until, language, what_happened)


async def walk_on(
    worker: FakeUser,
    step: str,
    prompt: FakeMessage,
    until: str,
    language: str = "en",
    what_happened: str = WALK_TEXT,
) -> FakeMessage:
    """Answer `step` (whose question is `prompt`) and the steps after it, as `walk_to` does,
    until the prompt of step `until` arrives; returns that prompt."""
    if step not in WALK_STEPS or until not in WALK_STEPS:
        raise ValueError(f"unknown step {step!r} or {until!r}")
    if WALK_STEPS.index(until) <= WALK_STEPS.index(step):
        raise ValueError(f"{until!r} does not come after {step!r}")
    _ = translator(language).gettext
    prompts = {s.id: _(s.prompt) for s in load_default().steps}
    for following in WALK_STEPS[WALK_STEPS.index(step) + 1 :]:
        await _answer(worker, step, prompt, language, what_happened)
        prompt = await worker.wait_for_bot_message(
            lambda m, text=prompts[following]: text in (m.text or "")
        )
        if following == until:
            return prompt
        step = following
    raise AssertionError("unreachable")


async def _answer(
    worker: FakeUser, step: str, message: FakeMessage, language: str, what_happened: str
) -> None:
    _ = translator(language).gettext
    if step == "language":
        await worker.press(language_name(language), message)
    elif step == "safety":
        await worker.press(_("I have read this"), message)
    elif step == "consent":
        await worker.press(_("Yes, continue"), message)
    elif step == "site":
        await worker.press("Lamphun Plant 2", message)
    elif step == "categories":
        await worker.press("▫️ " + _("Wages and deductions"), message)
        ticked = "✅ " + _("Wages and deductions")
        await worker.wait_until(lambda: ticked in message.button_texts())
        await worker.press(_("Done"), message)
    elif step == "danger":
        await worker.press(_("No"), message)
    elif step == "what_happened":
        await worker.send_text(what_happened)
    elif step == "since_when":
        await worker.press(_("This month"), message)
    elif step == "workers_affected":
        await worker.send_text("12")
    elif step in {"evidence", "outcome"}:
        await worker.press(_("Done"), message)


async def revoke_partner_key(running: Deployment) -> None:
    """The administrators revoke the partner's only key: no report can be sealed to it."""
    assert running.signing_key is not None
    signer = admin.signing.Signer(running.signing_key)
    revoked = key_id(bytes(running.partner_key.public_key))
    async with (
        open_database(running.database_url) as sessions,
        sessions() as session,
        session.begin(),
    ):
        await admin.partners.revoke_key(session, signer, "mekong-workers", revoked, force=True)


async def count_cases(url: str) -> int:
    """Rows of the `cases` table: what a database dump would hold."""
    async with open_database(url) as sessions, sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Case)) or 0)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def send_raw_message(worker: FakeUser, content: JSON) -> int:
    """A message of any kind the stand-in has no helper for (dice, poll, audio, venue...).

    `content` holds the kind-specific fields as Telegram sends them; returns the message id.
    """
    return worker._send(content)


def send_raw_update(api: FakeBotAPI, kind: str, payload: JSON, chat_id: int) -> int:
    """Any update (a group message, a reaction, a chat member change); returns its update id."""
    return api._enqueue(kind, payload, chat_id)


def drop_pending_updates(api: FakeBotAPI) -> None:
    """Forget every update not yet confirmed, as if Telegram had dropped them (24 hours on)."""
    api._pending.clear()
