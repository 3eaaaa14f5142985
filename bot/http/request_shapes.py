"""Every request shape of the case API, declared once, and how a request that fails one is told.

docs/openapi.yaml is the contract for clients; these typed models are the server's reading of it
(tests/test_openapi.py and the schemathesis suite hold the two together). A body is parsed by
jiter, which bounds nesting depth and refuses duplicated keys, lone surrogates, NaN and invalid
UTF-8, then validated strictly by pydantic: no coercion ("1" is not 1, 1.0 is not a string), no
unknown field, every bound checked before anything reaches the database. Each field carries its
rule as its description, so a refusal is one calm sentence naming the field.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from datetime import date
from typing import Annotated, Any, Final, Literal, TypeVar

import jiter
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic_core import PydanticCustomError

from crypto.envelope import FORMAT_VERSION, NONCE_BYTES, SEALED_KEY_BYTES, TAG_BYTES
from storage.cases import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from vocabulary import DAY, ENTRY_ID, KEY_ID, CaseStatus, anchored

MIN_BODY_BYTES: Final = 1 + NONCE_BYTES + TAG_BYTES
"""The smallest envelope body (docs/FORMAT.md): version byte, nonce, tag."""
MAX_OFFSET: Final = 2**31 - 1
"""No queue holds two billion cases; past this an offset is a mistake, not a page."""
MAX_WRAPS: Final = 8
"""Wraps in one request: an entry is sealed to the active key and at most the worker's."""
MAX_REMOVED: Final = 16
MAX_SEEN: Final = 1000
"""Entries marked seen in one request."""
MAX_CREDENTIAL_ID: Final = 2**31 - 1
"""Credential ids are database integers: past this a number is a mistake, not a credential."""
_DIGITS: Final = re.compile(r"[0-9]{1,12}")
STATUSES: Final = ", ".join(CaseStatus)

NOT_JSON: Final = "The request body is not valid JSON: send one JSON object (UTF-8)."
TOO_DEEP: Final = "The request body is nested too deeply to be a case API request."
DUPLICATE: Final = "The request body names a field twice; send each field once."

M = TypeVar("M", bound=BaseModel)


class RequestRefused(Exception):
    """A request that does not have the declared shape; the message is one sentence."""


# Field types --------------------------------------------------------------------------------


def _base64(value: Any) -> bytes:
    if isinstance(value, str):
        try:
            return base64.b64decode(value.encode("ascii"), validate=True)
        except (UnicodeEncodeError, binascii.Error):
            pass
    raise PydanticCustomError("base64", "must be standard base64 (with padding)")


def _envelope_body(value: Any) -> bytes:
    body = _base64(value)
    if len(body) < MIN_BODY_BYTES or body[0] != FORMAT_VERSION:
        raise PydanticCustomError(
            "envelope", f"is not an envelope body (docs/FORMAT.md, version {FORMAT_VERSION})"
        )
    return body


def _sealed_key(value: Any) -> bytes:
    sealed = _base64(value)
    if len(sealed) != SEALED_KEY_BYTES:
        raise PydanticCustomError(
            "sealed_key", f"is not a sealed data key ({SEALED_KEY_BYTES} bytes, base64)"
        )
    return sealed


def _whole(value: Any) -> int:
    # Query values are text: ASCII digits only (no sign, space, "1_000" or "٣").
    if isinstance(value, str) and _DIGITS.fullmatch(value):
        return int(value)
    raise PydanticCustomError("whole", "must be a whole number")


def _day(value: Any) -> date:
    if isinstance(value, str) and DAY.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise PydanticCustomError("day", "must be a day written YYYY-MM-DD")


EntryId = Annotated[str, Field(pattern=anchored(ENTRY_ID))]
KeyId = Annotated[str, Field(pattern=anchored(KEY_ID))]
SealedKey = Annotated[bytes, BeforeValidator(_sealed_key)]
EnvelopeBody = Annotated[bytes, BeforeValidator(_envelope_body)]
Whole = Annotated[int, BeforeValidator(_whole)]
Day = Annotated[date, BeforeValidator(_day)]
WRAPS_RULE: Final = (
    f"must be an object of at most {MAX_WRAPS} wraps: key id (32 lower-case hexadecimal "
    f"digits) -> sealed data key ({SEALED_KEY_BYTES} bytes, base64)"
)


