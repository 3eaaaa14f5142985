"""A partner's queue as the bot makes it, and the real case API serving it (127.0.0.1 only).

`prepare` seals `count` reports to a new partner key, as the bot seals them (the answers, their
English words, the worker's text in several languages and lengths; one in five with a photo,
one in ten with a follow-up, a reply and a note; days over a year; statuses and danger mixed),
and inserts them through `storage` into SQLite. The worker's case key is drawn at random rather
than derived from a receipt (one Argon2id run each would take 15 minutes; the server cannot
tell the difference). The key file has its real Argon2id cost. `serve` is the case API
(`bot.http.server.make_app`) in a process of its own, as on a server: desk and server do not share
a core or a GIL. The reports' plaintexts and sealed parts are kept for the bare loops.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import random
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from aiohttp import web
from sqlalchemy import insert

from bot import admin
from bot.database import open_database
from bot.http.server import make_app, runner_options
from crypto.envelope import Context, seal
from crypto.ids import new_case_id, new_entry_id
from crypto.keyfile import write_partner_key
from crypto.keys import PublicKey, new_partner_key, new_signing_key
from crypto.payloads import AttachmentHeader, encode_attachment, encode_message, encode_report
from storage import partners
from storage.models import Case, CaseEntry, Wrap
from vocabulary import DEFAULT_QUESTIONNAIRE_ROLES, Purpose

SLUG = "mekong-workers"
PASSPHRASE = "bench passphrase, throwaway keys"
START_TIMEOUT = 60
TEXTS = {
    "en": "My wages were cut by 2000 baht in October and the supervisor says it is for the "
    "dormitory, but nobody signed anything. Whoever complains will not get overtime.",
    "th": "ค่าจ้างของฉันถูกหักไป 2000 บาทในเดือนตุลาคม หัวหน้างานบอกว่าเป็นค่าหอพัก แต่ไม่มีใครเซ็นอะไรเลย",
    "my": "အောက်တိုဘာလတွင် ကျွန်ုပ်၏လုပ်ခ ဘတ် ၂၀၀၀ ဖြတ်တောက်ခံရသည်။ ကြီးကြပ်ရေးမှူးက အဆောင်ခအတွက်ဟုဆိုသည်။",
    "zh_Hans": "十月份我的工资被扣了2000泰铢\uff0c主管说是宿舍费\uff0c"
    "但是没有人签过任何东西。谁投诉就没有加班。",
}
CATEGORIES = [
    ("forced_labour", "Forced labour, recruitment fees or documents taken"),
    ("wages", "Wages and deductions"),
    ("hours", "Working hours or forced overtime"),
    ("health_safety", "Health and safety or chemicals"),
    ("harassment", "Harassment or abuse"),
    ("contracts", "Contracts, agency work or dismissal"),
]
STATUSES = (
    ["new"] * 5
    + ["acknowledged", "investigating", "investigating", "remediation"]
    + [
        "resolved",
        "closed",
    ]
)


# Making the queue -------------------------------------------------------------------------------


def _report(rng: random.Random, attachments: list[dict[str, str]]) -> tuple[bytes, bool]:
    language = rng.choice(list(TEXTS))
    # Most workers write a few sentences; some write pages (up to the 3,500-character cap).
    text = " ".join([TEXTS[language]] * rng.choice((1, 1, 1, 1, 2, 2, 3, 5, 8, 20)))[:3500]
    chosen = rng.sample(CATEGORIES, rng.randint(1, 3))
    danger = rng.random() < 0.05
    answers: dict[str, Any] = {
        "country": "TH",
        "site": "lamphun-2",
        "categories": [option for option, _ in chosen],
        "danger": "yes" if danger else "no",
        "what_happened": {"text": text},
        "since_when": "this_month",
        "workers_affected": rng.randint(1, 400),
        "evidence": len(attachments),
        "outcome": ["stop", "paid"],
    }
    readable = {
        "country": {"question": "Country", "answer": "Thailand"},
        "site": {"question": "Workplace", "answer": "Lamphun Plant 2"},
        "categories": {"question": "Problem", "answer": ", ".join(label for _, label in chosen)},
        "danger": {"question": "Danger now", "answer": "Yes" if danger else "No"},
        "what_happened": {"question": "What happened", "answer": text},
        "since_when": {"question": "When", "answer": "This month"},
        "workers_affected": {
            "question": "Workers affected",
            "answer": str(answers["workers_affected"]),
        },
        "evidence": {"question": "Evidence", "answer": f"{len(attachments)} files"},
        "outcome": {
            "question": "Wanted outcome",
            "answer": "Stop the problem, Get the money I am owed",
        },
    }
    report = encode_report(
        "default", 1, language, answers, readable, attachments, DEFAULT_QUESTIONNAIRE_ROLES
    )
    return report, danger


@dataclass(frozen=True)
class SealedReport:
    """One report as the desk receives it, for the bare loops: its context and sealed parts."""

    case_id: str
    entry_id: str
    plaintext: bytes
    body: bytes
    wrap: bytes
    """The data key sealed to the partner's key (crypto_box_seal)."""


