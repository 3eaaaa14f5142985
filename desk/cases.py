"""Opening a case on the caseworker's laptop: from sealed entries to a thread a person can read.

Nothing here talks to the server or writes to disk; it turns `desk.client.Case` into `CaseView`
in memory. An entry that does not open is shown as such, never dropped: a caseworker must see
that something is there (and why it cannot be read) rather than a thread with a silent gap.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Final

from crypto.envelope import AUTHOR_OF, Envelope, open_envelope, stored_context
from crypto.errors import CryptoError, DecryptionError
from crypto.keys import PrivateKey, key_id
from crypto.payloads import (
    PayloadError,
    decode_attachment,
    decode_message,
    decode_status_change,
    is_status_change,
)
from desk.client import Case, Entry
from desk.languages import Language, language
from desk.worker_report import Report, read_report
from vocabulary import (
    SETTLED,
    STATUSES,
    Author,
    CaseStatus,
    Purpose,
    status_label,
)

_SAFE_SUFFIX: Final = re.compile(r"\.[a-z0-9]{1,8}")
_SAFE_KIND: Final = re.compile(r"[a-z]{1,16}")
"""Kinds and suffixes end up in file names: anything else is replaced, never passed on."""


_UNREADABLE: Final = (CryptoError, PayloadError, ValueError, TypeError, KeyError, AttributeError)
"""What opening an entry may raise: damaged, not for this key, or not in a known form."""


class Keyring:
    """The partner private keys this caseworker opened, by key id."""

    def __init__(self, keys: Iterable[PrivateKey]) -> None:
        self._keys = {key_id(bytes(key.public_key)): key for key in keys}

    @property
    def key_ids(self) -> frozenset[str]:
        """Ids of the keys held."""
        return frozenset(self._keys)

    def get(self, wanted: str) -> PrivateKey | None:
        """The private key with id `wanted`, if held."""
        return self._keys.get(wanted)

    def key_for(self, wraps: Mapping[str, bytes]) -> PrivateKey | None:
        """A held key the entry was wrapped for, if any."""
        return next((self._keys[k] for k in wraps if k in self._keys), None)

    def open(self, case_id: str, entry: Entry) -> bytes:
        """The entry's plaintext; CryptoError if no held key opens it or it was altered."""
        key = self.key_for(entry.wraps)
        if key is None:
            raise NotForThisKey(sorted(entry.wraps))
        # The stored author is checked too: a relabelled entry is shown as altered, never as the
        # other party's words.
        context = stored_context(case_id, entry.id, entry.purpose, entry.author)
        return open_envelope(Envelope(entry.body or b"", entry.wraps), context, key)


class NotForThisKey(CryptoError):
    """An entry not wrapped for any key the caseworker holds."""

    def __init__(self, key_ids: list[str]) -> None:
        super().__init__("sealed to " + (", ".join(key_ids) or "no key") + ", not to a key held")
        self.key_ids = key_ids


@dataclass(frozen=True)
class Message:
    """A follow-up from the worker, or a reply or note from a caseworker."""

    entry_id: str
    seq: int
    day: str
    purpose: str
    author: str
    text: str
    language: Language | None
    seen: bool = True
    """False for a worker's entry no caseworker had opened before this view was made."""


@dataclass(frozen=True)
class Attachment:
    """A file of the case. Its bytes are held only when the caseworker asked for them."""

    entry_id: str
    seq: int
    day: str
    author: str
    step: str
    kind: str
    media_type: str | None
    """None in a case list: attachment bodies are fetched with the whole case only."""
    suffix: str
    size: int
    """Bytes of the file once opened; in a list, of the sealed envelope."""
    data: bytes | None = field(default=None, repr=False)
    seen: bool = True

    def file_name(self, case_id: str) -> str:
        """A name that says which case and entry it is, and nothing the worker chose."""
        return f"{case_id}-{self.seq:03d}-{self.kind}{self.suffix}"


@dataclass(frozen=True)
class StatusChanged:
    """A caseworker moved the case to `status` on `day` (a note sealed to the partner only).

    Desks record each change so that the buyers' reports can say how long acknowledging and
    resolving took; the server keeps only today's status and the day of the last change.
    """

    entry_id: str
    seq: int
    day: str
    author: str
    status: str
    previous: str
    seen: bool = True

    @property
    def purpose(self) -> str:
        """Sealed as a note: to the partner's key only."""
        return Purpose.NOTE

    @property
    def worker_label(self) -> str:
        """What the worker reads for the new status."""
        return status_label(self.status)


