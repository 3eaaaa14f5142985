"""The partner-scoped case API the caseworker desk talks to (docs/openapi.yaml is the contract).

It hands out and takes ciphertext only: the desk decrypts on the caseworker's laptop and seals
its replies and notes there. Every request carries a caseworker credential; every query is scoped
to that credential's partner, and another partner's case or entry gets exactly the answer a
missing one gets. Changes of status and purges are audited under the credential's id, never with
content. Nothing here logs a case id, a token or a body.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from aiohttp import web
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.credentials import audit_name
from crypto.envelope import FORMAT_VERSION, NONCE_BYTES, SEALED_KEY_BYTES, TAG_BYTES
from crypto.keys import PARTNER_KEY_PREFIX, key_id
from crypto.tokens import looks_like_token, token_hash
from storage import audit, cases, credentials, partners
from storage.errors import NotFound, StorageError
from storage.models import (
    Case,
    CaseEntry,
    CaseStatus,
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
MIN_BODY_BYTES: Final = 1 + NONCE_BYTES + TAG_BYTES
"""The smallest envelope body (docs/FORMAT.md): version byte, nonce, tag."""
DEFAULT_LIMIT: Final = cases.DEFAULT_PAGE_SIZE
MAX_LIMIT: Final = cases.MAX_PAGE_SIZE

CASE_ID: Final = re.compile(r"[0-9A-HJKMNP-TV-Z]{12}")
ENTRY_ID: Final = re.compile(r"[0-9A-HJKMNP-TV-Z]{20}")
KEY_ID: Final = re.compile(r"[0-9a-f]{32}")
DAY: Final = re.compile(r"\d{4}-\d{2}-\d{2}")

SESSIONS: Final = web.AppKey("sessions", async_sessionmaker[AsyncSession])

# One sentence each; the same NotFound for "missing" and "another partner's".
CASE_NOT_FOUND: Final = "No such case."
ENTRY_NOT_FOUND: Final = "No such entry."
NO_CREDENTIAL: Final = "A caseworker credential is required: send 'Authorization: Bearer <token>'."
BAD_CREDENTIAL: Final = "This credential is not valid: it is unknown or has been revoked."
TOO_LARGE: Final = f"The request body is larger than {MAX_REQUEST_BYTES} bytes."
NOT_JSON: Final = "The request body is not valid JSON: send one JSON object (UTF-8)."
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
    routes.add_get("/cases", _authenticated(list_cases), allow_head=False)
    routes.add_get("/cases/{case_id}", _authenticated(get_case), allow_head=False)
    routes.add_delete("/cases/{case_id}", _authenticated(purge_case))
    routes.add_put("/cases/{case_id}/status", _authenticated(set_status))
    routes.add_post("/cases/{case_id}/entries", _authenticated(add_entry))
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
    return Caller(credential.id, credential.partner)


# --- the endpoints -------------------------------------------------------------------------


async def get_partner(call: Call) -> web.Response:
    """The partner and its keys, with the signed statements the desk checks before sealing."""
    partner = call.caller.partner
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
    return web.json_response({"slug": partner.slug, "name": partner.name, "keys": keys})


async def list_cases(call: Call) -> web.Response:
    """A page of the partner's cases, most recently changed first, attachments without bodies."""
    caller, session = call.caller, call.session
    query = call.request.query
    status = _status(query["status"]) if "status" in query else None
    since = query.get("changed_since")
    changed_since = _day(since, "changed_since") if since is not None else None
    limit = _whole(query.get("limit"), "limit", DEFAULT_LIMIT, minimum=1, maximum=MAX_LIMIT)
    offset = _whole(query.get("offset"), "offset", 0, minimum=0)
    page = await cases.list_cases(session, caller.partner.id, status, changed_since, limit, offset)
    more = len(page) == limit and bool(
        await cases.list_cases(session, caller.partner.id, status, changed_since, 1, offset + limit)
    )
    entries = await cases.list_entries(session, caller.partner.id, [case.id for case in page])
    keys = _partner_key_ids(caller.partner)
    listed = [
        {**_summary(case), "entries": [_listed_entry(e, keys) for e in entries[case.id]]}
        for case in page
    ]
    return web.json_response({"cases": listed, "next_offset": offset + limit if more else None})


