"""After a key rotation: which entries still wait for a re-wrap, and the re-wrap itself.

The re-wrap is `desk.actions.rewrap_all`, with the same checks as `grievance desk rewrap`: the
retired key is opened for this one use (its passphrase asked here, Argon2id in a thread) beside
the key the console holds, which vouches for the active key when it is that key.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from crypto.errors import CryptoError
from desk import actions
from desk.client import DeskError
from desk.console.i18n import sentence
from desk.console.pages import gettext_for, given_path
from desk.console.state import state_of
from desk.console.templates import page


async def keys_page(request: web.Request) -> web.StreamResponse:
    """GET /keys: the partner's keys and what is still wrapped to a retired one."""
    state = state_of(request)
    if state.vault.locked:
        raise web.HTTPSeeOther("/unlock?next=/keys")
    return await _page(request, {})


async def _page(request: web.Request, extra: dict[str, Any], status: int = 200) -> web.Response:
    state = state_of(request)
    opened = state.vault.require()
    try:
        opened.partner = await opened.client.partner()
    except DeskError as exc:
        extra = {"error": sentence(exc, gettext_for(request)), **extra}
    queue = await state.vault.queue(0)
    held = opened.keyring.key_ids
    context = {
        "keys": [(key, key.key_id in held) for key in opened.partner.keys],
        "old_key_entries": None if queue is None else queue.old_key_entries,
        "key_file": "",
        "error": "",
        "result": None,
        "missing": [],
        **extra,
    }
    return page(request, "keys.html", context, status=status)


async def rewrap(request: web.Request) -> web.StreamResponse:
    """POST /keys/rewrap: move every entry from the retired key given here to the active key."""
    state = state_of(request)
    opened = state.vault.require()
    form = await request.post()
    key_file = str(form.get("key_file", "")).strip().strip('"')
    passphrase = str(form.get("passphrase", ""))
    try:
        if not key_file or not passphrase:
            _ = gettext_for(request)
            raise DeskError(_("Give the retired key's file and its passphrase."))
        keyring = await state.vault.open_more_keys(given_path(key_file), passphrase)
        result = await actions.rewrap_all(opened.client, keyring, verify_key=state.verify_key)
    except (DeskError, CryptoError) as exc:
        error = sentence(exc, gettext_for(request))
        return await _page(request, {"error": error, "key_file": key_file}, status=400)
    finally:
        del passphrase
    state.vault.reload()
    missing = list(result.missing_keys.items())
    return await _page(request, {"result": result, "missing": missing})
