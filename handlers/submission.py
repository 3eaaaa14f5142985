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

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crypto.envelope import Author, Context, Purpose, seal
from crypto.errors import UntrustedKeyStatement
from crypto.ids import new_case_id, new_entry_id
from crypto.keys import PublicKey, VerifyKey
from crypto.payloads import AttachmentHeader, encode_attachment, encode_report
from crypto.receipts import CaseKeys, new_receipt, new_salt
from handlers import argon2
from handlers.directory import NoUsablePartnerKey, sealing_key
from handlers.ports import Directory, Draft, NoRoute, SubmissionFailed
from storage import cases, partners, settings
from storage.errors import StorageError
from storage.models import EntryAuthor, EntryPurpose

log = logging.getLogger(__name__)

RECEIPT_SALT_SETTING: Final = "receipt_salt"


async def receipt_salt(sessions: async_sessionmaker[AsyncSession]) -> bytes:
    """The deployment's receipt salt, made on first use and kept in the database."""
    async with sessions() as session, session.begin():
        return await settings.get_or_create(session, RECEIPT_SALT_SETTING, new_salt)


@dataclass(frozen=True)
class _Sealed:
    receipt: str
    case_id: str
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
        """Commit the draft as a new case and return its receipt."""
        route = await self._directory.route(draft.country, draft.site)
        if route is None:
            raise NoRoute(draft.country)
        try:
            async with self._sessions() as session:
                partner = await partners.get_partner(session, route.partner)
                public_key = await sealing_key(session, partner, self._verify_key)
                partner_id = partner.id
        except (NoUsablePartnerKey, UntrustedKeyStatement) as exc:
            # Names the partner, never the worker: the administrators must fix the key.
            log.error("refusing a report: %s", exc)
            raise NoRoute(route.partner) from exc
        except (SQLAlchemyError, StorageError, OSError) as exc:
            log.error("cannot read the partner directory: %s", type(exc).__name__)
            raise SubmissionFailed from exc
        receipt = new_receipt()
        keys = await argon2.case_keys(receipt, self._salt)
        # Sealing megabytes of attachments: in a thread, never on the event loop.
        sealed = await asyncio.to_thread(_seal_draft, draft, public_key, receipt, keys)
        try:
            async with self._sessions() as session, session.begin():
                await cases.create_case(
                    session,
                    sealed.case_id,
                    partner_id,
                    sealed.worker_public_key,
                    sealed.lookup_id,
                    sealed.entries,
                )
        except (SQLAlchemyError, StorageError, OSError) as exc:
            log.error("a report could not be committed: %s", type(exc).__name__)
            raise SubmissionFailed from exc
        return sealed.receipt


def _seal_draft(draft: Draft, partner_key: PublicKey, receipt: str, case_keys: CaseKeys) -> _Sealed:
    case_id = new_case_id()
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
    )
    # The report is the case's first entry; its attachments follow it.
    entries.insert(0, worker_entry(case_id, new_entry_id(), Purpose.REPORT, report, [partner_key]))
    return _Sealed(
        receipt=receipt,
        case_id=case_id,
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
        purpose=EntryPurpose(purpose.value),
        author=EntryAuthor.WORKER,
        body=envelope.body,
        wraps=dict(envelope.wraps),
    )