async def get_case(call: Call) -> web.Response:
    """One case with every entry, attachment bodies included."""
    case = await _case(call, with_entries=True)
    keys = _partner_key_ids(call.caller.partner)
    return web.json_response(
        {**_summary(case), "entries": [_entry(entry, keys) for entry in case.entries]}
    )


async def set_status(call: Call) -> web.Response:
    """Move the case to a new status; audited under the credential, with the case id only."""
    caller, session = call.caller, call.session
    body = await _json_object(call.request, required={"status"}, allowed={"status"})
    status = _status(body["status"])
    case = await _case(call, with_entries=False)
    await cases.set_status(session, case, status)
    await audit.record(session, caller.actor, "case.status", case.id)
    await session.commit()
    return web.json_response(_summary(case))


async def add_entry(call: Call) -> web.Response:
    """Store a reply or note sealed by the desk, after checking who can open it.

    A note is for the partner alone: it must be sealed to the partner's active key and to nothing
    else (never the worker). A reply is sealed to the active key and to the worker's case key.
    """
    caller, session = call.caller, call.session
    fields = {"id", "purpose", "body", "wraps"}
    body = await _json_object(call.request, required=fields, allowed=fields)
    entry_id = body["id"]
    if not isinstance(entry_id, str) or not ENTRY_ID.fullmatch(entry_id):
        raise bad_request("'id' must be 20 characters of Crockford's base32 (upper case).")
    purposes = {EntryPurpose.REPLY.value, EntryPurpose.NOTE.value}
    if body["purpose"] not in purposes:
        raise bad_request("'purpose' must be 'reply' or 'note'.")
    purpose = EntryPurpose(body["purpose"])
    sealed_body = _envelope_body(body["body"])
    wraps = _wraps(body["wraps"], "wraps")
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
    if await cases.entry_exists(session, entry_id):
        raise ApiError(409, "An entry with this id exists; draw a new id and seal again.")
    new = cases.NewEntry(entry_id, purpose, EntryAuthor.CASEWORKER, sealed_body, wraps)
    try:
        stored = await cases.add_entry(session, case, new)
        await session.commit()
    except IntegrityError as exc:
        # The same id stored a moment ago by a simultaneous request.
        raise ApiError(409, "An entry with this id exists; draw a new id and seal again.") from exc
    return web.json_response(_entry(stored, _partner_key_ids(caller.partner)), status=201)


async def replace_wraps(call: Call) -> web.Response:
    """Re-wrap after a key rotation: add the active key's wrap, drop retired or revoked ones.

    The body is never touched. An entry always keeps a wrap for the partner's active key, so a
    re-wrap can never lock the partner out of its own case.
    """
    caller, session = call.caller, call.session
    body = await _json_object(call.request, required={"add", "remove"}, allowed={"add", "remove"})
    add = _wraps(body["add"], "add")
    remove = body["remove"]
    if not isinstance(remove, list) or not all(
        isinstance(k, str) and KEY_ID.fullmatch(k) for k in remove
    ):
        raise bad_request("'remove' must be a list of key ids (32 lower-case hex digits).")
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
        # The worker's wrap of a reply may be renewed, never added to anything else.
        addable.add(key_id(entry.case.worker_public_key))
    refused = sorted(set(add) - addable)
    if refused:
        raise bad_request(
            f"Wrap for key {refused[0]} refused: wraps are added only for the partner's active "
            f"key {active}" + (" or the worker's case key." if len(addable) > 1 else ".")
        )
    kept_keys = sorted(set(remove) - old)
    if kept_keys:
        raise bad_request(
            f"Key {kept_keys[0]} is not a retired or revoked key of this partner; only the wraps "
            "of those can be removed."
        )
    kept = ({w.key_id for w in entry.wraps} - set(remove)) | set(add)
    if active not in kept:
        raise bad_request(
            f"The entry must keep a wrap for the partner's active key {active}: add it."
        )
    updated = await cases.replace_wraps(session, caller.partner.id, entry_id, remove, add)
    await session.commit()
    keys = _partner_key_ids(caller.partner)
    # Attachments come back without their body (the desk has it): a re-wrap moves only wraps.
    return web.json_response(_entry(updated, keys, attachment_body=False))


