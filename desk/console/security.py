"""The console's guard: only this laptop's browser, only with this start's secret, no forgery.

A web app on 127.0.0.1 can still be reached by any page the caseworker's browser opens: by a
form posted from another site (CSRF), by a hostile domain that resolves to 127.0.0.1 (DNS
rebinding), or by anyone who learns the port. So every request must:

1. name this console in its Host header (a rebinding domain cannot);
2. carry the per-start secret cookie (HttpOnly, SameSite=Strict, so other sites' requests lack
   it), which only the one-time start link printed in the terminal hands out;
3. for anything that changes state, carry the per-start CSRF token as a form field, compared in
   constant time, and come from this console's own origin if the browser names one.

Every answer, error pages included, gets a Content-Security-Policy with no remote origin and no
inline script, `Cache-Control: no-store`, no referrer and no `Server` header.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Final

from aiohttp import web
from aiohttp.typedefs import Middleware

from desk.console.i18n import N_, negotiate, translations

COOKIE: Final = "grievance_console"
CSRF_FIELD: Final = "csrf"
SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
CONTENT_SECURITY_POLICY: Final = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; "
    "media-src 'self' blob:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)
HEADERS: Final = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
LOOPBACK_NAMES: Final = ("127.0.0.1", "localhost", "[::1]")
OPEN_PREFIXES: Final = ("/static/",)
"""Paths served without the secret cookie: the console's own CSS, script and icon."""

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

NO_HOST = N_(
    "This console answers only at the address it printed when it started; open that address."
)
NO_COOKIE = N_(
    "This console opens only from the link it printed when it started: start it again with "
    "'grievance desk console' and use the new link."
)
LINK_USED = N_(
    "This start link was already used or is not this console's: start the console again for "
    "a new link."
)
NO_CSRF = N_(
    "This request did not come from a page of this console, so it was refused; nothing was changed."
)


def host_name(address: str) -> str:
    """An address as a Host header writes it: IPv6 in brackets."""
    try:
        parsed = ipaddress.ip_address(address.strip("[]"))
    except ValueError:
        return address.lower()
    return f"[{parsed}]" if parsed.version == 6 else str(parsed)


@dataclass
class Guard:
    """The secrets of this start and the addresses the console answers at."""

    hosts: frozenset[str]
    start_token: str | None = field(default_factory=lambda: secrets.token_urlsafe(32))
    session: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))

    @classmethod
    def for_port(cls, port: int, listen: Iterable[str] = ()) -> Guard:
        """A guard for a console on `port`, at loopback and at the --listen addresses."""
        names = {*LOOPBACK_NAMES, *(host_name(address) for address in listen)}
        return cls(frozenset(f"{name}:{port}" for name in names))

    @property
    def origins(self) -> frozenset[str]:
        """The browser's Origin for pages of this console."""
        return frozenset(f"http://{host}" for host in self.hosts)

    def start_url(self, host: str) -> str:
        """The link printed at start: it hands the secret cookie to the first browser."""
        return f"http://{host}/?start={self.start_token}"

    def has_session(self, request: web.Request) -> bool:
        """The request carries this start's secret cookie."""
        return _same(request.cookies.get(COOKIE), self.session)

    def host_allowed(self, request: web.Request) -> bool:
        """The Host header names this console, not a domain that merely resolves to it."""
        return request.headers.get("Host", "").lower() in self.hosts

    def exchange(self, request: web.Request, token: str) -> web.StreamResponse:
        """The one-time start link: set the cookie, then go to a clean address."""
        if self.start_token is not None and _same(token, self.start_token):
            self.start_token = None
            response = _see_other("/")
            response.set_cookie(COOKIE, self.session, httponly=True, samesite="Strict", path="/")
            return response
        if self.has_session(request):
            return _see_other("/")
        return refusal(request, 403, LINK_USED)

    async def csrf_ok(self, request: web.Request) -> bool:
        """A state change from a page of this console: the form's token, and no sign of another
        site (with `Referrer-Policy: no-referrer` a browser sends `Origin: null` for its own
        forms; `Sec-Fetch-Site` still says where a request came from)."""
        origin = request.headers.get("Origin")
        if origin is not None and origin != "null" and origin.lower() not in self.origins:
            return False
        if request.headers.get("Sec-Fetch-Site", "same-origin") not in {"same-origin", "none"}:
            return False
        form = await request.post()
        sent = form.get(CSRF_FIELD)
        return isinstance(sent, str) and _same(sent, self.csrf)


def _see_other(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location})


def _same(given: str | None, expected: str) -> bool:
    if not given:
        return False
    return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode("utf-8"))


def refusal(request: web.Request, status: int, message: str) -> web.Response:
    """One sentence in the browser's language, as plain text: no page, no content."""
    _ = translations(negotiate(request.headers.get("Accept-Language"))).gettext
    return web.Response(status=status, text=_(message) + "\n", content_type="text/plain")


def guard_middleware(current: Callable[[], Guard]) -> Middleware:
    """The checks above, before any handler runs (with the guard of the port bound)."""

    @web.middleware
    async def check(request: web.Request, handler: Handler) -> web.StreamResponse:
        guard = current()
        if not guard.host_allowed(request):
            return refusal(request, 421, NO_HOST)
        if request.path.startswith(OPEN_PREFIXES) and request.method in SAFE_METHODS:
            return await handler(request)
        token = request.query.get("start")
        if token is not None and request.path == "/" and request.method == "GET":
            return guard.exchange(request, token)
        if not guard.has_session(request):
            return refusal(request, 403, NO_COOKIE)
        if request.method not in SAFE_METHODS and not await guard.csrf_ok(request):
            return refusal(request, 403, NO_CSRF)
        return await handler(request)

    return check


async def secure_headers(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare: every answer, the router's own errors included."""
    for name, value in HEADERS.items():
        response.headers[name] = value
    response.headers.popall("Server", None)
