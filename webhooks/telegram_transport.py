"""python-telegram-bot's HTTP layer on aiohttp instead of httpx, for the sender.

PTB lets a bot run on any ``BaseRequest`` (its documented extension point): the Bot, its
methods, its errors (RetryAfter, Forbidden, BadRequest...) and its parsing of answers stay
PTB's; only the HTTP client under them changes. Why: with httpx, a send cost ~3.6 ms of CPU
on the bench machine, half of it in httpcore's pool (it checks every connection's socket on
each request), so one process could not reach the bench's limit of 300/s; on aiohttp, 0.75 ms
(``python -m bench.ptb_alone`` compares both). aiohttp comes with twilio already.

Form posts as PTB's own HTTPXRequest sends them: url-encoded fields, or multipart when a file
goes with them (a digest's chart).
"""

from __future__ import annotations

from typing import Any

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData


class AiohttpRequest(BaseRequest):
    """One aiohttp session with at most ``connection_pool_size`` connections to the Bot API."""

    def __init__(self, connection_pool_size: int = 16, *, read_timeout: float | None = 5.0,
                 write_timeout: float | None = 5.0, connect_timeout: float | None = 5.0,
                 pool_timeout: float | None = 1.0, media_write_timeout: float | None = 20.0
                 ) -> None:
        self._pool_size = connection_pool_size
        self._timeouts = {"read": read_timeout, "write": write_timeout,
                          "connect": connect_timeout, "pool": pool_timeout}
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._timeouts["read"]

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            # One connection per request at once, kept alive; no cookie jar (the Bot API sets
            # none, and aiohttp's would be work on every answer).
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                cookie_jar=aiohttp.DummyCookieJar(),
                headers={"User-Agent": self.USER_AGENT})

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout: Any = BaseRequest.DEFAULT_NONE,
                         write_timeout: Any = BaseRequest.DEFAULT_NONE,
                         connect_timeout: Any = BaseRequest.DEFAULT_NONE,
                         pool_timeout: Any = BaseRequest.DEFAULT_NONE) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        files = request_data.multipart_data if request_data else None
        fields = request_data.json_parameters if request_data else None
        read, write = self._pick(read_timeout, "read"), self._pick(write_timeout, "write")
        if files and isinstance(write_timeout, DefaultValue):  # an upload takes longer
            write = self._media_write_timeout
        connect, pool = self._pick(connect_timeout, "connect"), self._pick(pool_timeout, "pool")
        # aiohttp has no write timeout: the request's whole time is bounded by the sum, and
        # ``connect`` covers waiting for a free connection as well as opening one.
        parts = [t for t in (read, write, connect, pool) if t is not None]
        timeout = aiohttp.ClientTimeout(total=sum(parts) if len(parts) == 4 else None,
                                        connect=_add(connect, pool), sock_connect=connect,
                                        sock_read=read)
        try:
            async with self._session.request(method, url, data=_body(fields, files),
                                             timeout=timeout) as response:
                return response.status, await response.read()
        except (TimeoutError, aiohttp.ServerTimeoutError) as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc

    def _pick(self, value: Any, name: str) -> float | None:
        return self._timeouts[name] if isinstance(value, DefaultValue) else value


def _add(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a + b


def _body(fields: dict[str, str] | None, files: dict[str, Any] | None) -> Any:
    if not files:
        return fields or None
    form = aiohttp.FormData()
    for name, value in (fields or {}).items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in files.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form