async def purge_case(call: Call) -> web.Response:
    """Delete the case, its entries and wraps for good; audited with the case id only."""
    caller, session = call.caller, call.session
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


async def _json_object(
    request: web.Request, required: set[str], allowed: set[str]
) -> dict[str, Any]:
    raw = await _read_body(request)
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise bad_request(NOT_JSON) from exc
    if not isinstance(data, dict):
        raise bad_request(NOT_JSON)
    missing = sorted(required - set(data))
    if missing:
        raise bad_request(f"Missing field(s): {', '.join(repr(m) for m in missing)}.")
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise bad_request(f"Unknown field(s): {', '.join(repr(u) for u in unknown)}.")
    return data


def _status(value: object) -> CaseStatus:
    if isinstance(value, str):
        try:
            return CaseStatus(value)
        except ValueError:
            pass
    names = ", ".join(status.value for status in CaseStatus)
    raise bad_request(f"Unknown status; use one of: {names}.")


def _day(value: str, name: str) -> date:
    try:
        if DAY.fullmatch(value):
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise bad_request(f"'{name}' must be a day written YYYY-MM-DD.")


def _whole(
    value: str | None, name: str, default: int, *, minimum: int, maximum: int | None = None
) -> int:
    if value is None:
        return default
    if not (value.isascii() and value.isdigit()):
        raise bad_request(f"'{name}' must be a whole number.")
    number = int(value)
    if number < minimum or (maximum is not None and number > maximum):
        upper = f" and at most {maximum}" if maximum is not None else ""
        raise bad_request(f"'{name}' must be at least {minimum}{upper}.")
    return number


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(value: object, what: str) -> bytes:
    if isinstance(value, str):
        try:
            return base64.b64decode(value.encode("ascii"), validate=True)
        except (UnicodeEncodeError, binascii.Error):
            pass
    raise bad_request(f"{what} must be standard base64 (with padding).")


def _envelope_body(value: object) -> bytes:
    body = _unb64(value, "'body'")
    if len(body) < MIN_BODY_BYTES or body[0] != FORMAT_VERSION:
        raise bad_request(
            f"'body' is not an envelope body (docs/FORMAT.md, version {FORMAT_VERSION})."
        )
    return body


def _wraps(value: object, name: str) -> dict[str, bytes]:
    if not isinstance(value, dict):
        raise bad_request(f"'{name}' must be an object: key id -> sealed data key (base64).")
    wraps: dict[str, bytes] = {}
    for kid, sealed in value.items():
        if not KEY_ID.fullmatch(kid):
            raise bad_request(f"'{name}': key ids are 32 lower-case hexadecimal digits.")
        wraps[kid] = _unb64(sealed, f"'{name}': the wrap for key {kid}")
        if len(wraps[kid]) != SEALED_KEY_BYTES:
            raise bad_request(
                f"'{name}': the wrap for key {kid} is not a sealed data key "
                f"({SEALED_KEY_BYTES} bytes)."
            )
    return wraps


def _summary(case: Case) -> dict[str, Any]:
    return {
        "id": case.id,
        "status": case.status.value,
        "created_day": case.created_day.isoformat(),
        "updated_day": case.updated_day.isoformat(),
        "worker_public_key": _b64(case.worker_public_key),
    }


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
    }
