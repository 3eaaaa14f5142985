"""The console's pages outside a case: setup, unlock and lock, language, and the queue.

Forms post, the console answers with a redirect (post/redirect/get), and a mistake is shown
as one sentence on the same form with what was typed kept — except passphrases, never echoed.
"""

from __future__ import annotations

import gettext
import re
from pathlib import Path
from typing import Final

from aiohttp import web

from crypto.errors import CryptoError
from desk.client import DeskError
from desk.console import config as settings
from desk.console import present
from desk.console import queue as queues
from desk.console.i18n import LANGUAGES, Gettext, sentence, translations
from desk.console.state import ConsoleState, state_of
from desk.console.templates import page
from vocabulary import STATUSES

FIRST_WAIT: Final = 1.5
"""Seconds the queue page waits for the queue to open before showing how far it has got."""
_NEXT: Final = re.compile(r"/(cases/[0-9A-Z]{12}|keys|reports)?")


def safe_next(value: str | None) -> str:
    """Where to go after a form: a page of this console only, never another site."""
    return value if value and _NEXT.fullmatch(value) else "/"


def catalog(request: web.Request) -> gettext.NullTranslations:
    """The caseworker's catalog, for sentences built in Python."""
    return translations(state_of(request).language(request))


def gettext_for(request: web.Request) -> Gettext:
    """The caseworker's gettext."""
    return catalog(request).gettext


def given_path(text: str) -> Path:
    """A path as typed or pasted (quotes around it, a leading ~) on any platform."""
    return Path(text.strip().strip('"')).expanduser()


# Setup ---------------------------------------------------------------------------------------


async def setup_form(request: web.Request) -> web.Response:
    """GET /setup: server, token and key file, remembered in the settings file."""
    state = state_of(request)
    current = state.config
    return page(
        request,
        "setup.html",
        {
            "server": current.server,
            "token": "",
            "has_token": bool(current.token),
            "key_file": current.key_file,
            "config_path": str(state.config_path),
            "error": "",
        },
    )


async def setup_save(request: web.Request) -> web.StreamResponse:
    """POST /setup: check and save the settings; the console locks (a new key or server)."""
    state = state_of(request)
    form = await request.post()
    server, key_file = str(form.get("server", "")), str(form.get("key_file", ""))
    token = str(form.get("token", "")).strip() or state.config.token
    try:
        new = settings.checked(server, token, key_file, state.config.language)
        state.vault.lock()
        state.save(new)
    except DeskError as exc:
        return page(
            request,
            "setup.html",
            {
                "server": server,
                "token": str(form.get("token", "")),  # kept, as typed: this page is not cached
                "has_token": bool(state.config.token),
                "key_file": key_file,
                "config_path": str(state.config_path),
                "error": sentence(exc, gettext_for(request)),
            },
            status=400,
        )
    raise web.HTTPSeeOther("/unlock")


# Unlock and lock -----------------------------------------------------------------------------


async def unlock_form(request: web.Request) -> web.StreamResponse:
    """GET /unlock: the passphrase, asked every time the console was locked."""
    state = state_of(request)
    if not state.config.complete:
        raise web.HTTPSeeOther("/setup")
    if not state.vault.locked:
        raise web.HTTPSeeOther(safe_next(request.query.get("next")))
    return _unlock_page(request, state, "", safe_next(request.query.get("next")))


def _unlock_page(
    request: web.Request, state: ConsoleState, error: str, next_page: str, status: int = 200
) -> web.Response:
    context = {"key_file": state.config.key_file, "error": error, "next": next_page}
    return page(request, "unlock.html", context, status=status)


