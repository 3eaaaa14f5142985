"""The case API's endpoints on a case's entries: a reply or note the desk sealed, the re-wrap
after a key rotation, and the "seen by the partner" marks."""

from __future__ import annotations

from typing import Final

from aiohttp import web
from sqlalchemy.exc import IntegrityError

from bot.http.answers import (
    entry_answer,
    subject,
)
from bot.http.calls import (
    ENTRY_NOT_FOUND,
    ApiError,
    Call,
    active_key_id,
    bad_request,
    body_of,
    partner_key_ids,
    scoped_case,
)
from bot.http.request_shapes import (
    NewEntry,
    Rewrap,
    SeenMark,
)
from crypto.keys import key_id
from storage import audit, cases
from storage.errors import AlreadyExists, NotFound
from vocabulary import ENTRY_ID, Author, KeyStatus, Purpose

ENTRY_TAKEN: Final = "An entry with this id exists; draw a new id and seal again."
REWRAPPED_MEANWHILE: Final = "The entry was re-wrapped meanwhile; fetch it again and retry."


async def add_entry(call: Call) -> web.Response:
    """Store a reply or note sealed by the desk, after checking who can open it.

    A note is for the partner alone: it must be sealed to the partner's active key and to nothing
    else (never the worker). A reply is sealed to the active key and to the worker's case key.
    """
    caller, session = call.caller, call.session
    body = await body_of(call.request, NewEntry)
    purpose, wraps = Purpose(body.purpose), body.wraps
    case = await scoped_case(call, with_entries=False)
    active = await active_key_id(session, caller.partner)
    worker = key_id(case.worker_public_key)
    what = "A reply" if purpose == Purpose.REPLY else "A note"
    if active not in wraps:
        raise bad_request(f"{what} must carry a wrap for the partner's active key {active}.")
    if purpose == Purpose.REPLY and worker not in wraps:
        raise bad_request(
            f"A reply must carry a wrap for the worker's case key {worker} "
            "(the key id of worker_public_key), or the worker cannot read it."
        )
    if purpose == Purpose.NOTE and worker in wraps:
        raise bad_request("A note is for the partner only: it must not be sealed to the worker.")
    allowed = {active, worker} if purpose == Purpose.REPLY else {active}
    extra = sorted(set(wraps) - allowed)
    if extra:
        raise bad_request(
            f"Wrap for key {extra[0]} refused: new entries are sealed to the partner's active key"
            + (" and the worker's case key only." if purpose == Purpose.REPLY else " only.")
        )
    if await cases.entry_exists(session, body.id):
        raise ApiError(409, ENTRY_TAKEN)
    new = cases.NewEntry(body.id, purpose, Author.CASEWORKER, body.body, wraps)
    try:
        stored = await cases.add_entry(session, case, new)
        await audit.record(session, caller.actor, f"entry.{purpose.value}", subject(stored))
        await session.commit()
    except IntegrityError as exc:
        # The same id stored a moment ago by a simultaneous request.
        raise ApiError(409, ENTRY_TAKEN) from exc
    return web.json_response(entry_answer(stored, partner_key_ids(caller.partner)), status=201)


async def replace_wraps(call: Call) -> web.Response:
    """Re-wrap after a key rotation: add the active key's wrap where missing, drop old keys' wraps.

    The server cannot tell a good sealed key from random bytes, so it never removes or replaces a
    wrap for the active key (or the worker's): it only adds one where the entry has none, and
    removes only wraps of the partner's retired or revoked keys. The entry always keeps a wrap for
    the active key. Sending the very wrap already stored is a harmless repeat; any other wrap for
    a key the entry has is refused (409). Every change is audited; the body is never touched.
    """
    caller, session = call.caller, call.session
    body = await body_of(call.request, Rewrap)
    entry_id = call.request.match_info["entry_id"]
    if not ENTRY_ID.fullmatch(entry_id):
        raise ApiError(404, ENTRY_NOT_FOUND)
    try:
        entry = await cases.get_entry(session, caller.partner.id, entry_id)
    except NotFound as exc:
        raise ApiError(404, ENTRY_NOT_FOUND) from exc
    active = await active_key_id(session, caller.partner)
    old = {k.key_id for k in caller.partner.keys if k.status != KeyStatus.ACTIVE}
    addable = {active}
    if entry.purpose == Purpose.REPLY:
        # A reply whose worker's wrap is missing may get it back; it is never replaced.
        addable.add(key_id(entry.case.worker_public_key))
    refused = sorted(set(body.add) - addable)
    if refused:
        raise bad_request(
            f"Wrap for key {refused[0]} refused: wraps are added only for the partner's active "
            f"key {active}" + (" or the worker's case key." if len(addable) > 1 else ".")
        )
    kept_keys = sorted(set(body.remove) - old)
    if kept_keys:
        raise bad_request(
            f"Key {kept_keys[0]} is not a retired or revoked key of this partner; only the wraps "
            "of those can be removed."
        )
    stored = {w.key_id: w.sealed_key for w in entry.wraps}
    clashing = sorted(k for k, sealed in body.add.items() if stored.get(k, sealed) != sealed)
    if clashing:
        raise ApiError(
            409,
            f"The entry already has a wrap for key {clashing[0]}; a wrap is never replaced, "
            "only added where missing.",
        )
    add = {k: sealed for k, sealed in body.add.items() if k not in stored}
    remove = sorted(set(body.remove) & set(stored))
    if active not in (set(stored) - set(remove)) | set(add):
        raise bad_request(
            f"The entry must keep a wrap for the partner's active key {active}: add it."
        )
    if add or remove:
        try:
            updated = await cases.replace_wraps(session, caller.partner.id, entry_id, remove, add)
            await audit.record(session, caller.actor, "entry.rewrap", subject(updated))
            await session.commit()
        except (AlreadyExists, IntegrityError) as exc:
            # A simultaneous re-wrap added the same key's wrap a moment ago.
            raise ApiError(409, REWRAPPED_MEANWHILE) from exc
    else:
        updated = entry  # nothing to change: a repeat of a re-wrap already done
    keys = partner_key_ids(caller.partner)
    # Attachments come back without their body (the desk has it): a re-wrap moves only wraps.
    return web.json_response(entry_answer(updated, keys, attachment_body=False))


async def mark_seen(call: Call) -> web.Response:
    """Mark the worker's entries the caseworker has opened as seen by the partner.

    Explicit, never a side effect of reading: listing or exporting the queue leaves the marks as
    they are, and only what the desk actually showed is marked. Entries of another case are
    refused whole. Not audited: it records no change to a case, and the mark carries no day.
    """
    session = call.session
    body = await body_of(call.request, SeenMark)
    case = await scoped_case(call, with_entries=False)
    known = await cases.entry_ids_of(session, case)
    if not set(body.entries) <= known:
        raise bad_request("Not every entry named is an entry of this case; nothing was marked.")
    await cases.mark_seen(session, case, body.entries)
    unseen = await cases.count_unseen(session, case)
    await session.commit()
    return web.json_response({"id": case.id, "unseen_entries": unseen})
