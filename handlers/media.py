"""The engine's words for files: what kind a file is, why one is refused, and a cleaned one.

The engine decides whether a file is wanted (the step asks for one, the draft has room); how a
file is cleaned is the Scrubber port's job (handlers/ports.py), so nothing here decodes a file.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

MAX_DOWNLOAD_BYTES: Final = 20 * 1024 * 1024
"""The Bot API's getFile limit: anything larger cannot be fetched, so it is refused up front."""


class AttachmentKind(StrEnum):
    """What the attachment is, judged from its content (never from its name or declared type)."""

    PHOTO = "photo"
    VOICE = "voice"
    DOCUMENT = "document"


class RejectReason(StrEnum):
    """Why an attachment was refused; the engine shows each as a calm, translated sentence."""

    TOO_LARGE = "too_large"
    NOT_AN_IMAGE = "not_an_image"
    DAMAGED = "damaged"
    TOO_MANY_PIXELS = "too_many_pixels"
    MULTI_PAGE_IMAGE = "multi_page_image"
    UNSUPPORTED_TYPE = "unsupported_type"
    ENCRYPTED_PDF = "encrypted_pdf"
    TOO_COMPLEX = "too_complex"
    NOT_A_VOICE_NOTE = "not_a_voice_note"


class AttachmentRejected(Exception):
    """The worker's attachment cannot be accepted; `reason` says why, for the engine to explain."""

    def __init__(self, reason: RejectReason) -> None:
        super().__init__(reason.value)
        self.reason = reason


@dataclass(frozen=True)
class CleanAttachment:
    """An attachment ready to be sealed. No original file name is kept: names identify people."""

    kind: AttachmentKind
    media_type: str
    data: bytes
    suffix: str


def check_declared_size(size: int | None) -> None:
    """Refuse before downloading when the messenger already tells us the file is over the limit."""
    if size is not None and size > MAX_DOWNLOAD_BYTES:
        raise AttachmentRejected(RejectReason.TOO_LARGE)


def check_actual_size(data: bytes) -> None:
    """The declared size is optional and only a claim, so the bytes themselves are measured too."""
    if len(data) > MAX_DOWNLOAD_BYTES:
        raise AttachmentRejected(RejectReason.TOO_LARGE)
