"""The console's own log: routes and outcomes, never case content, tokens or search words.

aiohttp's access log would write the request line, query string included, and the start link's
query holds the one-time token; it is switched off and replaced by one line a request naming
the route's pattern (`GET /cases/{case_id} 200`). Libraries' messages keep their words but lose
their arguments, and an exception is named by its type only: its text may quote what a worker
wrote. The idea is bot/logs.py's; the desk may not import the bot, so it is written again here.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Awaitable, Callable
from typing import Final, TextIO

from aiohttp import web

LOGGER: Final = logging.getLogger("desk.console")
HANDLER_NAME: Final = "grievance-console"
FORMAT: Final = "%(levelname)s %(name)s: %(message)s"
THIRD_PARTY: Final = ("aiohttp", "asyncio", "jinja2", "babel", "urllib3")
_PLACEHOLDER: Final = re.compile(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[a-zA-Z%]")
_TOKEN: Final = re.compile(r"gct_[A-Za-z0-9_-]+|start=[A-Za-z0-9_-]+")


class ContentFreeFormatter(logging.Formatter):
    """Keeps a record's own words; drops library arguments, secrets and exception texts.

    A formatter, not a filter: it never changes the record, which every other handler on the
    root logger sees after it.
    """

    def __init__(self, secrets: tuple[str, ...] = ()) -> None:
        super().__init__(FORMAT)
        self._secrets = tuple(s for s in secrets if len(s) >= 8)

    def format(self, record: logging.LogRecord) -> str:
        if record.name.split(".")[0] in THIRD_PARTY and record.args:
            message = _PLACEHOLDER.sub("[…]", str(record.msg))
        else:
            message = record.getMessage()
        for secret in self._secrets:
            message = message.replace(secret, "[secret]")
        message = _TOKEN.sub("[token]", message)
        if record.exc_info and record.exc_info[1] is not None:
            message = f"{message} ({type(record.exc_info[1]).__name__})"
        return f"{record.levelname} {record.name}: {message}"


def configure(secrets: tuple[str, ...] = (), stream: TextIO | None = None) -> logging.Handler:
    """One handler on the root logger, content-free; libraries at WARNING and above."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(ContentFreeFormatter(secrets))
    handler.set_name(HANDLER_NAME)
    root = logging.getLogger()
    for existing in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    for name in THIRD_PARTY:
        logging.getLogger(name).setLevel(logging.WARNING)
    return handler


def route_of(request: web.Request) -> str:
    """The route's pattern, never the path itself (it holds case and entry ids)."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "(no route)"


@web.middleware
async def access_log(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """`GET /cases/{case_id} 200`: enough to see the console work, nothing to read a case by."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        LOGGER.info("%s %s %s", request.method, route_of(request), exc.status)
        raise
    LOGGER.info("%s %s %s", request.method, route_of(request), response.status)
    return response