async def unlock(request: web.Request) -> web.StreamResponse:
    """POST /unlock: open the key (Argon2id in a thread) and start opening the queue."""
    state = state_of(request)
    form = await request.post()
    next_page = safe_next(str(form.get("next", "")))
    if not state.config.complete:
        raise web.HTTPSeeOther("/setup")
    passphrase = str(form.get("passphrase", ""))
    if not passphrase:
        _ = gettext_for(request)
        return _unlock_page(request, state, _("Give your passphrase."), next_page, 400)
    try:
        await state.vault.unlock(state.config, passphrase)
    except (DeskError, CryptoError) as exc:
        return _unlock_page(request, state, sentence(exc, gettext_for(request)), next_page, 400)
    finally:
        del passphrase
    raise web.HTTPSeeOther(next_page)


async def lock(request: web.Request) -> web.StreamResponse:
    """POST /lock: "Lock now"."""
    state = state_of(request)
    state.vault.lock()
    _ = gettext_for(request)
    state.notice = _("Locked. Nothing of your cases is left in the console's memory.")
    raise web.HTTPSeeOther("/unlock")


async def session(request: web.Request) -> web.Response:
    """GET /session: locked or not, for the page's script (it does not count as activity)."""
    return web.json_response({"locked": state_of(request).vault.locked})


async def language(request: web.Request) -> web.StreamResponse:
    """POST /language: the console's language, remembered in the settings file if there is one."""
    state = state_of(request)
    form = await request.post()
    chosen = str(form.get("language", ""))
    if chosen in LANGUAGES:
        new = settings.with_language(state.config, chosen)
        if state.config.complete:
            state.save(new)
        else:
            state.config = new
    raise web.HTTPSeeOther(safe_next(str(form.get("next", ""))))


# The queue -----------------------------------------------------------------------------------


async def queue_page(request: web.Request) -> web.StreamResponse:
    """GET /: the queue, filtered as last asked, 50 rows a page; urgent and new first."""
    state = state_of(request)
    if not state.config.complete:
        raise web.HTTPSeeOther("/setup")
    if state.vault.locked:
        raise web.HTTPSeeOther("/unlock")
    opened = state.vault.require()
    try:
        queue = await state.vault.queue(FIRST_WAIT)
    except DeskError as exc:
        state.notice = sentence(exc, gettext_for(request))
        raise web.HTTPSeeOther("/unlock") from exc
    if queue is None:
        progress = opened.progress
        return page(
            request, "loading.html", {"downloaded": progress.downloaded, "total": progress.expected}
        )
    try:
        wanted = int(request.query.get("page", "1"))
    except ValueError:
        wanted = 1
    filters = opened.filters
    if filters.query:
        await queue.searchable()
    rows = queue.select(filters)
    shown, current, pages = queues.page_of(rows, wanted)
    _ = gettext_for(request)
    team = queue.team
    return page(
        request,
        "queue.html",
        {
            "rows": shown,
            "matching": len(rows),
            "page": current,
            "pages": pages,
            "filters": filters,
            "choices": queue.choices,
            "counts": queue.counts(),
            "old_key_entries": queue.old_key_entries,
            "sorts": queues.SORTS,
            "statuses": STATUSES,
            "first": (current - 1) * queues.PAGE_SIZE + 1,
            "assigned_choices": present.assigned_filter_choices(team, _),
            "names": {c: present.caseworker_name(c, team, _) for c in team.labels()},
            "me": team.me.id if team.me is not None else None,
            "news": await state.vault.news(queue),
        },
    )


async def queue_filter(request: web.Request) -> web.StreamResponse:
    """POST /queue: narrow the queue (kept in memory, out of the browser's history)."""
    state = state_of(request)
    opened = state.vault.require()
    form = await request.post()
    if form.get("clear"):
        opened.filters = queues.Filters()
    else:
        opened.filters = queues.filters_from({k: str(v) for k, v in form.items()})
    raise web.HTTPSeeOther("/")


async def queue_reload(request: web.Request) -> web.StreamResponse:
    """POST /queue/reload: open the queue again (cases that arrived since)."""
    state_of(request).vault.reload()
    raise web.HTTPSeeOther("/")
