"""The case API as the desk sees it: ciphertext in, ciphertext out, and errors as one sentence.

Everything here is transport. The server is not trusted with content: it hands out envelopes and
stores the ones the desk seals; decrypting and sealing happen in `desk.cases` and `desk.actions`.
Each way a request can fail becomes a `DeskError` whose message a caseworker can act on.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import functools
import json
import re
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Final, TypeVar
from urllib.parse import quote, urlsplit

import aiohttp
import jiter

from crypto.envelope import Envelope
from desk.errors import DeskError as DeskError  # where the desk has always named it
from vocabulary import CASE_ID, DAY, ENTRY_ID, KEY_ID, STATUSES, KeyStatus

API: Final = "/api/v1"
MAX_PAGE: Final = 1000
"""The largest page the API serves."""
PAGE_SIZE = MAX_PAGE
"""Cases asked for per request when fetching a whole queue: fewer round trips."""
CONNECT_SECONDS: Final = 15.0
READ_SECONDS: Final = 120.0
"""Generous: a page of a thousand cases is megabytes of ciphertext on a slow office line."""
_WORD: Final = re.compile(r"[a-z][a-z-]{0,31}")
"""Statuses, purposes, authors: lower-case words, whatever new ones the server may add."""
_CROCKFORD_ALIASES: Final = str.maketrans({"I": "1", "L": "1", "O": "0"})
T = TypeVar("T")


class Conflict(DeskError):
    """The server refused a change because the case or entry changed meanwhile (HTTP 409)."""


def parse_case_id(text: str) -> str:
    """A case id as typed or read aloud: case-insensitive, dashes and spaces ignored.

    Crockford's alphabet reads I and L as 1 and O as 0, so a misread id still finds its case.
    """
    cleaned = re.sub(r"[\s-]", "", text).upper().translate(_CROCKFORD_ALIASES)
    if not CASE_ID.fullmatch(cleaned):
        raise DeskError(f"'{text}' is not a case id (12 letters and digits, e.g. 7KQ2M9XD4H1A)")
    return cleaned


@dataclass(frozen=True)
class PartnerKey:
    """One of the partner's public keys as the server lists it."""

    key_id: str
    public_key: str
    """The `gpk1` text form."""
    status: str
    """active, retired or revoked."""
    signature: bytes | None = None
    """The administrators' signature over the key statement, if the server gives it."""
    statement_day: str | None = None
    """The day written in that statement, if the server gives it."""


@dataclass(frozen=True)
class Caseworker:
    """A caseworker credential of the partner: whom a case can be assigned to."""

    id: int
    label: str
    """The administrators' label, e.g. "office laptop 2" (untrusted text, like all answers)."""
    role: str


@dataclass(frozen=True)
class Partner:
    """The credential's partner and its keys."""

    slug: str
    name: str
    keys: tuple[PartnerKey, ...]
    me: Caseworker | None = None
    """The credential this desk uses, as the server names it."""

    def active_key(self) -> PartnerKey | None:
        """The key new reports, notes and replies are sealed to, if there is one."""
        return next((key for key in self.keys if key.status == KeyStatus.ACTIVE), None)


@dataclass(frozen=True)
class Entry:
    """One envelope of a case, still sealed."""

    id: str
    seq: int
    purpose: str
    author: str
    created_day: str
    size: int
    body: bytes | None
    """None for attachments in case lists: fetch the case to get them."""
    wraps: Mapping[str, bytes]
    seen: bool = True
    """Whether a caseworker of the partner has opened it (a worker's entry starts unseen)."""

    def envelope(self) -> Envelope:
        """The envelope to open; only for entries whose body was sent."""
        if self.body is None:
            raise DeskError(f"entry {self.id} came without its body; fetch the whole case")
        return Envelope(self.body, self.wraps)


@dataclass(frozen=True)
class Case:
    """A case as the server holds it: metadata in clear, every entry sealed."""

    id: str
    status: str
    created_day: str
    updated_day: str
    worker_public_key: bytes
    entries: tuple[Entry, ...] = ()
    unseen_entries: int = 0
    """The worker's entries no caseworker of the partner has opened yet, as the server counts."""
    assignee: int | None = None
    """The id of the caseworker credential the case is assigned to; None for nobody."""


@dataclass(frozen=True)
class CaseCount:
    """How many cases a listing would give, by status, and how many have unseen entries."""

    total: int
    by_status: Mapping[str, int]
    unseen_cases: int
    """Cases with an entry of the worker nobody at the partner has opened (new ones included)."""


