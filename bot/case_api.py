"""The partner-scoped case API the caseworker desk talks to (docs/openapi.yaml is the contract).

It hands out and takes ciphertext only: the desk decrypts on the caseworker's laptop and seals
its replies and notes there. Every request carries a caseworker credential; every query is scoped
to that credential's partner, and another partner's case or entry gets exactly the answer a
missing one gets. Changes of status, assignments, new entries, re-wraps and purges are audited
under the credential's id, with case, entry and credential ids and the day, never with content. A
credential's role decides whether it may purge. Nothing here logs a case id, a token or a body.

Assignment: a case is assigned to one active caseworker credential of its partner, or to nobody.
A revoked credential's cases read as assigned to nobody (`assignee` null) from the moment it is
revoked, so they show up among the unassigned for someone to take over; the stored link stays,
as harmless as the revoked credential's row itself.
"""

from __future__ import annotations

import base64
import functools
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from aiohttp import web
from pydantic import BaseModel
from pydantic_core import to_json
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.admin.credentials import audit_name
from bot.api_requests import (
    CASE_ID,
    ENTRY_ID,
    AssigneeChange,
    CaseCountQuery,
    CaseQuery,
    NewEntry,
    RequestRefused,
    Rewrap,
    SeenMark,
    StatusChange,
    parse_body,
    parse_query,
)
from crypto.keys import PARTNER_KEY_PREFIX, key_id
from crypto.tokens import looks_like_token, token_hash
from storage import audit, cases, credentials, partners
from storage.errors import AlreadyExists, NotFound, StorageError
from storage.models import (
    Case,
    CaseEntry,
    CaseworkerCredential,
    CredentialRole,
    EntryAuthor,
    EntryPurpose,
    KeyStatus,
    Partner,
)

log = logging.getLogger(__name__)

API_PREFIX: Final = "/api/v1"
MAX_REQUEST_BYTES: Final = 1024 * 1024
"""Largest request body: a reply or a note is a few kilobytes of ciphertext."""
READ_CHUNK_BYTES: Final = 64 * 1024
JSON_TYPE: Final = "application/json"

SESSIONS: Final = web.AppKey("sessions", async_sessionmaker[AsyncSession])

# One sentence each; the same NotFound for "missing" and "another partner's".
CASE_NOT_FOUND: Final = "No such case."
ENTRY_NOT_FOUND: Final = "No such entry."
NO_CREDENTIAL: Final = "A caseworker credential is required: send 'Authorization: Bearer <token>'."
BAD_CREDENTIAL: Final = "This credential is not valid: it is unknown or has been revoked."
TOO_LARGE: Final = f"The request body is larger than {MAX_REQUEST_BYTES} bytes."
NOT_JSON_TYPE: Final = "Send the request body as application/json."
CANNOT_PURGE: Final = (
    "This credential cannot purge cases: purging needs a 'lead' credential from the administrators."
)
ENTRY_TAKEN: Final = "An entry with this id exists; draw a new id and seal again."
REWRAPPED_MEANWHILE: Final = "The entry was re-wrapped meanwhile; fetch it again and retry."
# The same for a credential that never existed, one of another partner and a revoked one.
NO_SUCH_CASEWORKER: Final = (
    "No such caseworker credential of your partner: GET /api/v1/caseworkers lists them."
)
ROUTER_ERRORS: Final = {
    404: "There is no such path in the case API.",
    405: "This method is not allowed on this path.",
}
SERVER_FAULT: Final = "The server could not complete this request; nothing was changed. Try again."


