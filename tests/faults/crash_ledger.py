"""What the crash suite checks after every restart, and the figures it reports.

Each worker writes a marker with their user id into "What happened?", so every case the desk
opens names the worker it came from: a case can be tied to its worker even when the kill came
before the worker saw the receipt. Checks are incremental (only cases and receipts new since the
last check are opened), so hundreds of restarts stay cheap.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from desk_world import open_stored
from fake_bot_api import FakeBotAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from bot.intake.receipts import RECEIPT_SALT_SETTING
from crypto.errors import CryptoError
from crypto.keys import PrivateKey, key_id
from crypto.payloads import PayloadError, decode_attachment, decode_report
from crypto.receipts import CaseKeys, derive_case_keys
from storage import settings
from storage.models import Case, CaseEntry, Wrap
from vocabulary import Purpose

MARKER = "SENTINEL-CRASH worker {uid}: the line leader cut our overtime pay"
_MARKER = re.compile(r"SENTINEL-CRASH worker (\d+):")
RECEIPT = re.compile(r"(?<!\d)\d{4}\s\d{4}\s\d{4}\s\d{4}(?!\d)")
CHUNK = 200
"""Cases opened per query (SQLite limits the parameters of one statement)."""
SHOWING = frozenset({"sendMessage", "editMessageText"})
"""Bot API methods that put text on the worker's screen."""


@dataclass
class Figures:
    """The crash suite's figures; the last four must stay 0."""

    kill_points: int = 0
    kill_modes: Counter[str] = field(default_factory=Counter)
    """How the kill was timed: "timed" after the presses, or at a "commit" seen in the database."""
    kills_in_flight: int = 0
    """Kills while at least one pressed Send had not yet shown its receipt."""
    presses: int = 0
    receipts_shown: int = 0
    cases_found: int = 0
    cases_without_receipt: int = 0
    """Committed, but the kill came before the receipt reached the worker (allowed)."""
    photos: int = 0
    orphans: int = 0
    incomplete_cases: int = 0
    receipts_without_case: int = 0
    duplicate_cases: int = 0

    def line(self) -> str:
        return (
            f"{self.kill_points} kill points ({self.kills_in_flight} with a submission in "
            f"flight; {self.kill_modes['timed']} timed, {self.kill_modes['commit']} at a "
            f"commit), {self.presses} Send presses, {self.receipts_shown} receipts shown, "
            f"{self.cases_found} cases found ({self.cases_without_receipt} committed but the "
            f"receipt never shown, {self.photos} photos); orphans {self.orphans}, incomplete "
            f"cases {self.incomplete_cases}, receipts without case "
            f"{self.receipts_without_case}, duplicate cases {self.duplicate_cases}"
        )