class CaseClient:
    """An async client for every endpoint of docs/openapi.yaml.

    Use as `async with CaseClient(server, token) as client: ...`; one connection pool is kept
    for the client's life.
    """

    def __init__(
        self,
        server: str,
        token: str,
        *,
        timeout: aiohttp.ClientTimeout | None = None,
    ) -> None:
        self.server = check_server(server)
        self._token = token
        self._timeout = timeout or aiohttp.ClientTimeout(
            total=None, sock_connect=CONNECT_SECONDS, sock_read=READ_SECONDS
        )
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> CaseClient:
        self._session = aiohttp.ClientSession(
            base_url=self.server,
            timeout=self._timeout,
            headers={"Authorization": f"Bearer {self._token}"},
            raise_for_status=False,
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    # Endpoints ------------------------------------------------------------------------------

    async def partner(self) -> Partner:
        """GET /api/v1/partner: who the credential belongs to, and the partner's keys."""
        data = await self._request("GET", f"{API}/partner")
        return _guard(_partner, data)

    async def caseworkers(self) -> list[Caseworker]:
        """GET /api/v1/caseworkers: the partner's active credentials, whom to assign cases to."""
        data = await self._request("GET", f"{API}/caseworkers")
        return _guard(_caseworkers, data)

    async def count(
        self, *, status: str | None = None, changed_since: str | None = None
    ) -> CaseCount:
        """GET /api/v1/cases/count: the size of the queue a listing with these filters gives."""
        params: dict[str, str] = {}
        if status is not None:
            params["status"] = status
        if changed_since is not None:
            params["changed_since"] = changed_since
        data = await self._request("GET", f"{API}/cases/count", params=params)
        return _guard(_case_count, data)

    async def cases_page(
        self,
        *,
        status: str | None = None,
        changed_since: str | None = None,
        limit: int = MAX_PAGE,
        offset: int = 0,
    ) -> tuple[list[Case], int | None]:
        """One page of cases (newest change first) and the offset of the next page, or None."""
        params: dict[str, str] = {"limit": str(limit), "offset": str(offset)}
        if status is not None:
            params["status"] = status
        if changed_since is not None:
            params["changed_since"] = changed_since
        data = await self._request("GET", f"{API}/cases", params=params)
        return _guard(_page, data)

    async def pages(
        self,
        *,
        status: str | None = None,
        changed_since: str | None = None,
        page_size: int | None = None,
    ) -> AsyncIterator[list[Case]]:
        """Every page of the queue, in order, until the server says it was the last.

        The next page is asked for before the current one has arrived, so the server never
        waits for the desk (and the desk rarely for the server) on a long queue. A request
        made in vain after the last page costs the server one empty query.
        """
        size = page_size or PAGE_SIZE

        def ask(offset: int) -> asyncio.Task[tuple[list[Case], int | None]]:
            return asyncio.ensure_future(
                self.cases_page(
                    status=status, changed_since=changed_since, limit=size, offset=offset
                )
            )

        offset = 0
        current, ahead = ask(0), ask(size)
        try:
            while True:
                page, next_offset = await current
                if next_offset is not None and next_offset <= offset:
                    raise DeskError("the server's paging went backwards; try again")
                if next_offset is None:
                    yield page
                    return
                if next_offset == offset + size:
                    current, ahead = ahead, ask(next_offset + size)
                else:  # the server pages differently than foreseen: follow it
                    ahead.cancel()
                    current, ahead = ask(next_offset), ask(next_offset + size)
                offset = next_offset
                yield page
        finally:
            for task in (current, ahead):
                task.cancel()
            await asyncio.gather(current, ahead, return_exceptions=True)

    async def case(self, case_id: str) -> Case:
        """GET one case with every entry, attachment bodies included."""
        data = await self._request("GET", _case_path(case_id), case_id=case_id)
        return _guard(_case, data)

    async def purge(self, case_id: str) -> None:
        """DELETE a case, its entries and wraps."""
        await self._request("DELETE", _case_path(case_id), case_id=case_id)

    async def set_status(self, case_id: str, status: str) -> Case:
        """PUT the case's status; returns the case without entries."""
        if status not in STATUSES:
            raise DeskError(f"'{status}' is not a status; use one of {', '.join(STATUSES)}")
        data = await self._request(
            "PUT", f"{_case_path(case_id)}/status", json_body={"status": status}, case_id=case_id
        )
        return _guard(_case, data)

    async def set_assignee(self, case_id: str, credential_id: int | None) -> Case:
        """PUT the case's assignee (a credential of the partner, or None for nobody); returns
        the case without entries."""
        data = await self._request(
            "PUT",
            f"{_case_path(case_id)}/assignee",
            json_body={"credential_id": credential_id},
            case_id=case_id,
        )
        return _guard(_case, data)

    async def add_entry(
        self, case_id: str, entry_id: str, purpose: str, envelope: Envelope
    ) -> Entry:
        """POST a reply or note the desk has sealed."""
        body = {
            "id": entry_id,
            "purpose": purpose,
            "body": _b64(envelope.body),
            "wraps": {key: _b64(sealed) for key, sealed in envelope.wraps.items()},
        }
        data = await self._request(
            "POST", f"{_case_path(case_id)}/entries", json_body=body, case_id=case_id
        )
        return _guard(_entry, data)

    async def mark_seen(self, case_id: str, entry_ids: Sequence[str]) -> int:
        """POST that the caseworker has opened these entries; the worker's entries left unseen."""
        body = {"entries": list(entry_ids)}
        data = await self._request(
            "POST", f"{_case_path(case_id)}/seen", json_body=body, case_id=case_id
        )
        return _guard(_unseen_count, data)

    async def replace_wraps(
        self, entry_id: str, add: Mapping[str, bytes], remove: Sequence[str]
    ) -> Entry:
        """PUT new wraps of an entry (for the active key) and drop those of old keys."""
        if not ENTRY_ID.fullmatch(entry_id):
            raise DeskError(f"'{entry_id}' is not an entry id")
        body = {"add": {key: _b64(sealed) for key, sealed in add.items()}, "remove": list(remove)}
        data = await self._request(
            "PUT", f"{API}/entries/{entry_id}/wraps", json_body=body, entry_id=entry_id
        )
        return _guard(_entry, data)

    # Transport ------------------------------------------------------------------------------

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
        case_id: str | None = None,
        entry_id: str | None = None,
    ) -> Any:
        if self._session is None:
            raise RuntimeError("use the client as 'async with CaseClient(...) as client'")
        try:
            async with self._session.request(
                method, path, params=params, json=json_body
            ) as response:
                raw = await response.read()
                status = response.status
        except aiohttp.InvalidURL as exc:
            raise DeskError(f"'{self.server}' is not a server address") from exc
        except TimeoutError as exc:
            raise DeskError(f"the server at {self.server} did not answer in time") from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise DeskError(f"cannot reach the server at {self.server}: {_reason(exc)}") from exc
        if 200 <= status < 300:
            if not raw:
                return None
            try:
                # jiter: a page of a thousand cases is megabytes; it parses them faster and
                # refuses what json.loads lets through (NaN, lone surrogates).
                return jiter.from_json(raw, allow_inf_nan=False)
            except ValueError as exc:
                raise DeskError(
                    f"the server at {self.server} did not answer as a grievance server does"
                ) from exc
        raise _status_error(status, _server_message(raw), self.server, case_id, entry_id)


