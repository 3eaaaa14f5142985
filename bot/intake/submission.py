"""Submission: route, seal every part to the partner's verified key, commit, then the receipt.

The receipt is returned only after the commit succeeded, so a worker never holds a receipt for a
case that does not exist. Plaintext exists only in memory, for the time it takes to seal it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.intake import receipts
from bot.intake.outage import storage_unavailable_on_error
from bot.intake.signed_keys import NoUsablePartnerKey, sealing_key
from crypto.envelope import Context, seal
from crypto.errors import UntrustedKeyStatement
from crypto.ids import new_entry_id
from crypto.keys import PublicKey, VerifyKey
from crypto.payloads import AttachmentHeader, encode_attachment, encode_report
from crypto.receipts import CaseKeys, new_receipt
from handlers.ports import Directory, Draft, NoRoute, SubmissionFailed
from storage import cases, partners
from storage.errors import AlreadyExists, StorageError
from vocabulary import Author, Purpose

log = logging.getLogger(__name__)

RECEIPT_DRAWS: Final = 3


@dataclass(frozen=True)
class _Sealed:
    lookup_id: bytes
    worker_public_key: bytes
    entries: list[cases.NewEntry]


class StoredSubmitter:
    """Seals drafts to the routed partner's active, signed key and commits them as cases."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        directory: Directory,
        verify_key: VerifyKey,
        salt: bytes,
    ) -> None:
        self._sessions = sessions
        self._directory = directory
        self._verify_key = verify_key
        self._salt = salt

    async def submit(self, draft: Draft) -> str:
        """Commit the draft as a new case and return its receipt.

        The draft brings its case id and receipt, drawn once for it: when an earlier attempt
        was committed but its answer was lost (the commit's acknowledgement, or the reply to the
        worker), this attempt finds that case and returns the same receipt instead of storing a
        second case.
        """
        route = await self._directory.route(draft.country, draft.site)
        if route is None:
            raise NoRoute(draft.country)
        receipt = draft.receipt
        for _draw in range(RECEIPT_DRAWS):
            keys = await receipts.case_keys(receipt, self._salt)
            partner_id, public_key, holder = await self._prepare(route.partner, keys.lookup_id)
            if holder == draft.case_id:
                return receipt
            if holder is None:
                break
            # Another case holds this receipt's lookup id (one in 10^16 per case): draw again.
            receipt = new_receipt()
        else:
            raise SubmissionFailed
        # Sealing megabytes of attachments: in a thread, never on the event loop.
        sealed = await asyncio.to_thread(_seal_draft, draft, public_key, keys)
        try:
            with storage_unavailable_on_error("a report could not be committed", SubmissionFailed):
                async with self._sessions() as session, session.begin():
                    await cases.create_case(
                        session,
                        draft.case_id,
                        partner_id,
                        sealed.worker_public_key,
                        sealed.lookup_id,
                        sealed.entries,
                    )
        except AlreadyExists as exc:
            # This draft's case, committed meanwhile by an attempt whose answer was lost?
            _partner, _key, holder = await self._prepare(route.partner, keys.lookup_id)
            if holder == draft.case_id:
                return receipt
            log.error("a report could not be committed: %s", type(exc).__name__)
            raise SubmissionFailed from exc
        return receipt

    async def _prepare(
        self, partner_slug: str, lookup_id: bytes
    ) -> tuple[int, PublicKey, str | None]:
        """The partner's id and verified key, and the id of the case holding `lookup_id`."""
        try:
            with storage_unavailable_on_error("cannot read the partner directory"):
                async with self._sessions() as session:
                    partner = await partners.get_partner(session, partner_slug)
                    public_key = await sealing_key(session, partner, self._verify_key)
                    holder = await cases.find_case_by_lookup_id(
                        session, lookup_id, with_entries=False
                    )
                    return partner.id, public_key, holder.id if holder is not None else None
        except (NoUsablePartnerKey, UntrustedKeyStatement, StorageError) as exc:
            # Names the partner, never the worker: the administrators must fix the key.
            log.error("refusing a report: %s", exc)
            raise NoRoute(partner_slug) from exc


def _seal_draft(draft: Draft, partner_key: PublicKey, case_keys: CaseKeys) -> _Sealed:
    case_id = draft.case_id
    entries: list[cases.NewEntry] = []
    listed: list[dict[str, str]] = []
    for item in draft.attachments:
        entry_id = new_entry_id()
        header = AttachmentHeader(
            kind=item.attachment.kind.value,
            media_type=item.attachment.media_type,
            suffix=item.attachment.suffix,
            step=item.step,
        )
        plaintext = encode_attachment(header, item.attachment.data)
        entries.append(
            worker_entry(case_id, entry_id, Purpose.ATTACHMENT, plaintext, [partner_key])
        )
        listed.append({"entry_id": entry_id, "step": item.step, "kind": header.kind})
    report = encode_report(
        draft.questionnaire,
        draft.questionnaire_version,
        draft.language,
        draft.answers,
        draft.readable,
        listed,
        draft.roles,
    )
    # The report is the case's first entry; its attachments follow it.
    entries.insert(0, worker_entry(case_id, new_entry_id(), Purpose.REPORT, report, [partner_key]))
    return _Sealed(
        lookup_id=case_keys.lookup_id,
        worker_public_key=bytes(case_keys.public_key),
        entries=entries,
    )


def worker_entry(
    case_id: str,
    entry_id: str,
    purpose: Purpose,
    plaintext: bytes,
    recipients: Sequence[PublicKey],
) -> cases.NewEntry:
    """A worker's entry (report, follow-up, attachment), sealed and ready to store."""
    envelope = seal(plaintext, Context(case_id, entry_id, purpose, Author.WORKER), recipients)
    return cases.NewEntry(
        id=entry_id,
        purpose=purpose,
        author=Author.WORKER,
        body=envelope.body,
        wraps=dict(envelope.wraps),
    )