class ApiError(Exception):
    """A request the API refuses, with its status and one calm sentence for the desk."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def bad_request(message: str) -> ApiError:
    return ApiError(400, message)


@dataclass(frozen=True)
class Caller:
    """The authenticated credential: its id (for the audit log) and its partner (for scoping)."""

    credential_id: int
    partner: Partner
    role: CredentialRole
    label: str = ""

    @property
    def actor(self) -> str:
        return audit_name(self.credential_id)


@dataclass(frozen=True)
class Call:
    """One authenticated request: the request, its database session, and who is calling."""

    request: web.Request
    session: AsyncSession
    caller: Caller


Endpoint = Callable[[Call], Awaitable[web.StreamResponse]]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _authenticated(endpoint: Endpoint) -> Handler:
    """The aiohttp handler: a session for the request, the credential checked, then `endpoint`.

    The session's transaction is rolled back unless the endpoint commits.
    """

    @functools.wraps(endpoint)
    async def handler(request: web.Request) -> web.StreamResponse:
        async with request.app[SESSIONS]() as session:
            caller = await _authenticate(session, request)
            return await endpoint(Call(request, session, caller))

    return handler


def make_api(sessions: async_sessionmaker[AsyncSession]) -> web.Application:
    """The API as an aiohttp sub-application, to be mounted at API_PREFIX."""
    api = web.Application(middlewares=[_guard])
    api[SESSIONS] = sessions
    routes = api.router
    routes.add_get("/partner", _authenticated(get_partner), allow_head=False)
    routes.add_get("/caseworkers", _authenticated(list_caseworkers), allow_head=False)
    routes.add_get("/cases", _authenticated(list_cases), allow_head=False)
    routes.add_get("/cases/count", _authenticated(count_cases), allow_head=False)
    routes.add_get("/cases/{case_id}", _authenticated(get_case), allow_head=False)
    routes.add_delete("/cases/{case_id}", _authenticated(purge_case))
    routes.add_put("/cases/{case_id}/status", _authenticated(set_status))
    routes.add_put("/cases/{case_id}/assignee", _authenticated(set_assignee))
    routes.add_post("/cases/{case_id}/entries", _authenticated(add_entry))
    routes.add_post("/cases/{case_id}/seen", _authenticated(mark_seen))
    routes.add_put("/entries/{entry_id}/wraps", _authenticated(replace_wraps))
    return api


def error(status: int, message: str) -> web.Response:
    """The API's error body, `{"error": "..."}`; 401s also name the scheme they want."""
    response = web.json_response({"error": message}, status=status)
    if status == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    return response


@web.middleware
async def _guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn every failure into a JSON error, and keep answers out of caches.

    Nothing about the request is logged on failure but the exception's type: its text could
    quote a case id or a body.
    """
    try:
        response = await handler(request)
    except ApiError as exc:
        response = error(exc.status, exc.message)
    except RequestRefused as exc:
        response = error(400, str(exc))
    except web.HTTPException as exc:
        # The router's own answers (no such route, method not allowed), as JSON too.
        response = error(exc.status, ROUTER_ERRORS.get(exc.status, exc.reason))
        if "Allow" in exc.headers:
            response.headers["Allow"] = exc.headers["Allow"]
    except (SQLAlchemyError, StorageError, OSError) as exc:
        # The database (or the connection) failed, not the request: worth another try.
        log.error("case API: a request could not be completed (%s)", type(exc).__name__)
        response = error(503, SERVER_FAULT)
    except Exception as exc:
        log.error("case API: unexpected %s", type(exc).__name__)
        response = error(500, SERVER_FAULT)
    # Ciphertext and queue metadata must not stay in a proxy's or a browser's cache.
    response.headers["Cache-Control"] = "no-store"
    return response


async def _authenticate(session: AsyncSession, request: web.Request) -> Caller:
    header = request.headers.get("Authorization")
    if header is None:
        raise ApiError(401, NO_CREDENTIAL)
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not looks_like_token(token):
        raise ApiError(401, BAD_CREDENTIAL)
    credential = await credentials.find_active_credential(session, token_hash(token))
    if credential is None:
        raise ApiError(401, BAD_CREDENTIAL)
    return Caller(credential.id, credential.partner, credential.role, credential.label)


# --- the endpoints -------------------------------------------------------------------------


async def get_partner(call: Call) -> web.Response:
    """The partner and its keys, with the signed statements the desk checks before sealing, and
    the calling credential (`me`), so that the desk can say "assigned to me"."""
    caller = call.caller
    partner = caller.partner
    keys = [
        {
            "key_id": key.key_id,
            # Whatever is stored, even if damaged: the desk verifies it against the statement.
            "public_key": PARTNER_KEY_PREFIX + key.public_key.hex(),
            "status": key.status.value,
            "statement_day": key.statement_day.isoformat(),
            "signature": _b64(key.signature),
        }
        for key in partner.keys
    ]
    me = {"id": caller.credential_id, "label": caller.label, "role": caller.role.value}
    return web.json_response({"slug": partner.slug, "name": partner.name, "keys": keys, "me": me})


async def list_caseworkers(call: Call) -> web.Response:
    """The partner's active credentials, whom a case can be assigned to: id, label, role only."""
    found = await credentials.active_credentials(call.session, call.caller.partner.id)
    return web.json_response({"caseworkers": [_caseworker(c) for c in found]})