@dataclass(frozen=True)
class Rows:
    cases: list[dict[str, Any]]
    entries: list[dict[str, Any]]
    wraps: list[dict[str, Any]]
    reports: list[SealedReport]


def make_rows(count: int, partner_id: int, partner_key: PublicKey, seed: int) -> Rows:
    """Rows for `cases`, `case_entries` and `wraps`, sealed as the bot and the desk seal them."""
    rng = random.Random(seed)
    photo = secrets.token_bytes(30_000)  # stands in for a re-encoded JPEG: ciphertext is opaque
    today = date.today()
    rows = Rows([], [], [], [])
    for _ in range(count):
        case_id = new_case_id()
        worker = new_partner_key().public_key
        created = today - timedelta(days=rng.randint(0, 364))
        updated = min(today, created + timedelta(days=rng.randint(0, 30)))
        entries: list[tuple[Purpose, bytes, list[PublicKey], str]] = []
        listed = []
        if rng.random() < 0.2:
            entry_id = new_entry_id()
            header = AttachmentHeader("photo", "image/jpeg", ".jpg", "evidence")
            listed.append({"entry_id": entry_id, "step": "evidence", "kind": "photo"})
            entries.append((Purpose.ATTACHMENT, encode_attachment(header, photo), [partner_key],
                            entry_id))  # fmt: skip
        report, _danger = _report(rng, listed)
        entries.insert(0, (Purpose.REPORT, report, [partner_key], new_entry_id()))
        if rng.random() < 0.1:
            entries.append((Purpose.FOLLOW_UP, encode_message("It happened again.", "en"),
                            [partner_key], new_entry_id()))  # fmt: skip
            entries.append((Purpose.REPLY, encode_message("We are looking into it."),
                            [partner_key, worker], new_entry_id()))  # fmt: skip
            entries.append((Purpose.NOTE, encode_message("Agency: Siam Staffing."),
                            [partner_key], new_entry_id()))  # fmt: skip
        rows.cases.append(
            {
                "id": case_id,
                "partner_id": partner_id,
                "status": rng.choice(STATUSES),
                "created_day": created,
                "updated_day": updated,
                "worker_public_key": bytes(worker),
                "lookup_id": secrets.token_bytes(32),
            }
        )
        for seq, (purpose, plaintext, recipients, entry_id) in enumerate(entries, start=1):
            envelope = seal(plaintext, Context(case_id, entry_id, purpose), recipients)
            author = "caseworker" if purpose in {Purpose.REPLY, Purpose.NOTE} else "worker"
            rows.entries.append(
                {
                    "id": entry_id,
                    "case_id": case_id,
                    "seq": seq,
                    "purpose": purpose.value,
                    "author": author,
                    "created_day": created,
                    "body": envelope.body,
                }
            )
            rows.wraps.extend(
                {"entry_id": entry_id, "key_id": kid, "sealed_key": sealed}
                for kid, sealed in envelope.wraps.items()
            )
            if purpose is Purpose.REPORT:
                [wrap] = envelope.wraps.values()
                rows.reports.append(SealedReport(case_id, entry_id, plaintext, envelope.body, wrap))
    return rows