def check_server(server: str) -> str:
    """The server's base URL, refused early if it is not http(s)://HOST[:PORT]."""
    cleaned = server.strip().rstrip("/")
    parts = urlsplit(cleaned)
    if parts.scheme not in {"http", "https"} or not parts.netloc or parts.path or parts.query:
        raise DeskError(
            f"'{server}' is not a server address; give it as https://HOST or http://HOST:PORT"
        )
    return cleaned


def _case_path(case_id: str) -> str:
    return f"{API}/cases/{quote(parse_case_id(case_id), safe='')}"


def _status_error(
    status: int, message: str | None, server: str, case_id: str | None, entry_id: str | None
) -> DeskError:
    if status == 401:
        return DeskError("the server refused the token: the token is not valid or was revoked")
    if status == 404 and case_id is not None:
        return DeskError(f"no case {parse_case_id(case_id)} in your partner's queue")
    if status == 404 and entry_id is not None:
        return DeskError(f"no entry {entry_id} in your partner's queue")
    if status == 404:
        return DeskError(f"the server at {server} has no case API at this address")
    if status == 409:
        return Conflict(f"the server refused the request: {message or 'it changed meanwhile'}")
    if status in {400, 403, 413, 415} and message:
        return DeskError(f"the server refused the request: {message}")
    if status == 413:
        return DeskError("the server refused the request: it is too large")
    if status >= 500:
        return DeskError(f"the server at {server} failed (HTTP {status}); try again later")
    detail = f": {message}" if message else ""
    return DeskError(f"the server refused the request (HTTP {status}){detail}")


def _server_message(raw: bytes) -> str | None:
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    message = data.get("error") if isinstance(data, dict) else None
    if not isinstance(message, str):
        return None
    # One line, printable: the server's words end up on the caseworker's terminal.
    return "".join(c for c in " ".join(message.split()) if c.isprintable())[:300] or None