async def list_cases(call: Call) -> web.Response:
    """A page of the partner's cases, most recently changed first, attachments without bodies."""
    caller, session = call.caller, call.session
    query = parse_query(list(call.request.query.items()), CaseQuery)
    status, since, limit, offset = query.status, query.changed_since, query.limit, query.offset
    partner_id = caller.partner.id
    page, more = await cases.list_case_page(session, partner_id, status, since, limit, offset)
    entries = await cases.list_entries(session, partner_id, [case.id for case in page])
    keys = _partner_key_ids(caller.partner)
    active = await _active_ids(call)
    listed = [
        {
            **_summary(case, active),
            "unseen_entries": _unseen(entries[case.id]),
            "entries": [_listed_entry(e, keys) for e in entries[case.id]],
        }
        for case in page
    ]
    return _large_json({"cases": listed, "next_offset": offset + limit if more else None})


async def count_cases(call: Call) -> web.Response:
    """How many cases the list would give (same filters), by status, and how many have entries
    of the worker nobody at the partner has opened: one aggregate query, no entry body read."""
    query = parse_query(list(call.request.query.items()), CaseCountQuery)
    counts = await cases.count_cases(
        call.session, call.caller.partner.id, query.status, query.changed_since
    )
    return web.json_response(
        {
            "total": counts.total,
            "by_status": {status.value: n for status, n in counts.by_status.items()},
            "unseen_cases": counts.unseen_cases,
        }
    )


async def get_case(call: Call) -> web.Response:
    """One case with every entry, attachment bodies included."""
    case = await _case(call, with_entries=True)
    keys = _partner_key_ids(call.caller.partner)
    return _large_json(
        {
            **_summary(case, await _active_ids(call)),
            "unseen_entries": _unseen(case.entries),
            "entries": [_entry(entry, keys) for entry in case.entries],
        }
    )


async def set_status(call: Call) -> web.Response:
    """Move the case to a new status; audited under the credential, with the case id only."""
    caller, session = call.caller, call.session
    body = await _body(call.request, StatusChange)
    case = await _case(call, with_entries=False)
    await cases.set_status(session, case, body.status)
    await audit.record(session, caller.actor, "case.status", case.id)
    active = await _active_ids(call)
    await session.commit()
    return web.json_response(_summary(case, active))


async def set_assignee(call: Call) -> web.Response:
    """Assign the case to an active credential of the partner, or to nobody (null).

    A credential that does not exist, is another partner's or is revoked gets one and the same
    refusal. A change is audited as `case.assign` with the case and credential ids and the day;
    assigning again to the same one changes and records nothing. `updated_day` stays.
    """
    caller, session = call.caller, call.session
    body = await _body(call.request, AssigneeChange)
    case = await _case(call, with_entries=False)
    active = await _active_ids(call)
    target = body.credential_id
    if target is not None and target not in active:
        raise bad_request(NO_SUCH_CASEWORKER)
    if await cases.assign(session, case, target):
        who = audit_name(target) if target is not None else "nobody"
        await audit.record(session, caller.actor, "case.assign", f"{case.id} {who}")
    await session.commit()
    return web.json_response(_summary(case, active))


async def add_entry(call: Call) -> web.Response:
    """Store a reply or note sealed by the desk, after checking who can open it.

    A note is for the partner alone: it must be sealed to the partner's active key and to nothing
    else (never the worker). A reply is sealed to the active key and to the worker's case key.
    """
    caller, session = call.caller, call.session
    body = await _body(call.request, NewEntry)
    purpose, wraps = EntryPurpose(body.purpose), body.wraps
    case = await _case(call, with_entries=False)
    active = await _active_key_id(session, caller.partner)
    worker = key_id(case.worker_public_key)
    what = "A reply" if purpose == EntryPurpose.REPLY else "A note"
    if active not in wraps:
        raise bad_request(f"{what} must carry a wrap for the partner's active key {active}.")
    if purpose == EntryPurpose.REPLY and worker not in wraps:
        raise bad_request(
            f"A reply must carry a wrap for the worker's case key {worker} "
            "(the key id of worker_public_key), or the worker cannot read it."
        )
    if purpose == EntryPurpose.NOTE and worker in wraps:
        raise bad_request("A note is for the partner only: it must not be sealed to the worker.")
    allowed = {active, worker} if purpose == EntryPurpose.REPLY else {active}
    extra = sorted(set(wraps) - allowed)
    if extra:
        raise bad_request(
            f"Wrap for key {extra[0]} refused: new entries are sealed to the partner's active key"
            + (" and the worker's case key only." if purpose == EntryPurpose.REPLY else " only.")
        )
    if await cases.entry_exists(session, body.id):
        raise ApiError(409, ENTRY_TAKEN)
    new = cases.NewEntry(body.id, purpose, EntryAuthor.CASEWORKER, body.body, wraps)
    try:
        stored = await cases.add_entry(session, case, new)
        await audit.record(session, caller.actor, f"entry.{purpose.value}", _subject(stored))
        await session.commit()
    except IntegrityError as exc:
        # The same id stored a moment ago by a simultaneous request.
        raise ApiError(409, ENTRY_TAKEN) from exc
    return web.json_response(_entry(stored, _partner_key_ids(caller.partner)), status=201)


