"""One case: its whole thread, its files from memory, and what a caseworker does with it.

Files are served from the opened case in memory with `Cache-Control: no-store` (every answer
has it) and reach the disk only through "Save", into a folder the caseworker names, as new
files with mode 0600 (`desk.render.save_attachments`). Setting a status, replying and writing a
note go through `desk.actions`, exactly as the command line does; assigning goes through the
vault, which keeps the queue's row in step.

Opening a case page marks the worker's entries it showed as seen by the partner, once the page
is built: the page itself still highlights them as new, and an entry that did not open (sealed
to a key this console does not hold) stays unseen for a colleague who holds it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from aiohttp import web

from crypto.errors import CryptoError
from desk import actions, render
from desk.cases import CaseView
from desk.client import DeskError, parse_case_id
from desk.console import present
from desk.console.i18n import N_, ConsoleError, sentence
from desk.console.pages import catalog, gettext_for, given_path
from desk.console.state import state_of
from desk.console.templates import page


def _case_id(request: web.Request) -> str:
    try:
        return parse_case_id(request.match_info["case_id"])
    except DeskError as exc:
        raise web.HTTPNotFound from exc


async def case_page(request: web.Request) -> web.StreamResponse:
    """GET /cases/{case_id}: the report, then everything after it, oldest first."""
    state = state_of(request)
    if state.vault.locked:
        raise web.HTTPSeeOther(f"/unlock?next=/cases/{_case_id(request)}")
    try:
        view = await state.vault.case(_case_id(request))
    except DeskError as exc:
        return page(
            request,
            "error.html",
            {"error": sentence(exc, gettext_for(request))},
            status=404 if "no case" in str(exc) else 502,
        )
    try:
        await state.vault.mark_seen(view)
    except DeskError as exc:
        _ = gettext_for(request)
        state.notice = _("The case is shown, but not marked as seen: {reason}").format(
            reason=sentence(exc, _)
        )
    return render_case(request, view)  # as it was opened: what is new to the caseworker shows


def render_case(
    request: web.Request, view: CaseView, form: dict[str, str] | None = None, status: int = 200
) -> web.Response:
    """The case page; `form` carries an error and what the caseworker had typed."""
    _ = gettext_for(request)
    team = state_of(request).vault.team()
    context: dict[str, Any] = {
        "case": view,
        "report": view.report,
        "assignee": present.assignee_name(view.assignee, team, _),
        "assign_choices": present.assign_choices(view.assignee, team, _),
        "new_from_worker": present.new_from_worker(view),
        "statuses": present.status_choices(_),
        "reply_max": actions.REPLY_MAX_CHARS,
        "note_max": actions.NOTE_MAX_CHARS,
        "reply_intro": present.REPLY_INTRO,
        "saved_files": sum(1 for item in view.attachments if item.data is not None),
        "form": {"error": "", "reply": "", "note": "", "folder": "", "where": "", **(form or {})},
    }
    return page(request, "case.html", context, status=status)


async def case_file(request: web.Request) -> web.StreamResponse:
    """GET /cases/{case_id}/files/{entry_id}: a photo, a voice note or a file, from memory."""
    state = state_of(request)
    if state.vault.locked:
        raise web.HTTPForbidden(text="locked\n")
    view = await state.vault.case(_case_id(request))
    wanted = request.match_info["entry_id"]
    item = next((a for a in view.attachments if a.entry_id == wanted), None)
    if item is None or item.data is None:
        raise web.HTTPNotFound
    shape = present.file_shape(item)
    disposition = f'{shape.disposition}; filename="{item.file_name(view.id)}"'
    return web.Response(
        body=item.data,
        content_type=shape.content_type,
        headers={"Content-Disposition": disposition},
    )


async def set_status(request: web.Request) -> web.StreamResponse:
    """POST /cases/{case_id}/status: the worker sees the new label with /status."""
    state = state_of(request)
    case_id = _case_id(request)
    opened = state.vault.require()
    form = await request.post()
    try:
        shown = await state.vault.case(case_id)  # the status the caseworker saw on the page
        changed = await actions.set_status(
            opened.client,
            case_id,
            str(form.get("status", "")),
            previous=shown.status,
            verify_key=state.verify_key,
        )
    except (DeskError, CryptoError) as exc:
        return await _failed(request, case_id, exc, "status")
    state.vault.forget(case_id)
    queue = await state.vault.queue(0)
    if queue is not None:
        queue.set_status(changed.id, changed.status, changed.updated_day)
    _ = gettext_for(request)
    label = present.worker_label(changed.status, _)
    state.notice = _("Status changed. The worker now reads: “{label}”.").format(label=label)
    raise web.HTTPSeeOther(f"/cases/{case_id}")


async def assign(request: web.Request) -> web.StreamResponse:
    """POST /cases/{case_id}/assignee: to me, to a caseworker of the partner, or to nobody."""
    state = state_of(request)
    case_id = _case_id(request)
    state.vault.require()
    form = await request.post()
    try:
        assignee = await state.vault.assign(case_id, str(form.get("assignee", "")))
    except DeskError as exc:
        return await _failed(request, case_id, exc, "assign")
    _ = gettext_for(request)
    if assignee is None:
        state.notice = _("Nobody is assigned to this case now.")
    else:
        name = present.assignee_name(assignee, state.vault.team(), _)
        state.notice = _("Assigned to {name}.").format(name=name)
    raise web.HTTPSeeOther(f"/cases/{case_id}")


async def reply(request: web.Request) -> web.StreamResponse:
    """POST /cases/{case_id}/reply: sealed to the worker's case key and the partner's key."""
    return await _write(request, "reply")


async def note(request: web.Request) -> web.StreamResponse:
    """POST /cases/{case_id}/note: sealed to the partner's key only."""
    return await _write(request, "note")


