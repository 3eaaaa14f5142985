"""How decrypted cases leave the desk: on the terminal, as JSON or CSV, and as saved files.

Content written by a worker (or forged by anyone holding the partner's public key) is data, never
markup: control characters are removed before a terminal shows it, and spreadsheet formulas are
defused in CSV. Files are created only where the caseworker asked, mode 0600, never overwritten.
"""

from __future__ import annotations

import csv
import io
import os
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Final

from desk.cases import Attachment, CaseView, Message, StatusChanged, ThreadItem
from desk.client import DeskError
from vocabulary import Author, CaseStatus, StepRole

EXPORT_FORMAT: Final = "grievance-desk-export"
EXPORT_VERSION: Final = 1
_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")
CASE_COLUMNS: Final = (
    "case",
    "created_day",
    "updated_day",
    "status",
    "urgent",
    "danger",
    "language",
    "workplace",
    "categories",
    "what_happened",
)
_COVERED_ROLES: Final = frozenset(
    {StepRole.WORKPLACE, StepRole.CATEGORIES, StepRole.DANGER, StepRole.OWN_WORDS}
)
"""The answers the case columns show; every other answer gets a column of its own."""


def clean(text: str, *, lines: bool = False) -> str:
    """Text safe for a terminal: no control or format characters (escape sequences, overrides).

    Line breaks survive when `lines` is set; everything else of category C is dropped.
    """
    kept = []
    for char in text:
        if lines and char == "\n":
            kept.append(char)
        elif char == "\t":
            kept.append(" ")
        elif unicodedata.category(char)[0] != "C" or char in "\u200c\u200d":
            # ZWNJ and ZWJ are part of correct spelling in several Indic scripts.
            kept.append(char)
    return "".join(kept)


