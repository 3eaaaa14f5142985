"""What goes inside the envelopes of a case: the report's answers as JSON, each attachment with
a header, messages, and the record of a status change.

docs/FORMAT.md, section "Payloads", describes both byte for byte. Here, not in handlers/, because
the server writes them and the caseworker's desk reads them back.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from vocabulary import STATUSES

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
    roles: Mapping[str, str],
) -> bytes:
    """The report entry's plaintext (UTF-8 JSON); `roles` names the step of each role
    (vocabulary.StepRole), which the desk triages on."""
    document = {
        "format": REPORT_FORMAT,
        "version": PAYLOAD_VERSION,
        "questionnaire": questionnaire,
        "questionnaire_version": questionnaire_version,
        "language": language,
        "answers": answers,
        "readable": readable,
        "attachments": attachments,
        "roles": dict(roles),
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


STATUS_CHANGE_FORMAT: Final = "grievance-status-change"
_STATUS_CHANGE_KEYS: Final = frozenset({"format", "version", "status", "previous"})


@dataclass(frozen=True)
class StatusChange:
    """A caseworker moved a case from `previous` to `status` (the entry's day says when).

    Sealed to the partner's key only, as a note is: the server keeps today's status and the day
    of the last change in clear, never the history; the desk reads the history from these.
    """

    status: str
    previous: str


def encode_status_change(status: str, previous: str) -> bytes:
    """A status change's plaintext (UTF-8 JSON); ValueError for a status the format lacks."""
    if status not in STATUSES or previous not in STATUSES or status == previous:
        raise ValueError("a status change names two different case statuses")
    document = {
        "format": STATUS_CHANGE_FORMAT,
        "version": PAYLOAD_VERSION,
        "status": status,
        "previous": previous,
    }
    return json.dumps(document, separators=(",", ":")).encode("utf-8")


def is_status_change(plaintext: bytes) -> bool:
    """Whether a decrypted note says it is a status change (it may still be malformed)."""
    try:
        document = json.loads(plaintext.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return False
    return isinstance(document, dict) and document.get("format") == STATUS_CHANGE_FORMAT


def decode_status_change(plaintext: bytes) -> StatusChange:
    """The status change; PayloadError unless it is exactly one (no other fields, known words)."""
    try:
        document = json.loads(plaintext.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PayloadError("not a status change payload") from exc
    if (
        not isinstance(document, dict)
        or set(document) != _STATUS_CHANGE_KEYS
        or document["format"] != STATUS_CHANGE_FORMAT
        or document["version"] != PAYLOAD_VERSION
        or type(document["version"]) is not int
    ):
        raise PayloadError("not a status change payload")
    status, previous = document["status"], document["previous"]
    if status not in STATUSES or previous not in STATUSES or status == previous:
        raise PayloadError("a status change payload with an unknown or unchanged status")
    return StatusChange(status, previous)
