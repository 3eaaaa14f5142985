"""What goes inside the envelopes of a report: the answers as JSON, each attachment with a header.

docs/FORMAT.md, section "Payloads", describes both byte for byte. Here, not in handlers/, because
the server writes them and the caseworker's desk reads them back.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from typing import Any, Final

REPORT_FORMAT: Final = "grievance-report"
ATTACHMENT_FORMAT: Final = "grievance-attachment"
PAYLOAD_VERSION: Final = 1
_LENGTH: Final = struct.Struct(">I")


class PayloadError(ValueError):
    """A decrypted payload is not in the expected form."""


@dataclass(frozen=True)
class AttachmentHeader:
    """What a caseworker needs to open a file: its kind, type and the step it answers."""

    kind: str
    media_type: str
    suffix: str
    step: str


def encode_report(
    questionnaire: str,
    questionnaire_version: int,
    language: str,
    answers: dict[str, Any],
    readable: dict[str, dict[str, str]],
    attachments: list[dict[str, str]],
) -> bytes:
    """The report entry's plaintext (UTF-8 JSON)."""
    document = {
        "format": REPORT_FORMAT,
        "version": PAYLOAD_VERSION,
        "questionnaire": questionnaire,
        "questionnaire_version": questionnaire_version,
        "language": language,
        "answers": answers,
        "readable": readable,
        "attachments": attachments,
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def decode_report(plaintext: bytes) -> dict[str, Any]:
    """The report document; PayloadError if it is not one."""
    try:
        document = json.loads(plaintext.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PayloadError("not a report payload") from exc
    if not isinstance(document, dict) or document.get("format") != REPORT_FORMAT:
        raise PayloadError("not a report payload")
    return document


def encode_attachment(header: AttachmentHeader, data: bytes) -> bytes:
    """Header length (4 bytes, big-endian), header JSON, then the file's bytes."""
    encoded = json.dumps(
        {"format": ATTACHMENT_FORMAT, "version": PAYLOAD_VERSION, **header.__dict__},
        separators=(",", ":"),
    ).encode("utf-8")
    return _LENGTH.pack(len(encoded)) + encoded + data


def decode_attachment(plaintext: bytes) -> tuple[AttachmentHeader, bytes]:
    """The header and the file's bytes; PayloadError if malformed."""
    try:
        (length,) = _LENGTH.unpack_from(plaintext)
        raw = json.loads(plaintext[_LENGTH.size : _LENGTH.size + length].decode("utf-8"))
        header = AttachmentHeader(raw["kind"], raw["media_type"], raw["suffix"], raw["step"])
    except (struct.error, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as exc:
        raise PayloadError("not an attachment payload") from exc
    if raw.get("format") != ATTACHMENT_FORMAT:
        raise PayloadError("not an attachment payload")
    return header, plaintext[_LENGTH.size + length :]


MESSAGE_FORMAT: Final = "grievance-message"


def encode_message(text: str, language: str | None = None) -> bytes:
    """A follow-up, reply or note: a short text and, for the worker's, their language."""
    document: dict[str, Any] = {"format": MESSAGE_FORMAT, "version": PAYLOAD_VERSION, "text": text}
    if language is not None:
        document["language"] = language
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def decode_message(plaintext: bytes) -> str:
    """The text of a follow-up, reply or note; PayloadError if it is not one."""
    try:
        document = json.loads(plaintext.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PayloadError("not a message payload") from exc
    if not isinstance(document, dict) or document.get("format") != MESSAGE_FORMAT:
        raise PayloadError("not a message payload")
    text = document.get("text")
    if not isinstance(text, str):
        raise PayloadError("not a message payload")
    return text