@dataclass(frozen=True)
class Made:
    """A queue in a database: the key file, a credential's token, what was stored."""

    key_file: Path
    token: str
    reports: list[SealedReport]
    entries: int
    attachments: int
    ciphertext_bytes: int
    sealed_in: float
    inserted_in: float

    def describe(self) -> str:
        return (
            f"{len(self.reports)} cases, {self.entries} entries ({self.attachments} photos), "
            f"{self.ciphertext_bytes / 1e6:.1f} MB of ciphertext; sealed in "
            f"{self.sealed_in:.1f} s, inserted in {self.inserted_in:.1f} s"
        )


async def prepare(url: str, folder: Path, count: int, seed: int) -> Made:
    """The partner, its key file (real Argon2id cost), a credential and `count` cases."""
    partner_key = new_partner_key()
    key_file = folder / "partner.key"
    write_partner_key(key_file, partner_key, PASSPHRASE)
    async with open_database(url) as sessions:
        async with sessions() as session, session.begin():
            signer = admin.signing.Signer(new_signing_key())
            await admin.partners.add_partner(session, signer, SLUG, "Mekong Workers",
                                             partner_key.public_key, ["TH"])  # fmt: skip
            token = (await admin.credentials.issue(session, SLUG, "bench")).credential.token
            partner_id = (await partners.get_partner(session, SLUG)).id
        started = time.perf_counter()
        rows = await asyncio.to_thread(make_rows, count, partner_id, partner_key.public_key, seed)
        sealed_in = time.perf_counter() - started
        started = time.perf_counter()
        async with sessions() as session, session.begin():
            for model, batch in ((Case, rows.cases), (CaseEntry, rows.entries), (Wrap, rows.wraps)):
                for start in range(0, len(batch), 5000):
                    await session.execute(insert(model), batch[start : start + 5000])
        inserted_in = time.perf_counter() - started
    return Made(
        key_file=key_file,
        token=token,
        reports=rows.reports,
        entries=len(rows.entries),
        attachments=sum(1 for r in rows.entries if r["purpose"] == "attachment"),
        ciphertext_bytes=sum(len(r["body"]) for r in rows.entries),
        sealed_in=sealed_in,
        inserted_in=inserted_in,
    )


# The server, in a process of its own -------------------------------------------------------------


@dataclass(frozen=True)
class Served:
    url: str
    pid: int


@contextmanager
def served(database_url: str) -> Iterator[Served]:
    """The case API over `database_url` in a spawned process, on a free port of 127.0.0.1."""
    context = multiprocessing.get_context("spawn")
    pipe, child_end = context.Pipe()
    process = context.Process(target=serve, args=(database_url, child_end), daemon=True)
    process.start()
    try:
        if not pipe.poll(START_TIMEOUT):
            raise RuntimeError(f"the API server did not start within {START_TIMEOUT} s")
        assert process.pid is not None
        yield Served(f"http://127.0.0.1:{pipe.recv()}", process.pid)
    finally:
        if process.is_alive():
            pipe.send("stop")
            process.join(10)
        if process.is_alive():
            process.terminate()
            process.join(5)


def serve(url: str, pipe: Connection) -> None:
    """Child process: the case API on a free port until the parent says stop."""
    asyncio.run(_serve(url, pipe))


async def _serve(url: str, pipe: Connection) -> None:
    async with open_database(url) as sessions:
        runner = web.AppRunner(make_app(sessions=sessions), **runner_options())
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        pipe.send(runner.addresses[0][1])
        await asyncio.to_thread(pipe.recv)
        await runner.cleanup()