@dataclass
class Ledger:
    """Everything the suite knows: the workers of finished runs, the cases, the receipts."""

    sessions: async_sessionmaker[AsyncSession]
    partner_key: PrivateKey
    figures: Figures = field(default_factory=Figures)
    problems: list[str] = field(default_factory=list)
    photos_sent: dict[int, int] = field(default_factory=dict)
    """Worker id -> photos sent, for the workers whose service process was killed."""
    case_worker: dict[str, int | None] = field(default_factory=dict)
    receipts: dict[str, int] = field(default_factory=dict)
    _salt: bytes | None = None
    _scanned: int = 0

    def finish(self, photos_sent: dict[int, int]) -> None:
        """The service process of these workers was killed: their chats are final."""
        self.photos_sent.update(photos_sent)

    async def check(self, api: FakeBotAPI) -> None:
        """Open every new case, follow every new receipt, count orphans: after a restart."""
        new_receipts = self._shown_receipts(api)
        async with self.sessions() as session:
            self.figures.orphans = await _orphans(session)
            if self._salt is None:
                self._salt = await settings.get(session, RECEIPT_SALT_SETTING)
            stored = list(await session.scalars(select(Case.id)))
            new = [case_id for case_id in stored if case_id not in self.case_worker]
            for start in range(0, len(new), CHUNK):
                query = select(Case).where(Case.id.in_(new[start : start + CHUNK]))
                for case in await session.scalars(query.options(selectinload(Case.entries))):
                    self.case_worker[case.id] = self._check_whole(case)
            if new_receipts and self._salt is None:
                raise AssertionError("receipts were shown before the receipt salt existed")
            salt = self._salt or b""
            # One Argon2id run a receipt, as /status does: in threads, side by side.
            derived = await asyncio.gather(
                *(asyncio.to_thread(derive_case_keys, receipt, salt) for receipt in new_receipts)
            )
            for receipt, keys in zip(new_receipts, derived, strict=True):
                self._follow(receipt, await _case_for(session, keys))
        self._tally()

    def _follow(self, receipt: str, found: tuple[str, bytes, bytes] | None) -> None:
        """The receipt's case must exist, be the worker's, and hold the receipt's public key."""
        uid = self.receipts[receipt]
        if found is None:
            self.figures.receipts_without_case += 1
            self.problems.append(f"worker {uid} was shown a receipt that leads to no case")
            return
        case_id, stored_key, derived_key = found
        if self.case_worker.get(case_id) != uid:
            self.figures.receipts_without_case += 1
            self.problems.append(f"worker {uid}'s receipt leads to case {case_id} of another")
        if stored_key != derived_key:
            self.problems.append(f"case {case_id} holds another worker key than its receipt's")

    def _shown_receipts(self, api: FakeBotAPI) -> list[str]:
        """Receipts the stand-in received for a finished worker since the last check."""
        fresh = []
        calls = api.calls[self._scanned :]
        self._scanned += len(calls)
        for call in calls:
            if call.method not in SHOWING:
                continue
            uid = int(call.params.get("chat_id") or 0)
            for receipt in RECEIPT.findall(str(call.params.get("text") or "")):
                digits = receipt.replace(" ", "")
                if uid not in self.photos_sent:
                    raise AssertionError("a receipt for a worker whose run has not ended")
                if digits not in self.receipts:
                    self.receipts[digits] = uid
                    fresh.append(digits)
        return fresh

    def _check_whole(self, case: Case) -> int | None:
        """Report entry, every attachment it lists, a partner wrap on each, all opening."""
        partner_id = key_id(bytes(self.partner_key.public_key))
        missing = [e.id for e in case.entries if partner_id not in {w.key_id for w in e.wraps}]
        reports = [e for e in case.entries if e.purpose == Purpose.REPORT]
        attachments = {e.id: e for e in case.entries if e.purpose == Purpose.ATTACHMENT}
        problems = [f"entries without a wrap for the partner key: {missing}"] if missing else []
        uid = None
        if len(reports) != 1:
            problems.append(f"{len(reports)} report entries")
        else:
            try:
                report = decode_report(open_stored(case.id, reports[0], self.partner_key))
                listed = {str(item["entry_id"]) for item in report["attachments"]}
                for entry_id in listed & set(attachments):
                    decode_attachment(open_stored(case.id, attachments[entry_id], self.partner_key))
                uid = _worker(report)
            except (CryptoError, PayloadError, KeyError, TypeError) as exc:
                problems.append(f"does not open: {type(exc).__name__}")
            else:
                if listed != set(attachments):
                    problems.append(f"lists {sorted(listed)}, holds {sorted(attachments)}")
                if uid is None:
                    problems.append("no worker marker in the report")
                elif self.photos_sent.get(uid) != len(listed):
                    problems.append(
                        f"worker {uid} sent {self.photos_sent.get(uid)} photos, "
                        f"the case holds {len(listed)}"
                    )
        extra = len(case.entries) - len(reports) - len(attachments)
        if extra:
            problems.append(f"{extra} entries that are neither report nor attachment")
        if problems:
            self.figures.incomplete_cases += 1
            self.problems.append(f"case {case.id} is not whole: {'; '.join(problems)}")
        return uid

    def _tally(self) -> None:
        per_worker = Counter(uid for uid in self.case_worker.values() if uid is not None)
        with_receipt = set(self.receipts.values())
        self.figures.cases_found = len(self.case_worker)
        self.figures.receipts_shown = len(self.receipts)
        self.figures.cases_without_receipt = sum(
            count for uid, count in per_worker.items() if uid not in with_receipt
        )
        self.figures.duplicate_cases = sum(count - 1 for count in per_worker.values())
        self.figures.photos = sum(self.photos_sent.get(uid, 0) for uid in per_worker)


def _worker(report: dict[str, Any]) -> int | None:
    text = str((report.get("answers", {}).get("what_happened") or {}).get("text", ""))
    match = _MARKER.search(text)
    return int(match.group(1)) if match else None


async def _case_for(session: AsyncSession, keys: CaseKeys) -> tuple[str, bytes, bytes] | None:
    """Where /status would look: the case of the receipt's lookup id (id, stored public key)."""
    found = (
        await session.execute(
            select(Case.id, Case.worker_public_key).where(Case.lookup_id == keys.lookup_id)
        )
    ).first()
    if found is None:
        return None
    return str(found.id), bytes(found.worker_public_key), bytes(keys.public_key)


async def _orphans(session: AsyncSession) -> int:
    """Entries without their case and wraps without their entry, counted by the database."""
    entries = await session.scalar(
        select(func.count()).select_from(CaseEntry).where(CaseEntry.case_id.not_in(select(Case.id)))
    )
    wraps = await session.scalar(
        select(func.count()).select_from(Wrap).where(Wrap.entry_id.not_in(select(CaseEntry.id)))
    )
    return int(entries or 0) + int(wraps or 0)