async def _write(request: web.Request, what: str) -> web.StreamResponse:
    state = state_of(request)
    case_id = _case_id(request)
    opened = state.vault.require()
    form = await request.post()
    text = str(form.get("text", "")).replace("\r\n", "\n")
    add = actions.add_reply if what == "reply" else actions.add_note
    try:
        await add(opened.client, case_id, text, verify_key=state.verify_key)
    except (DeskError, CryptoError) as exc:
        return await _failed(request, case_id, exc, what, text)
    state.vault.forget(case_id)
    _ = gettext_for(request)
    state.notice = (
        _("Reply sent. The worker reads it when they ask with their receipt.")
        if what == "reply"
        else _("Note saved. Only your organisation can read it.")
    )
    raise web.HTTPSeeOther(f"/cases/{case_id}#latest")


async def save_files(request: web.Request) -> web.StreamResponse:
    """POST /cases/{case_id}/save: the case's files into a folder the caseworker names."""
    state = state_of(request)
    case_id = _case_id(request)
    form = await request.post()
    folder = str(form.get("folder", "")).strip().strip('"')
    target = given_path(folder)
    try:
        view = await state.vault.case(case_id)
        if not folder or not _absolute(target):
            raise ConsoleError(
                N_("Give the whole path of a folder, for example {example}."),
                example=str(Path.home() / "cases" / case_id),
            )
        saved = await asyncio.to_thread(render.save_attachments, view, target)
    except DeskError as exc:
        return await _failed(request, case_id, exc, "save", folder=folder)
    ngettext = catalog(request).ngettext
    state.notice = ngettext(
        "{count} file saved in {folder} (readable by you only).",
        "{count} files saved in {folder} (readable by you only).",
        len(saved),
    ).format(count=len(saved), folder=target)
    raise web.HTTPSeeOther(f"/cases/{case_id}")


def _absolute(path: Path) -> bool:
    # A relative folder would land wherever the console was started: ask for the whole path.
    return path.is_absolute()


async def _failed(
    request: web.Request,
    case_id: str,
    error: Exception,
    where: str,
    text: str = "",
    folder: str = "",
) -> web.Response:
    """The case page again, the error in one sentence where it happened, the text kept."""
    state = state_of(request)
    message = sentence(error, gettext_for(request))
    try:
        view = await state.vault.case(case_id)
    except DeskError:
        return page(request, "error.html", {"error": message}, status=400)
    form = {"error": message, "where": where, "folder": folder}
    if where in {"reply", "note"}:
        form[where] = text
    return render_case(request, view, form, status=400)