def size_text(size: int) -> str:
    """Bytes as a person reads them."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


# Lists ----------------------------------------------------------------------------------------


def unread_text(view: CaseView) -> str:
    """The flag of a case whose worker added something nobody at the partner has opened."""
    return f"+{view.unseen_follow_ups} unread" if view.unseen_follow_ups else ""


def assignee_label(view: CaseView, labels: Mapping[int, str] | None) -> str | None:
    """Whom the case is assigned to, by label (`#id` if the label is not known); None: nobody."""
    if view.assignee is None:
        return None
    return (labels or {}).get(view.assignee, f"#{view.assignee}")


def list_text(
    views: list[CaseView], status: str | None = None, labels: Mapping[int, str] | None = None
) -> str:
    """`desk cases`: two lines a case, urgent first, then new cases and cases with follow-ups
    nobody has opened ("+2 unread"), then the rest; then a count. `labels` names assignees
    (credential id -> label)."""
    if not views:
        return f"No cases with status '{status}'." if status else "No cases in your queue."
    out = []
    flag_width = max(len(unread_text(view)) for view in views)
    for view in views:
        mark = "URGENT" if view.urgent else ("danger" if view.danger else "")
        head = f"{view.id}  {view.created_day}  {view.status:<13} {mark:<6}"
        if flag_width:
            head += f"  {unread_text(view):<{flag_width}}"
        assignee = assignee_label(view, labels)
        assigned = f"  ·  assigned to {assignee}" if assignee else ""
        if view.report is None:
            out.append(clean(f"{head}  (cannot be opened: {view.report_problem}){assigned}"))
            continue
        report = view.report
        parts = [report.workplace or "—", report.categories_text or "—", report.language.label()]
        out.append(clean(f"{head}  {'  ·  '.join(parts)}{assigned}"))
        out.append("    " + clean(report.first_words() or "(no account given)"))
    urgent = sum(v.urgent for v in views)
    new = sum(v.status == CaseStatus.NEW for v in views)
    unread = sum(v.unseen_follow_ups > 0 for v in views)
    plural = "case" if len(views) == 1 else "cases"
    with_unread = f", {unread} with follow-ups nobody has opened" if unread else ""
    out.append(f"\n{len(views)} {plural}: {urgent} urgent, {new} new{with_unread}.")
    unreadable = sum(v.report is None for v in views)
    if unreadable:
        out.append(
            f"{unreadable} did not open with the key(s) you gave: pass the right --key, "
            "or run 'grievance desk rewrap' after a key rotation."
        )
    return "\n".join(out)


def summary_json(view: CaseView, labels: Mapping[int, str] | None = None) -> dict[str, Any]:
    """One case of `desk cases --json`; `labels` names the assignee (credential id -> label)."""
    report = view.report
    return {
        "id": view.id,
        "day": view.created_day,
        "updated_day": view.updated_day,
        "status": view.status,
        "worker_status": view.worker_status,
        "urgent": view.urgent,
        "danger": view.danger,
        "unread_follow_ups": view.unseen_follow_ups,
        "assignee": view.assignee,
        "assignee_label": assignee_label(view, labels),
        "workplace": report.workplace if report else None,
        "categories": list(report.categories) if report else [],
        "categories_text": report.categories_text if report else None,
        "language": _language_json(view),
        "first_words": report.first_words() if report else None,
        "attachments": len(view.attachments),
        "opened": report is not None,
        "problem": view.report_problem,
    }


# One case -------------------------------------------------------------------------------------


def case_text(view: CaseView, saved: Mapping[str, Path] | None = None) -> str:
    """`desk show`: the report, then the thread oldest first."""
    saved = saved or {}
    out = [
        f'Case {view.id}  ·  status: {view.status} (the worker sees "{view.worker_status}")'
        f"  ·  opened {view.created_day}  ·  last change {view.updated_day}"
    ]
    report = view.report
    if view.urgent:
        out.append("URGENT: the worker said someone is in danger right now.")
    elif view.danger:
        out.append("The worker said someone was in danger (the case is settled).")
    if report is None:
        out.append(f"The report cannot be opened: {view.report_problem}.")
    else:
        out.append(f"Language: {report.language.label()}    Questionnaire: {report.questionnaire}")
        out.append("")
        out.append(f"Report (#1, {report.day}, worker)")
        for answer in report.answers:
            question = clean(answer.question)
            out.append(_indented(f"  {question}: ", clean(answer.answer, lines=True)))
    out.append("")
    out.append("Thread, oldest first" if view.thread else "Nothing after the report yet.")
    for item in view.thread:
        head = f"  #{item.seq}  {item.day}  {item.author:<10}  " + ("" if item.seen else "NEW ")
        if isinstance(item, Message):
            what = item.purpose
            if item.language is not None and item.author == Author.WORKER:
                what += f" ({item.language.label()})"
            out.append(_indented(f"{head}{what}: ", clean(item.text, lines=True)))
        elif isinstance(item, Attachment):
            out.append(head + _attachment_text(item, saved.get(item.entry_id)))
        elif isinstance(item, StatusChanged):
            out.append(f"{head}{status_change_text(item)}")
        else:
            out.append(f"{head}{item.purpose}: cannot be opened: {item.reason}")
    return "\n".join(out)


def case_json(view: CaseView, saved: Mapping[str, Path] | None = None) -> dict[str, Any]:
    """`desk show --json`, and each case of `desk export --format json`."""
    saved = saved or {}
    report = view.report
    data = summary_json(view)
    # The assignee by id only: naming it needs the partner's caseworkers, which `show` skips.
    del data["first_words"], data["opened"], data["assignee_label"]
    data["report"] = (
        None
        if report is None
        else {
            "entry_id": report.entry_id,
            "day": report.day,
            "questionnaire": report.questionnaire,
            "what_happened": report.what_happened,
            "answers": [
                {"step": a.step, "question": a.question, "answer": a.answer} for a in report.answers
            ],
            "raw_answers": dict(report.raw_answers),
        }
    )
    data["thread"] = [_item_json(item, saved.get(item.entry_id)) for item in view.thread]
    return data


def status_change_text(item: StatusChanged) -> str:
    """`Status set to "Seen by the organisation" (acknowledged, was new)`."""
    return f'Status set to "{item.worker_label}" ({item.status}, was {item.previous})'


def _item_json(item: ThreadItem, saved: Path | None) -> dict[str, Any]:
    base = {
        "entry_id": item.entry_id,
        "seq": item.seq,
        "day": item.day,
        "purpose": item.purpose if not isinstance(item, Attachment) else "attachment",
        "author": item.author,
        "seen": item.seen,
    }
    if isinstance(item, Message):
        language = item.language
        base["text"] = item.text
        base["language"] = (
            None
            if language is None
            else {"code": language.code, "native": language.native, "english": language.english}
        )
    elif isinstance(item, StatusChanged):
        base["status_change"] = {
            "status": item.status,
            "previous": item.previous,
            "worker_status": item.worker_label,
        }
    elif isinstance(item, Attachment):
        base["kind"] = item.kind
        base["step"] = item.step
        base["media_type"] = item.media_type
        base["size" if item.media_type is not None else "sealed_size"] = item.size
        base["saved_to"] = str(saved) if saved is not None else None
    else:
        base["problem"] = item.reason
    return base


def _attachment_text(item: Attachment, saved: Path | None) -> str:
    if item.media_type is None:
        sealed = size_text(item.size)
        return f"attachment: {item.kind} ({item.step or 'follow-up'}), {sealed} sealed"
    text = clean(f"attachment: {item.kind}, {item.media_type}, {size_text(item.size)}")
    text += f" ({clean(item.step)})" if item.step else ""
    return text + (f"  saved to {saved}" if saved is not None else "")


def _indented(head: str, body: str) -> str:
    """`head` then `body`; the body's further lines indented under the head."""
    pad = "\n" + " " * (len(head) - len(head.lstrip()) + 4)
    return head + pad.join(body.split("\n"))


