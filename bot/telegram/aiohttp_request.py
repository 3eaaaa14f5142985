"""python-telegram-bot's HTTP requests over aiohttp instead of httpx.

Measured with the intake benchmark of the time (now bench/bot.py): PTB over httpx spends 1.5 to
5 ms of CPU per Bot API call, most of it in httpcore's connection-pool bookkeeping; over aiohttp
(already a dependency, for the webhook and the case API) 0.6 to 1.1 ms. The bot makes two or
three calls for every update, so this is the largest share of the bot's own cost. Errors name
the kind of failure only: an exception's text may hold the request URL, and with it the bot
token.

The error contract is PTB's own (HTTPXRequest's): a wait for a free connection is bounded and
ends in TimedOut saying the request was not sent. The two errors raised before anything left
this machine are their own subclasses, so a caller retrying a message knows that no copy of it
can have reached the chat.
"""

from __future__ import annotations

import asyncio
from typing import Any, Final

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

READ_TIMEOUT = 5.0
"""Seconds to wait for Telegram's answer (getUpdates adds its long-polling time to it)."""
CONNECT_TIMEOUT: Final = 5.0
POOL_TIMEOUT: Final = 5.0
"""Seconds to wait for a free connection: the pool is busy when Telegram answers slowly."""
FORM: Final = "application/x-www-form-urlencoded"


class PoolTimedOut(TimedOut):
    """No connection became free in time; the request was not sent."""

    def __init__(self) -> None:
        super().__init__(
            "Pool timeout: All connections in the connection pool are occupied. "
            "Request was *not* sent to Telegram."
        )


class NotConnected(NetworkError):
    """No connection to Telegram could be made; the request was not sent."""


class ConnectTimedOut(TimedOut):
    """Connecting to Telegram took too long; the request was not sent."""


NOT_SENT: Final = (PoolTimedOut, NotConnected, ConnectTimedOut)
"""Failures after which no copy of the request can have reached Telegram."""


class AiohttpRequest(BaseRequest):
    """One aiohttp session with a bounded connection pool."""

    def __init__(self, connections: int = 1, read_timeout: float | None = None) -> None:
        self._connections = connections
        self._read_timeout = READ_TIMEOUT if read_timeout is None else read_timeout
        self._slots = asyncio.Semaphore(connections)
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout; getUpdates adds its long-polling time to it."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Open the session (PTB calls this before the first request)."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._connections),
                headers={"User-Agent": self.USER_AGENT},
            )

    async def shutdown(self) -> None:
        """Close the session and its connections."""
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Send one request; PTB turns the status and body into results or errors."""
        if self._session is None or self._session.closed:
            raise NetworkError("the HTTP session is not open")
        data, headers = _body(request_data)
        read = self._read_timeout if read_timeout is BaseRequest.DEFAULT_NONE else read_timeout
        connect = (
            CONNECT_TIMEOUT if connect_timeout is BaseRequest.DEFAULT_NONE else connect_timeout
        )
        pool = POOL_TIMEOUT if pool_timeout is BaseRequest.DEFAULT_NONE else pool_timeout
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=connect, sock_read=read)
        try:
            async with asyncio.timeout(pool):
                await self._slots.acquire()
        except TimeoutError:
            raise PoolTimedOut from None
        try:
            async with self._session.request(
                method, url, data=data, headers=headers, timeout=timeout
            ) as response:
                return response.status, await response.read()
        except aiohttp.ClientConnectorError as exc:
            raise NotConnected(f"aiohttp {type(exc).__name__}") from exc
        except aiohttp.ConnectionTimeoutError as exc:
            raise ConnectTimedOut from exc
        except TimeoutError as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp {type(exc).__name__}") from exc
        finally:
            self._slots.release()


def _body(request_data: RequestData | None) -> tuple[Any, dict[str, str] | None]:
    """Form-encoded parameters, or a multipart form when files are uploaded."""
    if request_data is None:
        return None, None
    if not request_data.contains_files:
        return request_data.url_encoded_parameters(), {"Content-Type": FORM}
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, part in (request_data.multipart_data or {}).items():
        filename, content, *media_type = part
        form.add_field(
            name, content, filename=filename, content_type=media_type[0] if media_type else None
        )
    return form, None
