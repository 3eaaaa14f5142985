"""The worker's way back to their case: a receipt opens the status and the caseworker's replies.

The receipt is turned into keys by Argon2id on its own small thread pool (bot/intake/receipts.py),
so that a flood of /status requests can neither block the event loop nor exhaust memory.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.intake import receipts
from bot.intake.outage import DATABASE_ERRORS, unavailable
from bot.intake.signed_keys import NoUsablePartnerKey, sealing_key
from bot.intake.submission import worker_entry
from crypto.envelope import Context, Envelope, open_envelope
from crypto.errors import CryptoError
from crypto.ids import new_entry_id
from crypto.keys import VerifyKey, key_id
from crypto.payloads import (
    AttachmentHeader,
    PayloadError,
    decode_message,
    encode_attachment,
    encode_message,
)
from handlers.media import CleanAttachment
from handlers.ports import CaseView, NoRoute, SubmissionFailed
from storage import cases, partners
from storage.errors import StorageError
from vocabulary import Purpose

log = logging.getLogger(__name__)

FOLLOW_UP_STEP: Final = "follow_up"


class StoredTracker:
    """Looks cases up by receipt and adds the worker's follow-ups to them."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        salt: bytes,
        verify_key: VerifyKey,
    ) -> None:
        self._sessions = sessions
        self._salt = salt
        self._verify_key = verify_key

    async def lookup(self, receipt: str) -> CaseView | None:
        """The case the receipt opens, or None; a wrong and an unknown receipt look the same."""
        try:
            return await self._lookup(receipt)
        except DATABASE_ERRORS as exc:
            raise unavailable("a receipt could not be looked up", exc) from exc

    async def _lookup(self, receipt: str) -> CaseView | None:
        keys = await receipts.case_keys(receipt, self._salt)
        async with self._sessions() as session:
            case = await cases.find_case_by_lookup_id(session, keys.lookup_id, with_entries=False)
            if case is None:
                return None
            # Without attachment bodies: a worker's photos are not read to show the replies.
            listed = await cases.list_entries(session, case.partner_id, [case.id])
            worker_key_id = key_id(bytes(keys.public_key))
            replies = []
            for entry in listed[case.id]:
                wraps = entry.wraps
                if entry.purpose != Purpose.REPLY or worker_key_id not in wraps:
                    continue
                assert entry.body is not None  # only attachments are listed without a body
                context = Context(case.id, entry.id, Purpose.REPLY, entry.author)
                try:
                    envelope = Envelope(entry.body, wraps)
                    plaintext = open_envelope(envelope, context, keys.private_key)
                    replies.append(decode_message(plaintext))
                except (CryptoError, PayloadError):
                    # A damaged reply is skipped, not shown half; the desk sees the same entry.
                    log.warning("a reply did not open with its receipt's key")
            return CaseView(case.id, case.partner_id, case.status.value, tuple(replies))

    async def add_follow_up(
        self, view: CaseView, language: str, text: str | None, attachment: CleanAttachment | None
    ) -> None:
        """Seal a follow-up (text or one file) to the case's partner and store it."""
        try:
            async with self._sessions() as session, session.begin():
                case = await cases.get_case(
                    session, view.partner_id, view.case_id, with_entries=False
                )
                partner = await partners.get_partner_by_id(session, view.partner_id)
                public_key = await sealing_key(session, partner, self._verify_key)
                entry_id = new_entry_id()
                if attachment is None:
                    purpose, plaintext = Purpose.FOLLOW_UP, encode_message(text or "", language)
                else:
                    header = AttachmentHeader(
                        attachment.kind.value,
                        attachment.media_type,
                        attachment.suffix,
                        FOLLOW_UP_STEP,
                    )
                    purpose = Purpose.ATTACHMENT
                    plaintext = encode_attachment(header, attachment.data)
                entry = await asyncio.to_thread(
                    worker_entry, case.id, entry_id, purpose, plaintext, [public_key]
                )
                await cases.add_entry(session, case, entry)
        except (NoUsablePartnerKey, CryptoError) as exc:
            log.error("refusing a follow-up: %s", exc)
            raise NoRoute(view.case_id) from exc
        except StorageError as exc:
            # The case was purged meanwhile: sending again cannot help. (Its id is not logged.)
            log.warning("refusing a follow-up: %s", type(exc).__name__)
            raise NoRoute(view.case_id) from exc
        except DATABASE_ERRORS as exc:
            raise unavailable("a follow-up could not be committed", exc, SubmissionFailed) from exc