def _language_json(view: CaseView) -> dict[str, str] | None:
    if view.report is None:
        return None
    language = view.report.language
    return {"code": language.code, "native": language.native, "english": language.english}


# Export ---------------------------------------------------------------------------------------


def export_json(views: list[CaseView], partner: str, day: str) -> dict[str, Any]:
    """Every case decrypted, for the partner's own records."""
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "partner": partner,
        "exported_day": day,
        "cases": [case_json(view) for view in views],
    }


def export_csv(views: list[CaseView]) -> str:
    """One row a case: the main fields, then every other answer by question, then the thread."""
    extra: dict[str, str] = {}
    for view in views:
        for answer in view.report.answers if view.report else ():
            if answer.role not in _COVERED_ROLES and answer.step not in extra:
                title = answer.question if answer.question not in extra.values() else answer.step
                extra[answer.step] = title
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([*CASE_COLUMNS, *extra.values(), "attachments", "thread", "problem"])
    for view in views:
        report = view.report
        by_step = {a.step: a.answer for a in report.answers} if report else {}
        row = [
            view.id,
            view.created_day,
            view.updated_day,
            view.status,
            "yes" if view.urgent else "no",
            "yes" if view.danger else "no",
            report.language.label() if report else "",
            report.workplace if report else "",
            report.categories_text if report else "",
            report.what_happened if report else "",
            *(by_step.get(step, "") for step in extra),
            "\n".join(_attachment_text(a, None) for a in view.attachments),
            "\n".join(_thread_line(item) for item in view.thread if not _is_file(item)),
            view.report_problem or "",
        ]
        writer.writerow([defuse(str(cell)) for cell in row])
    return out.getvalue()


def _is_file(item: ThreadItem) -> bool:
    return isinstance(item, Attachment)


def _thread_line(item: ThreadItem) -> str:
    if isinstance(item, Message):
        return f"#{item.seq} {item.day} {item.author} {item.purpose}: {item.text}"
    if isinstance(item, StatusChanged):
        return f"#{item.seq} {item.day} {item.author} {status_change_text(item)}"
    if isinstance(item, Attachment):
        return ""
    return f"#{item.seq} {item.day} {item.author} {item.purpose}: (cannot be opened)"


def defuse(cell: str) -> str:
    """A CSV cell a spreadsheet shows as text: one starting like a formula gets a quote first.

    Anyone holding the partner's public key can file a report, so any cell may be hostile.
    """
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


# Files ----------------------------------------------------------------------------------------


def write_private(path: Path, data: bytes) -> None:
    """Create `path` (mode 0600) with `data`; an existing file or link is never replaced."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags, 0o600)
    except FileExistsError as exc:
        raise DeskError(f"{path} already exists; nothing was overwritten") from exc
    except OSError as exc:
        raise DeskError(f"cannot create {path}: {exc.strerror}") from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
    except OSError as exc:
        raise DeskError(f"cannot write {path}: {exc.strerror}") from exc


def save_attachments(view: CaseView, folder: Path) -> dict[str, Path]:
    """Write the case's opened files into `folder` (created 0700 if missing); entry id -> path."""
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise DeskError(f"cannot create the folder {folder}: {exc.strerror}") from exc
    if not folder.is_dir():
        raise DeskError(f"{folder} is not a folder")
    saved: dict[str, Path] = {}
    for item in _files(view.attachments):
        path = folder / item.file_name(view.id)
        write_private(path, item.data or b"")
        saved[item.entry_id] = path
    return saved


def _files(items: Iterable[Attachment]) -> list[Attachment]:
    return [item for item in items if item.data is not None]
