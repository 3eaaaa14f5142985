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

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Final

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.http.calls import (
    SERVER_FAULT,
    SESSIONS,
    ApiError,
    Call,
    Endpoint,
    authenticate,
)
from bot.http.case_routes import (
    count_cases,
    get_case,
    get_partner,
    list_cases,
    list_caseworkers,
    purge_case,
    set_assignee,
    set_status,
)
from bot.http.entry_routes import (
    add_entry,
    mark_seen,
    replace_wraps,
)
from bot.http.request_shapes import RequestRefused
from storage.errors import StorageError

log = logging.getLogger(__name__)


ROUTER_ERRORS: Final = {
    404: "There is no such path in the case API.",
    405: "This method is not allowed on this path.",
}


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _authenticated(endpoint: Endpoint) -> Handler:
    """The aiohttp handler: a session for the request, the credential checked, then `endpoint`.

    The session's transaction is rolled back unless the endpoint commits.
    """

    @functools.wraps(endpoint)
    async def handler(request: web.Request) -> web.StreamResponse:
        async with request.app[SESSIONS]() as session:
            caller = await authenticate(session, request)
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
