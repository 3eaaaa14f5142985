"""The case API's endpoints on the partner, its caseworkers and its cases: list, count, read,
status, assignment and purge. Each change is audited under the credential, never with content."""

from __future__ import annotations

from typing import Final

from aiohttp import web

from bot.admin.credentials import audit_name
from bot.http.answers import (
    b64,
    caseworker_answer,
    entry_answer,
    large_json,
    listed_entry_answer,
    summary,
    unseen,
)
from bot.http.calls import (
    ApiError,
    Call,
    active_ids,
    bad_request,
    body_of,
    partner_key_ids,
    scoped_case,
)
from bot.http.request_shapes import (
    AssigneeChange,
    CaseCountQuery,
    CaseQuery,
    StatusChange,
    parse_query,
)
from crypto.keys import PARTNER_KEY_PREFIX
from storage import audit, cases, credentials
from vocabulary import CredentialRole

# The same for a credential that never existed, one of another partner and a revoked one.
NO_SUCH_CASEWORKER: Final = (
    "No such caseworker credential of your partner: GET /api/v1/caseworkers lists them."
)


CANNOT_PURGE: Final = (
    "This credential cannot purge cases: purging needs a 'lead' credential from the administrators."
)


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
            "signature": b64(key.signature),
        }
        for key in partner.keys
    ]
    me = {"id": caller.credential_id, "label": caller.label, "role": caller.role.value}
    return web.json_response({"slug": partner.slug, "name": partner.name, "keys": keys, "me": me})


async def list_caseworkers(call: Call) -> web.Response:
    """The partner's active credentials, whom a case can be assigned to: id, label, role only."""
    found = await credentials.active_credentials(call.session, call.caller.partner.id)
    return web.json_response({"caseworkers": [caseworker_answer(c) for c in found]})


async def list_cases(call: Call) -> web.Response:
    """A page of the partner's cases, most recently changed first, attachments without bodies."""
    caller, session = call.caller, call.session
    query = parse_query(list(call.request.query.items()), CaseQuery)
    status, since, limit, offset = query.status, query.changed_since, query.limit, query.offset
    partner_id = caller.partner.id
    page, more = await cases.list_case_page(session, partner_id, status, since, limit, offset)
    entries = await cases.list_entries(session, partner_id, [case.id for case in page])
    keys = partner_key_ids(caller.partner)
    active = await active_ids(call)
    listed = [
        {
            **summary(case, active),
            "unseen_entries": unseen(entries[case.id]),
            "entries": [listed_entry_answer(e, keys) for e in entries[case.id]],
        }
        for case in page
    ]
    return large_json({"cases": listed, "next_offset": offset + limit if more else None})


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
    case = await scoped_case(call, with_entries=True)
    keys = partner_key_ids(call.caller.partner)
    return large_json(
        {
            **summary(case, await active_ids(call)),
            "unseen_entries": unseen(case.entries),
            "entries": [entry_answer(entry, keys) for entry in case.entries],
        }
    )


async def set_status(call: Call) -> web.Response:
    """Move the case to a new status; audited under the credential, with the case id only."""
    caller, session = call.caller, call.session
    body = await body_of(call.request, StatusChange)
    case = await scoped_case(call, with_entries=False)
    await cases.set_status(session, case, body.status)
    await audit.record(session, caller.actor, "case.status", case.id)
    active = await active_ids(call)
    await session.commit()
    return web.json_response(summary(case, active))


async def set_assignee(call: Call) -> web.Response:
    """Assign the case to an active credential of the partner, or to nobody (null).

    A credential that does not exist, is another partner's or is revoked gets one and the same
    refusal. A change is audited as `case.assign` with the case and credential ids and the day;
    assigning again to the same one changes and records nothing. `updated_day` stays.
    """
    caller, session = call.caller, call.session
    body = await body_of(call.request, AssigneeChange)
    case = await scoped_case(call, with_entries=False)
    active = await active_ids(call)
    target = body.credential_id
    if target is not None and target not in active:
        raise bad_request(NO_SUCH_CASEWORKER)
    if await cases.assign(session, case, target):
        who = audit_name(target) if target is not None else "nobody"
        await audit.record(session, caller.actor, "case.assign", f"{case.id} {who}")
    await session.commit()
    return web.json_response(summary(case, active))


async def purge_case(call: Call) -> web.Response:
    """Delete the case, its entries and wraps for good; audited with the case id only.

    Only a `lead` credential may: the role is checked before the case is looked up, so a
    `triage` credential learns nothing about which cases exist.
    """
    caller, session = call.caller, call.session
    if caller.role != CredentialRole.LEAD:
        raise ApiError(403, CANNOT_PURGE)
    case = await scoped_case(call, with_entries=False)
    case_id = case.id
    await cases.purge_case(session, case)
    await audit.record(session, caller.actor, "case.purge", case_id)
    await session.commit()
    return web.Response(status=204)
