"""Words and shapes the pages share: status names, what the worker reads, files, numbers.

Everything a worker wrote reaches the templates as plain strings and is escaped there by
Jinja2's autoescape; nothing here builds markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from babel.numbers import format_decimal

from desk.assignment import ME, NOBODY, Team
from desk.cases import (
    Attachment,
    CaseView,
    Message,
    StatusChanged,
    ThreadItem,
)
from desk.console.i18n import N_, Gettext
from desk.render import size_text
from vocabulary import STATUSES, Author, CaseStatus, status_label

STATUS_NAMES: Final[dict[str, str]] = {
    CaseStatus.NEW: N_("New"),
    CaseStatus.ACKNOWLEDGED: N_("Acknowledged"),
    CaseStatus.INVESTIGATING: N_("Investigating"),
    CaseStatus.REMEDIATION: N_("Remediation"),
    CaseStatus.RESOLVED: N_("Resolved"),
    CaseStatus.CLOSED: N_("Closed"),
}
"""The caseworker's names of the case statuses (what the worker reads is the vocabulary's
`CaseStatus.label`, extracted into the console's catalogs from vocabulary.py too)."""
REPLY_INTRO: Final = N_("Answer from the organisation:")
"""The line the bot puts above a reply (handlers/engine.py), in the worker's language."""

INLINE_IMAGES: Final = frozenset({"image/jpeg", "image/png", "image/webp"})
INLINE_AUDIO: Final = frozenset({"audio/ogg"})
DOWNLOADS: Final = {"application/pdf": "application/pdf"}
"""Media types served as themselves; any other file is served as bytes to download."""


def status_name(status: str, _: Gettext) -> str:
    """The caseworker's word for a status (the raw word if the server invents a new one)."""
    return _(STATUS_NAMES[status]) if status in STATUS_NAMES else status


def worker_label(status: str, _: Gettext) -> str:
    """What the worker reads for a status when they ask with their receipt."""
    return _(status_label(status))


def status_choices(_: Gettext) -> list[tuple[str, str, str]]:
    """(status, the caseworker's name, what the worker reads), in the order cases move."""
    return [(status, status_name(status, _), worker_label(status, _)) for status in STATUSES]


@dataclass(frozen=True)
class FileShape:
    """How a page shows a file and how it is served."""

    show: str
    """`image`, `audio`, `pdf`, `file` (download only) or `sealed` (bytes not fetched)."""
    content_type: str
    disposition: str


def file_shape(item: Attachment) -> FileShape:
    """Photos inline, voice notes in a player, PDFs and everything else as downloads.

    The media type is the sender's word and anyone with the partner's public key can send: only
    a short list is served as what it claims, and never as HTML or SVG.
    """
    media = item.media_type or ""
    if item.data is None:
        return FileShape("sealed", "application/octet-stream", "attachment")
    if media in INLINE_IMAGES:
        return FileShape("image", media, "inline")
    if media in INLINE_AUDIO:
        return FileShape("audio", media, "inline")
    if media in DOWNLOADS:
        return FileShape("pdf", DOWNLOADS[media], "attachment")
    return FileShape("file", "application/octet-stream", "attachment")


def item_kind(item: ThreadItem) -> str:
    """How the thread shows an entry: `follow-up`, `reply`, `note`, `status`, `file` or
    `unreadable`."""
    if isinstance(item, Message):
        return item.purpose if item.purpose in {"reply", "note"} else "follow-up"
    if isinstance(item, StatusChanged):
        return "status"
    if isinstance(item, Attachment):
        return "file"
    return "unreadable"


def caseworker_name(credential_id: int, team: Team, _: Gettext) -> str:
    """A caseworker credential as the pages name it: its label; "You — label" for the console's
    own (labels often carry parentheses of their own)."""
    label = team.labels().get(credential_id) or f"#{credential_id}"
    return _("You — {label}").format(label=label) if team.is_me(credential_id) else label


def assignee_name(credential_id: int | None, team: Team, _: Gettext) -> str:
    """Whom a case is assigned to, or "Nobody"."""
    return _("Nobody") if credential_id is None else caseworker_name(credential_id, team, _)


def assign_choices(current: int | None, team: Team, _: Gettext) -> list[tuple[str, str, bool]]:
    """(form value, words, chosen now) of the case page's "Assign" control: me first, then the
    partner's other caseworkers, then nobody."""
    choices: list[tuple[str, str, bool]] = []
    if team.me is not None:
        choices.append((ME, _("Me — {label}").format(label=team.labels()[team.me.id]),
                        team.is_me(current)))  # fmt: skip
    for caseworker in team.caseworkers:
        if not team.is_me(caseworker.id):
            label = team.labels()[caseworker.id]
            choices.append((str(caseworker.id), label, current == caseworker.id))
    choices.append((NOBODY, _("Nobody"), current is None))
    return choices


def assigned_filter_choices(team: Team, _: Gettext) -> list[tuple[str, str]]:
    """(form value, words) of the queue's "Assigned to" filter."""
    choices = [("", _("Anyone")), (ME, _("Me")), (NOBODY, _("Nobody"))]
    labels = team.labels()
    choices += [(str(c.id), labels[c.id]) for c in team.caseworkers if not team.is_me(c.id)]
    return choices


def new_from_worker(view: CaseView) -> frozenset[str]:
    """Entries of the thread to highlight: what the worker added after the report (follow-ups
    and files) that nobody at the partner had opened before this page. The report's own files
    are part of the report, which a case that is new shows whole anyway."""
    listed = view.report.attachments if view.report is not None else {}
    return frozenset(
        item.entry_id
        for item in view.thread
        if not item.seen and item.author == Author.WORKER and item.entry_id not in listed
    )


def file_size(size: int) -> str:
    """Bytes as a person reads them."""
    return size_text(size)


def number(value: int, language: str) -> str:
    """A count as the console's language writes it (1,234)."""
    return str(format_decimal(value, locale=language))