async def replace_wraps(call: Call) -> web.Response:
    """Re-wrap after a key rotation: add the active key's wrap where missing, drop old keys' wraps.

    The server cannot tell a good sealed key from random bytes, so it never removes or replaces a
    wrap for the active key (or the worker's): it only adds one where the entry has none, and
    removes only wraps of the partner's retired or revoked keys. The entry always keeps a wrap for
    the active key. Sending the very wrap already stored is a harmless repeat; any other wrap for
    a key the entry has is refused (409). Every change is audited; the body is never touched.
    """
    caller, session = call.caller, call.session
    body = await _body(call.request, Rewrap)
    entry_id = call.request.match_info["entry_id"]
    if not ENTRY_ID.fullmatch(entry_id):
        raise ApiError(404, ENTRY_NOT_FOUND)
    try:
        entry = await cases.get_entry(session, caller.partner.id, entry_id)
    except NotFound as exc:
        raise ApiError(404, ENTRY_NOT_FOUND) from exc
    active = await _active_key_id(session, caller.partner)
    old = {k.key_id for k in caller.partner.keys if k.status != KeyStatus.ACTIVE}
    addable = {active}
    if entry.purpose == EntryPurpose.REPLY:
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
            await audit.record(session, caller.actor, "entry.rewrap", _subject(updated))
            await session.commit()
        except (AlreadyExists, IntegrityError) as exc:
            # A simultaneous re-wrap added the same key's wrap a moment ago.
            raise ApiError(409, REWRAPPED_MEANWHILE) from exc
    else:
        updated = entry  # nothing to change: a repeat of a re-wrap already done
    keys = _partner_key_ids(caller.partner)
    # Attachments come back without their body (the desk has it): a re-wrap moves only wraps.
    return web.json_response(_entry(updated, keys, attachment_body=False))


async def mark_seen(call: Call) -> web.Response:
    """Mark the worker's entries the caseworker has opened as seen by the partner.

    Explicit, never a side effect of reading: listing or exporting the queue leaves the marks as
    they are, and only what the desk actually showed is marked. Entries of another case are
    refused whole. Not audited: it records no change to a case, and the mark carries no day.
    """
    session = call.session
    body = await _body(call.request, SeenMark)
    case = await _case(call, with_entries=False)
    known = await cases.entry_ids_of(session, case)
    if not set(body.entries) <= known:
        raise bad_request("Not every entry named is an entry of this case; nothing was marked.")
    await cases.mark_seen(session, case, body.entries)
    unseen = await cases.count_unseen(session, case)
    await session.commit()
    return web.json_response({"id": case.id, "unseen_entries": unseen})


async def purge_case(call: Call) -> web.Response:
    """Delete the case, its entries and wraps for good; audited with the case id only.

    Only a `lead` credential may: the role is checked before the case is looked up, so a
    `triage` credential learns nothing about which cases exist.
    """
    caller, session = call.caller, call.session
    if caller.role != CredentialRole.LEAD:
        raise ApiError(403, CANNOT_PURGE)
    case = await _case(call, with_entries=False)
    case_id = case.id
    await cases.purge_case(session, case)
    await audit.record(session, caller.actor, "case.purge", case_id)
    await session.commit()
    return web.Response(status=204)


# --- helpers -------------------------------------------------------------------------------


async def _case(call: Call, *, with_entries: bool) -> Case:
    case_id = call.request.match_info["case_id"]
    if not CASE_ID.fullmatch(case_id):
        raise ApiError(404, CASE_NOT_FOUND)
    try:
        return await cases.get_case(
            call.session, call.caller.partner.id, case_id, with_entries=with_entries
        )
    except NotFound as exc:
        raise ApiError(404, CASE_NOT_FOUND) from exc