@dataclass(frozen=True)
class Unreadable:
    """An entry that did not open, with the reason."""

    entry_id: str
    seq: int
    day: str
    purpose: str
    author: str
    reason: str
    seen: bool = True


ThreadItem = Message | Attachment | StatusChanged | Unreadable


@dataclass(frozen=True)
class CaseView:
    """A case decrypted: its report and everything after it, oldest first."""

    id: str
    status: str
    created_day: str
    updated_day: str
    report: Report | None
    report_problem: str | None
    thread: tuple[ThreadItem, ...]
    unseen_follow_ups: int = 0
    """Follow-ups and files the worker added after the report that no caseworker has opened."""
    opened_unseen: tuple[str, ...] = ()
    """Ids of the worker's entries, unseen until now, that this view opened: what to mark seen
    once the caseworker has been shown them (an entry that did not open is not among them)."""
    unseen_entries: int = 0
    """The worker's entries nobody at the partner has opened, the report included (the
    server's count, as `GET /api/v1/cases/count` counts a case among `unseen_cases`)."""
    assignee: int | None = None
    """The caseworker credential the case is assigned to; None for nobody."""

    def marked_seen(self, entry_ids: Collection[str], unseen_entries: int) -> CaseView:
        """This view once the server has marked `entry_ids` seen (`unseen_entries` left)."""
        listed = self.report.attachments if self.report is not None else {}
        newly_seen = sum(
            1
            for item in self.thread
            if item.entry_id in entry_ids
            and not item.seen
            and item.author == Author.WORKER
            and item.entry_id not in listed
        )
        thread = tuple(
            replace(item, seen=True) if item.entry_id in entry_ids else item for item in self.thread
        )
        return replace(
            self,
            thread=thread,
            unseen_follow_ups=max(0, self.unseen_follow_ups - newly_seen),
            opened_unseen=tuple(e for e in self.opened_unseen if e not in entry_ids),
            unseen_entries=unseen_entries,
        )

    @property
    def needs_reading(self) -> bool:
        """New, or the worker added something nobody has opened: read before the rest."""
        return self.status == CaseStatus.NEW or self.unseen_follow_ups > 0

    @property
    def danger(self) -> bool:
        """The worker said someone is in danger right now."""
        return self.report is not None and self.report.danger

    @property
    def urgent(self) -> bool:
        """Danger reported and the case not yet resolved or closed."""
        return self.danger and self.status not in SETTLED

    @property
    def worker_status(self) -> str:
        """What the worker reads for the current status."""
        return status_label(self.status)

    @property
    def attachments(self) -> tuple[Attachment, ...]:
        """Every file of the case, the report's and later ones."""
        return tuple(item for item in self.thread if isinstance(item, Attachment))

    @property
    def status_changes(self) -> tuple[StatusChanged, ...]:
        """The status changes desks recorded, oldest first (none for changes made before desks
        recorded them)."""
        return tuple(item for item in self.thread if isinstance(item, StatusChanged))

    @property
    def unreadable(self) -> int:
        """How many entries did not open (the report included)."""
        missing = 1 if self.report is None else 0
        return missing + sum(isinstance(item, Unreadable) for item in self.thread)


def triage_key(view: CaseView) -> tuple[int, int, int, str, str, str]:
    """Urgent first; then new cases and cases where the worker added something unread; then the
    rest. Within each, by where the case stands (new first), then the latest change first."""
    rank = STATUSES.index(view.status) if view.status in STATUSES else len(STATUSES)
    updated, created = _descending(view.updated_day), _descending(view.created_day)
    return (
        0 if view.urgent else 1,
        0 if view.needs_reading else 1,
        rank,
        updated,
        created,
        view.id,
    )


def sort_for_triage(views: Iterable[CaseView]) -> list[CaseView]:
    """The order of `desk cases`: what needs a caseworker soonest comes first."""
    return sorted(views, key=triage_key)