def _reason(exc: BaseException) -> str:
    if isinstance(exc, aiohttp.ClientConnectorError):
        inner = exc.os_error
        return (inner.strerror or str(inner)).lower() if inner else "connection failed"
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return "the connection was closed"
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:200]


# Parsing: the server's answers are checked, not trusted ------------------------------------


class _Malformed(Exception):
    pass


def _guard(parse: Callable[[Any], T], data: Any) -> T:
    try:
        return parse(data)
    except (_Malformed, KeyError, TypeError, ValueError, binascii.Error) as exc:
        raise DeskError("the server's answer is not in the form the desk expects") from exc


def _partner(data: Any) -> Partner:
    keys = tuple(
        PartnerKey(
            key_id=_match(KEY_ID, key["key_id"]),
            public_key=_str(key["public_key"]),
            status=_match(_WORD, key["status"]),
            signature=_unb64(key["signature"]) if key.get("signature") else None,
            statement_day=(
                _str(key.get("statement_day") or key.get("day"))
                if key.get("statement_day") or key.get("day")
                else None
            ),
        )
        for key in data["keys"]
    )
    me = _caseworker(data["me"]) if data.get("me") is not None else None
    return Partner(slug=_str(data["slug"]), name=_str(data["name"]), keys=keys, me=me)


def _caseworker(data: Any) -> Caseworker:
    return Caseworker(
        id=_id(data["id"]), label=_str(data["label"]), role=_match(_WORD, data["role"])
    )


def _caseworkers(data: Any) -> list[Caseworker]:
    return [_caseworker(item) for item in data["caseworkers"]]


def _case_count(data: Any) -> CaseCount:
    by_status = data["by_status"]
    if not isinstance(by_status, dict):
        raise _Malformed
    return CaseCount(
        total=_count(data["total"]),
        by_status={_match(_WORD, status): _count(n) for status, n in by_status.items()},
        unseen_cases=_count(data["unseen_cases"]),
    )


def _page(data: Any) -> tuple[list[Case], int | None]:
    next_offset = data["next_offset"]
    if next_offset is not None and (not isinstance(next_offset, int) or next_offset < 0):
        raise _Malformed
    return [_case(item) for item in data["cases"]], next_offset


def _case(data: Any) -> Case:
    return Case(
        id=_match(CASE_ID, data["id"]),
        status=_match_few(_WORD, data["status"]),
        created_day=_match_few(DAY, data["created_day"]),
        updated_day=_match_few(DAY, data["updated_day"]),
        worker_public_key=_unb64(data["worker_public_key"]),
        entries=tuple(_entry(item) for item in data.get("entries") or ()),
        unseen_entries=_count(data.get("unseen_entries", 0)),
        assignee=None if data.get("assignee") is None else _id(data["assignee"]),
    )


def _unseen_count(data: Any) -> int:
    return _count(data["unseen_entries"])


def _count(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise _Malformed
    return value


def _id(value: Any) -> int:
    if _count(value) < 1:
        raise _Malformed
    return int(value)


def _entry(data: Any) -> Entry:
    body = data["body"]
    size = data["size"]
    seq = data["seq"]
    wraps = data["wraps"]
    if not isinstance(size, int) or not isinstance(seq, int) or not isinstance(wraps, dict):
        raise _Malformed
    return Entry(
        id=_match(ENTRY_ID, data["id"]),
        seq=seq,
        purpose=_match_few(_WORD, data["purpose"]),
        author=_match_few(_WORD, data["author"]),
        created_day=_match_few(DAY, data["created_day"]),
        size=size,
        body=None if body is None else _unb64(body),
        wraps={_match_few(KEY_ID, key): _unb64(sealed) for key, sealed in wraps.items()},
        seen=_flag(data.get("seen", True)),
    )


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _Malformed
    return value


def _match(pattern: re.Pattern[str], value: Any) -> str:
    # Ids become file names and terminal text: a server cannot slip in a path or an escape.
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise _Malformed
    return value


@functools.lru_cache(maxsize=4096)
def _fits(pattern: re.Pattern[str], value: str) -> bool:
    return pattern.fullmatch(value) is not None


def _match_few(pattern: re.Pattern[str], value: Any) -> str:
    """`_match` for values a queue repeats (words, days, key ids): each checked once, not once
    per entry of ten thousand cases."""
    if not isinstance(value, str) or not _fits(pattern, value):
        raise _Malformed
    return value


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise _Malformed
    return value


def _unb64(value: Any) -> bytes:
    # What b64decode(validate=True) does, minus its wrapper (tens of thousands per queue): a
    # character outside the alphabet, bad padding or non-ASCII text is refused.
    if not isinstance(value, str):
        raise _Malformed
    return binascii.a2b_base64(value, strict_mode=True)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