async def _active_key_id(session: AsyncSession, partner: Partner) -> str:
    key = await partners.active_key(session, partner)
    if key is None:
        raise bad_request(
            "The partner has no active key, so nothing can be sealed for it: ask the "
            "administrators to register a new key."
        )
    return key.key_id


def _partner_key_ids(partner: Partner) -> set[str]:
    return {key.key_id for key in partner.keys}


async def _read_body(request: web.Request) -> bytes:
    """The body, refused past MAX_REQUEST_BYTES whether or not the client announced its length."""
    if request.content_length is not None and request.content_length > MAX_REQUEST_BYTES:
        raise ApiError(413, TOO_LARGE)
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = await request.content.read(READ_CHUNK_BYTES)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > MAX_REQUEST_BYTES:
            raise ApiError(413, TOO_LARGE)
        chunks.append(chunk)


M = TypeVar("M", bound=BaseModel)


async def _body(request: web.Request, model: type[M]) -> M:
    """The request's JSON body read as `model` (bot.api_requests declares each shape)."""
    if request.content_type != JSON_TYPE:
        raise ApiError(415, NOT_JSON_TYPE)
    return parse_body(await _read_body(request), model)


def _large_json(data: Any) -> web.Response:
    """A JSON answer of megabytes (a page of cases, their bodies in base64), encoded by
    pydantic-core: five times faster than the standard library's encoder on such pages."""
    return web.Response(body=to_json(data), content_type=JSON_TYPE, charset="utf-8")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _summary(case: Case | cases.ListedCase, active: frozenset[int]) -> dict[str, Any]:
    """The case's metadata; `active` are the ids of the partner's unrevoked credentials."""
    assignee = case.assignee_credential_id
    return {
        "id": case.id,
        "status": case.status.value,
        "created_day": case.created_day.isoformat(),
        "updated_day": case.updated_day.isoformat(),
        "worker_public_key": _b64(case.worker_public_key),
        # A revoked credential reaches nothing: its cases are nobody's until someone takes them.
        "assignee": assignee if assignee is not None and assignee in active else None,
    }


async def _active_ids(call: Call) -> frozenset[int]:
    """Ids of the partner's unrevoked credentials (a handful: one small query)."""
    found = await credentials.active_credentials(call.session, call.caller.partner.id)
    return frozenset(c.id for c in found)


def _caseworker(credential: CaseworkerCredential) -> dict[str, Any]:
    # Never the token's hash, the days or the partner: whom to assign to, nothing more.
    return {"id": credential.id, "label": credential.label, "role": credential.role.value}


def _unseen(entries: Any) -> int:
    """How many of the worker's entries the partner has not opened yet."""
    return sum(1 for e in entries if e.author == EntryAuthor.WORKER and not e.seen_by_partner)


def _subject(entry: CaseEntry) -> str:
    """How the audit log names an entry: its case and its id, nothing of its content."""
    return f"{entry.case_id}/{entry.id}"


def _shown_wraps(wraps: Mapping[str, bytes], keys: set[str]) -> dict[str, str]:
    # Only the partner's own wraps: the worker's wrap of a reply opens nothing for the desk.
    return {kid: _b64(sealed) for kid, sealed in sorted(wraps.items()) if kid in keys}


def _entry(entry: CaseEntry, keys: set[str], *, attachment_body: bool = True) -> dict[str, Any]:
    hidden = not attachment_body and entry.purpose == EntryPurpose.ATTACHMENT
    return {
        "id": entry.id,
        "seq": entry.seq,
        "purpose": entry.purpose.value,
        "author": entry.author.value,
        "created_day": entry.created_day.isoformat(),
        "size": len(entry.body),
        "body": None if hidden else _b64(entry.body),
        "wraps": _shown_wraps({w.key_id: w.sealed_key for w in entry.wraps}, keys),
        "seen": entry.seen_by_partner,
    }


def _listed_entry(entry: cases.ListedEntry, keys: set[str]) -> dict[str, Any]:
    return {
        "id": entry.id,
        "seq": entry.seq,
        "purpose": entry.purpose.value,
        "author": entry.author.value,
        "created_day": entry.created_day.isoformat(),
        "size": entry.size,
        "body": None if entry.body is None else _b64(entry.body),
        "wraps": _shown_wraps(entry.wraps, keys),
        "seen": entry.seen_by_partner,
    }
