"""What every endpoint of the case API shares: the caller and its call, the refusals, the
request body read within its limit, and the partner-scoped lookups (another partner's case or
entry gets exactly the answer a missing one gets)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Final, TypeVar

from aiohttp import web
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.admin.credentials import audit_name
from bot.http.request_shapes import parse_body
from crypto.tokens import looks_like_token, token_hash
from storage import cases, credentials, partners
from storage.errors import NotFound
from storage.models import Case, Partner
from vocabulary import CASE_ID, CredentialRole

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


async def authenticate(session: AsyncSession, request: web.Request) -> Caller:
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


async def scoped_case(call: Call, *, with_entries: bool) -> Case:
    case_id = call.request.match_info["case_id"]
    if not CASE_ID.fullmatch(case_id):
        raise ApiError(404, CASE_NOT_FOUND)
    try:
        return await cases.get_case(
            call.session, call.caller.partner.id, case_id, with_entries=with_entries
        )
    except NotFound as exc:
        raise ApiError(404, CASE_NOT_FOUND) from exc


async def active_key_id(session: AsyncSession, partner: Partner) -> str:
    key = await partners.active_key(session, partner)
    if key is None:
        raise bad_request(
            "The partner has no active key, so nothing can be sealed for it: ask the "
            "administrators to register a new key."
        )
    return key.key_id


def partner_key_ids(partner: Partner) -> set[str]:
    return {key.key_id for key in partner.keys}


async def active_ids(call: Call) -> frozenset[int]:
    """Ids of the partner's unrevoked credentials (a handful: one small query)."""
    found = await credentials.active_credentials(call.session, call.caller.partner.id)
    return frozenset(c.id for c in found)


async def read_body(request: web.Request) -> bytes:
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


async def body_of(request: web.Request, model: type[M]) -> M:
    """The request's JSON body read as `model` (bot.http.request_shapes declares each shape)."""
    if request.content_type != JSON_TYPE:
        raise ApiError(415, NOT_JSON_TYPE)
    return parse_body(await read_body(request), model)