class _Shape(BaseModel):
    """Strict: unknown fields refused, no type coercion, immutable once read."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


# Bodies -------------------------------------------------------------------------------------


class StatusChange(_Shape):
    """PUT /cases/{case_id}/status."""

    status: CaseStatus = Field(strict=False, description=f"must be one of: {STATUSES}")


class NewEntry(_Shape):
    """POST /cases/{case_id}/entries: a reply or a note sealed by the desk."""

    id: EntryId = Field(description="must be 20 characters of Crockford's base32 (upper case)")
    purpose: Literal["reply", "note"] = Field(description="must be 'reply' or 'note'")
    body: EnvelopeBody = Field(description="must be an envelope body in standard base64")
    wraps: dict[KeyId, SealedKey] = Field(max_length=MAX_WRAPS, description=WRAPS_RULE)


class Rewrap(_Shape):
    """PUT /entries/{entry_id}/wraps: wraps to add (where missing) and old keys' to remove."""

    add: dict[KeyId, SealedKey] = Field(max_length=MAX_WRAPS, description=WRAPS_RULE)
    remove: list[KeyId] = Field(
        max_length=MAX_REMOVED,
        description=f"must be a list of at most {MAX_REMOVED} key ids "
        "(32 lower-case hexadecimal digits)",
    )


class SeenMark(_Shape):
    """POST /cases/{case_id}/seen: the worker's entries the caseworker has just opened."""

    entries: list[EntryId] = Field(
        min_length=1,
        max_length=MAX_SEEN,
        description=f"must be a list of 1 to {MAX_SEEN} entry ids of this case",
    )


class AssigneeChange(_Shape):
    """PUT /cases/{case_id}/assignee: a caseworker credential of the partner, or nobody."""

    credential_id: Annotated[int, Field(ge=1, le=MAX_CREDENTIAL_ID)] | None = Field(
        description="must be the id of a caseworker credential of your partner (a whole "
        "number), or null for nobody"
    )


# Query --------------------------------------------------------------------------------------


class CaseQuery(_Shape):
    """GET /cases: the filters and the page."""

    status: CaseStatus | None = Field(None, strict=False, description=f"must be one of: {STATUSES}")
    changed_since: Day | None = Field(None, description="must be a day written YYYY-MM-DD")
    limit: Whole = Field(
        DEFAULT_PAGE_SIZE,
        ge=1,
        le=MAX_PAGE_SIZE,
        description=f"must be a whole number from 1 to {MAX_PAGE_SIZE}",
    )
    offset: Whole = Field(
        0, ge=0, le=MAX_OFFSET, description=f"must be a whole number from 0 to {MAX_OFFSET}"
    )


class CaseCountQuery(_Shape):
    """GET /cases/count: the filters of the list, without the page."""

    status: CaseStatus | None = Field(None, strict=False, description=f"must be one of: {STATUSES}")
    changed_since: Day | None = Field(None, description="must be a day written YYYY-MM-DD")


# Reading ------------------------------------------------------------------------------------


def parse_body(raw: bytes, model: type[M]) -> M:
    """The body `raw` read as `model`; RequestRefused with one sentence if it is not one."""
    try:
        data = jiter.from_json(raw, catch_duplicate_keys=True, allow_inf_nan=False)
    except ValueError as exc:
        text = str(exc)
        if "recursion limit" in text:
            raise RequestRefused(TOO_DEEP) from None
        if "duplicate key" in text.lower():
            raise RequestRefused(DUPLICATE) from None
        raise RequestRefused(NOT_JSON) from None
    if not isinstance(data, dict):
        raise RequestRefused(NOT_JSON)
    return _validated(model, data)


def parse_query(pairs: Sequence[tuple[str, str]], model: type[M]) -> M:
    """The query parameters (every name and value, in order) read as `model`; each once."""
    data = dict(pairs)
    if len(data) != len(pairs):
        raise RequestRefused("A query parameter is given more than once; give each once.")
    return _validated(model, data, "query parameter(s)")


def _validated(model: type[M], data: dict[str, Any], what: str = "field(s)") -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise RequestRefused(_sentence(model, exc, what)) from None


def _sentence(model: type[BaseModel], exc: ValidationError, what: str) -> str:
    """One sentence for the first thing wrong: what is missing, unknown, or the field's rule."""
    errors = exc.errors(include_url=False, include_input=False)
    missing = [str(e["loc"][0]) for e in errors if e["type"] == "missing"]
    if missing:
        return f"Missing field(s): {', '.join(repr(name) for name in missing)}."
    if any(e["type"] == "extra_forbidden" for e in errors):
        # The allowed names, not the unknown ones: nothing of the request is sent back.
        allowed = ", ".join(repr(name) for name in model.model_fields)
        return f"Unknown {what}; use only {allowed}."
    first = errors[0]
    name = str(first["loc"][0]) if first["loc"] else ""
    field = model.model_fields.get(name)
    rule = field.description if field is not None else None
    key = str(first["loc"][1]) if len(first["loc"]) > 1 else ""
    if first["type"] in {"base64", "sealed_key"} and KEY_ID.fullmatch(key):
        # A wrap's value: say which key's wrap, since a request carries several.
        return f"'{name}': the wrap for key {key} {first['msg']}."
    if first["type"] in {"base64", "envelope", "sealed_key"}:
        return f"'{name}' {first['msg']}."
    return f"'{name}' {rule}." if rule else "The request does not have the documented shape."