def open_case(
    case: Case, keyring: Keyring, *, thread: bool = True, keep_files: bool = False
) -> CaseView:
    """Decrypt every entry of `case` that came with its body; file bytes kept only if asked.

    With `thread` false only the report is opened (what a case list shows): a list of thousands
    of cases then costs one decryption per case, not one per message.
    """
    report: Report | None = None
    problem: str | None = "the case has no report entry"
    items: list[ThreadItem] = []
    listed: Mapping[str, tuple[str, str]] = {}
    opened: set[str] = set()
    for entry in sorted(case.entries, key=lambda e: e.seq):
        if entry.purpose == Purpose.REPORT and report is None:
            try:
                report = read_report(entry, keyring.open(case.id, entry))
                listed = report.attachments
                problem = None
                opened.add(entry.id)
            except _UNREADABLE as exc:
                problem = _why(exc)
            continue
        if entry.purpose == Purpose.ATTACHMENT and entry.body is None:
            items.append(_listed_file(entry, listed))
        elif thread:
            item = _item(case.id, entry, keyring, keep_files)
            items.append(item)
            if not isinstance(item, Unreadable):
                opened.add(entry.id)
    unseen = [e for e in case.entries if e.author == Author.WORKER and not e.seen]
    return CaseView(
        id=case.id,
        status=case.status,
        created_day=case.created_day,
        updated_day=case.updated_day,
        report=report,
        report_problem=problem,
        thread=tuple(items),
        # What the worker added after the report: the report and the files it lists do not count.
        unseen_follow_ups=sum(
            1 for e in unseen if e.purpose != Purpose.REPORT and e.id not in listed
        ),
        opened_unseen=tuple(e.id for e in unseen if e.id in opened),
        unseen_entries=case.unseen_entries,
        assignee=case.assignee,
    )


def open_cases(cases: Iterable[Case], keyring: Keyring, *, thread: bool = True) -> list[CaseView]:
    """Decrypt a list of cases (as the list endpoint gives them: without file bodies)."""
    return [open_case(case, keyring, thread=thread) for case in cases]


def _listed_file(entry: Entry, listed: Mapping[str, tuple[str, str]]) -> Attachment | Unreadable:
    """A file known only from the list: what the report says of it, and its sealed size."""
    if entry.author != AUTHOR_OF[Purpose.ATTACHMENT]:
        # Not opened yet, but its purpose already says who sent it: a relabelled one is altered.
        reason = _why(DecryptionError("its stored author contradicts its purpose"))
        return Unreadable(
            entry.id, entry.seq, entry.created_day, entry.purpose, entry.author, reason
        )
    step, kind = listed.get(entry.id, ("", "file"))
    return Attachment(
        entry.id,
        entry.seq,
        entry.created_day,
        entry.author,
        step,
        _kind(kind),
        None,
        "",
        entry.size,
        seen=entry.seen,
    )


def _kind(kind: str) -> str:
    return kind if _SAFE_KIND.fullmatch(kind) else "file"


def _item(case_id: str, entry: Entry, keyring: Keyring, keep_files: bool) -> ThreadItem:
    try:
        plaintext = keyring.open(case_id, entry)
        if entry.purpose == Purpose.ATTACHMENT:
            header, data = decode_attachment(plaintext)
            suffix = header.suffix.lower() if _SAFE_SUFFIX.fullmatch(header.suffix.lower()) else ""
            return Attachment(
                entry.id,
                entry.seq,
                entry.created_day,
                entry.author,
                header.step,
                _kind(header.kind),
                header.media_type,
                suffix or ".bin",
                len(data),
                data if keep_files else None,
                seen=entry.seen,
            )
        if entry.purpose == Purpose.NOTE and is_status_change(plaintext):
            change = decode_status_change(plaintext)
            return StatusChanged(
                entry.id,
                entry.seq,
                entry.created_day,
                entry.author,
                change.status,
                change.previous,
                seen=entry.seen,
            )
        text = decode_message(plaintext)
        return Message(
            entry.id,
            entry.seq,
            entry.created_day,
            entry.purpose,
            entry.author,
            text,
            _message_language(plaintext),
            seen=entry.seen,
        )
    except _UNREADABLE as exc:
        return Unreadable(
            entry.id,
            entry.seq,
            entry.created_day,
            entry.purpose,
            entry.author,
            _why(exc),
            seen=entry.seen,
        )


def _message_language(plaintext: bytes) -> Language | None:
    # decode_message keeps only the text; a worker's follow-up also names its language.
    code = json.loads(plaintext.decode("utf-8")).get("language")
    return language(code) if isinstance(code, str) else None


def _why(exc: Exception) -> str:
    if isinstance(exc, NotForThisKey):
        return f"sealed to key {', '.join(exc.key_ids) or '(none)'}, which you did not open"
    if isinstance(exc, CryptoError):
        return "does not open: it was altered or is damaged"
    return "opens, but is not in a form the desk knows"


_INVERTED_DIGITS: Final = str.maketrans("0123456789", "9876543210")


def _descending(day: str) -> str:
    # ISO days sort as text; inverting each digit sorts the latest first in an ascending sort.
    return day.translate(_INVERTED_DIGITS)
