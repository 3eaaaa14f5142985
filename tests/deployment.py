"""A whole deployment for end-to-end tests: database, keys, a partner, a site, the running bot."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fake_bot_api import FakeBotAPI
from PIL import ExifTags, Image
from telegram.ext import AIORateLimiter

from bot import admin, logs
from bot.config import Config
from bot.database import open_database
from bot.service import Service, running_bot
from crypto.envelope import Context, Envelope, Purpose, open_envelope
from crypto.keys import PrivateKey, SigningKey, new_partner_key, new_signing_key, verify_key_text
from crypto.payloads import decode_attachment, decode_report
from storage import cases, partners

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


async def register_partner(url: str, signing_key: SigningKey, partner_key: PrivateKey) -> None:
    """The administrators' setup: one partner for Thailand, one site, emergency contacts."""
    signer = admin.Signer(signing_key)
    async with open_database(url) as sessions, sessions() as session, session.begin():
        await admin.add_partner(
            session, signer, "mekong-workers", "Mekong Workers", partner_key.public_key, ["TH"]
        )
        await admin.add_site(session, "lamphun-2", "Lamphun Plant 2", "TH", "mekong-workers")
        await admin.set_emergency_contacts(session, "mekong-workers", "Hotline 1300 (24 hours)")


@contextlib.asynccontextmanager
async def deployment(
    database_url: str, data_dir: str, **overrides: Any
) -> AsyncIterator[Deployment]:
    """A running bot talking to a stand-in Bot API, with every log line captured at DEBUG."""
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
        limiter = AIORateLimiter(overall_max_rate=0, group_max_rate=0, max_retries=2)
        async with running_bot(
            config, rate_limiter=limiter, poll_timeout=1, **overrides
        ) as service:
            yield Deployment(api, service, partner_key, log, database_url)


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
                for entry in case.entries:
                    envelope = Envelope(entry.body, {w.key_id: w.sealed_key for w in entry.wraps})
                    context = Context(case.id, entry.id, Purpose(entry.purpose.value))
                    plaintext = open_envelope(envelope, context, partner_key)
                    if entry.purpose.value == "report":
                        report = decode_report(plaintext)
                    else:
                        files.append(decode_attachment(plaintext))
                opened.append({"case": case, "report": report, "files": files})
    return opened


def dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)
