"""A lean HTTP/1.1 transport for httpx, mounted for loopback plain-``http://`` upstreams.

Why: on loopback (the sandbox, and the 10,000-movie benchmark) the client's CPU is the
bottleneck. httpx's default transport (httpcore + h11 + anyio) spends ~1 ms of CPU per
request, most of it in pool bookkeeping; this transport does a keep-alive GET in
~0.1 ms. It plugs in through httpx's public transport API, so ``httpx.AsyncClient``
still does URL building, headers, redirects, decoding (gzip) and timeouts config.

Production code never imports it: the roof (``miauflix/loopback.py``) mounts it into
``flows.clients`` for ``http://127.0.0.1``-style URLs; :meth:`FastHTTPTransport.for_pool`
is the factory it mounts. Every other URL stays on httpx's own transport.

Scope: HTTP/1.1 over plain TCP, requests without a body (our GETs). Anything else
(``https://``, request bodies) is delegated to ``fallback`` (the default transport).
Responses: ``Content-Length``, ``chunked`` or read-until-close bodies, informational
1xx skipped, keep-alive honoured. A reused idle connection that the server already
closed is retried once on a fresh one (safe: only body-less requests come here).
Errors are httpx's own exceptions (``ConnectError``, ``ReadTimeout``, ...).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from typing import Any

import httpx

MAX_HEAD_BYTES = 64 * 1024
READ_CHUNK = 64 * 1024
_NO_BODY_STATUSES = frozenset({204, 304})


class _Connection:
    __slots__ = ("key", "reader", "writer")

    def __init__(
        self, key: tuple[str, int], reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.key = key
        self.reader = reader
        self.writer = writer

    @property
    def usable(self) -> bool:
        return not self.writer.is_closing() and not self.reader.at_eof()

    def close(self) -> None:
        self.writer.close()


class _StaleConnection(Exception):
    """A reused connection was closed by the server before answering."""


def _timeouts(request: httpx.Request) -> dict[str, float | None]:
    timeout = request.extensions.get("timeout") or {}
    return {k: timeout.get(k) for k in ("connect", "read", "write", "pool")}


async def _within(
    seconds: float | None, awaitable: Any, error: type[httpx.TransportError], request: httpx.Request
) -> Any:
    try:
        async with asyncio.timeout(seconds):
            return await awaitable
    except TimeoutError as exc:
        raise error(f"timed out after {seconds} s", request=request) from exc


class FastHTTPTransport(httpx.AsyncBaseTransport):
    """Keep-alive HTTP/1.1 GETs on asyncio streams; delegates the rest to ``fallback``."""

    def __init__(
        self,
        max_connections: int = 16,
        *,
        fallback: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._max_connections = max_connections
        self._fallback = fallback  # built on first use: an SSL context costs ~40 ms
        self._slots = asyncio.Semaphore(max_connections)
        self._idle: dict[tuple[str, int], deque[_Connection]] = {}
        self._closed = False

    @classmethod
    def for_pool(cls, limits: httpx.Limits) -> FastHTTPTransport:
        """A transport sized like the httpx pool it serves (a mount factory)."""
        return cls(limits.max_connections or 16)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.scheme != "http" or _has_body(request):
            return await self._get_fallback().handle_async_request(request)
        if self._closed:
            raise httpx.ConnectError("transport is closed", request=request)
        timeouts = _timeouts(request)
        if self._slots.locked():  # only arm a timer when we actually have to wait
            await _within(timeouts["pool"], self._slots.acquire(), httpx.PoolTimeout, request)
        else:
            await self._slots.acquire()
        try:
            return await self._exchange(request, timeouts)
        except BaseException:
            self._slots.release()
            raise

    async def _exchange(
        self, request: httpx.Request, timeouts: dict[str, float | None]
    ) -> httpx.Response:
        key = (request.url.host, request.url.port or 80)
        head = _request_head(request)
        conn = self._take_idle(key)
        if conn is not None:
            try:
                return await self._send(conn, request, head, timeouts, reused=True)
            except _StaleConnection:
                pass  # the server closed the idle connection: retry once on a fresh one
        conn = await self._connect(key, request, timeouts)
        return await self._send(conn, request, head, timeouts, reused=False)

    def _get_fallback(self) -> httpx.AsyncBaseTransport:
        if self._fallback is None:
            size = self._max_connections
            limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
            self._fallback = httpx.AsyncHTTPTransport(limits=limits)
        return self._fallback

    def _take_idle(self, key: tuple[str, int]) -> _Connection | None:
        idle = self._idle.get(key)
        while idle:
            conn = idle.pop()
            if conn.usable:
                return conn
            conn.close()
        return None

    async def _connect(
        self, key: tuple[str, int], request: httpx.Request, timeouts: dict[str, float | None]
    ) -> _Connection:
        try:
            reader, writer = await _within(
                timeouts["connect"],
                asyncio.open_connection(key[0], key[1], limit=MAX_HEAD_BYTES),
                httpx.ConnectTimeout,
                request,
            )
        except OSError as exc:
            raise httpx.ConnectError(f"{type(exc).__name__}: {exc}", request=request) from exc
        return _Connection(key, reader, writer)

    async def _send(
        self,
        conn: _Connection,
        request: httpx.Request,
        head: bytes,
        timeouts: dict[str, float | None],
        *,
        reused: bool,
    ) -> httpx.Response:
        try:
            conn.writer.write(head)
            if conn.writer.transport.get_write_buffer_size():  # kernel buffer full: wait
                await _within(timeouts["write"], conn.writer.drain(), httpx.WriteTimeout, request)
            status, reason, version, headers = await self._read_head(
                conn, request, timeouts, reused
            )
        except BaseException:
            conn.close()
            raise
        body_allowed = request.method != "HEAD" and status not in _NO_BODY_STATUSES
        keep_alive = _keep_alive(version, headers)
        stream = _BodyStream(
            self, conn, request, headers if body_allowed else None, keep_alive, timeouts["read"]
        )
        return httpx.Response(
            status,
            headers=headers,
            stream=stream,
            extensions={"http_version": version, "reason_phrase": reason},
        )

    async def _read_head(
        self,
        conn: _Connection,
        request: httpx.Request,
        timeouts: dict[str, float | None],
        reused: bool,
    ) -> tuple[int, bytes, bytes, list[tuple[bytes, bytes]]]:
        while True:
            try:
                raw = await _within(
                    timeouts["read"], conn.reader.readuntil(b"\r\n\r\n"), httpx.ReadTimeout, request
                )
            except asyncio.IncompleteReadError as exc:
                if reused and not exc.partial:
                    raise _StaleConnection from exc
                raise httpx.RemoteProtocolError(
                    "connection closed while reading the response head", request=request
                ) from exc
            except asyncio.LimitOverrunError as exc:
                raise httpx.RemoteProtocolError(
                    f"response head exceeds {MAX_HEAD_BYTES} bytes", request=request
                ) from exc
            except (ConnectionError, OSError) as exc:
                if reused:
                    raise _StaleConnection from exc
                raise httpx.ReadError(f"{type(exc).__name__}: {exc}", request=request) from exc
            status, reason, version, headers = _parse_head(raw, request)
            if 100 <= status < 200 and status != 101:
                reused = False
                continue  # informational: the real answer follows
            return status, reason, version, headers

    def _release(self, conn: _Connection, reusable: bool) -> None:
        self._slots.release()
        if reusable and not self._closed and conn.usable:
            self._idle.setdefault(conn.key, deque()).append(conn)
        else:
            conn.close()

    async def aclose(self) -> None:
        self._closed = True
        for idle in self._idle.values():
            while idle:
                idle.pop().close()
        if self._fallback is not None:
            await self._fallback.aclose()


class _BodyStream(httpx.AsyncByteStream):
    """Yields the body as it arrives; hands the connection back when fully read."""

    def __init__(
        self,
        transport: FastHTTPTransport,
        conn: _Connection,
        request: httpx.Request,
        headers: list[tuple[bytes, bytes]] | None,
        keep_alive: bool,
        read_timeout: float | None,
    ) -> None:
        self._transport = transport
        self._conn = conn
        self._request = request
        self._headers = headers
        self._keep_alive = keep_alive
        self._timeout = read_timeout
        self._done = False
        self._released = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._chunks():
                yield chunk
            self._done = True
        except (asyncio.IncompleteReadError, ConnectionError, OSError) as exc:
            raise httpx.ReadError(
                f"connection lost while reading the body: {type(exc).__name__}",
                request=self._request,
            ) from exc

    async def _chunks(self) -> AsyncIterator[bytes]:
        if self._headers is None:
            return
        encoding = _header(self._headers, b"transfer-encoding")
        length = _header(self._headers, b"content-length")
        if encoding is not None:
            if encoding.strip().lower() != b"chunked":
                raise httpx.RemoteProtocolError(
                    f"unsupported transfer-encoding {encoding!r}", request=self._request
                )
            async for chunk in self._chunked():
                yield chunk
        elif length is not None:
            remaining = _content_length(length, self._request)
            while remaining:
                data = await self._read(self._conn.reader.read(min(remaining, READ_CHUNK)))
                if not data:
                    raise asyncio.IncompleteReadError(b"", remaining)
                remaining -= len(data)
                yield data
        else:
            self._keep_alive = False  # body ends when the server closes
            while data := await self._read(self._conn.reader.read(READ_CHUNK)):
                yield data

    async def _chunked(self) -> AsyncIterator[bytes]:
        reader = self._conn.reader
        while True:
            line = await self._read(reader.readuntil(b"\r\n"))
            size_text = line.split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                size = -1
            if size < 0 or len(size_text) > 16:
                raise httpx.RemoteProtocolError(
                    f"bad chunk size {size_text[:20]!r}", request=self._request
                )
            if size == 0:
                while (await self._read(reader.readuntil(b"\r\n"))) != b"\r\n":
                    pass  # trailers, ignored
                return
            remaining = size
            while remaining:
                data = await self._read(reader.read(min(remaining, READ_CHUNK)))
                if not data:
                    raise asyncio.IncompleteReadError(b"", remaining)
                remaining -= len(data)
                yield data
            if await self._read(reader.readexactly(2)) != b"\r\n":
                raise httpx.RemoteProtocolError(
                    "chunk not terminated by CRLF", request=self._request
                )

    async def _read(self, awaitable: Any) -> Any:
        try:
            return await _within(self._timeout, awaitable, httpx.ReadTimeout, self._request)
        except asyncio.LimitOverrunError as exc:
            raise httpx.RemoteProtocolError("chunk header too long", request=self._request) from exc

    async def aclose(self) -> None:
        if not self._released:
            self._released = True
            self._transport._release(self._conn, self._done and self._keep_alive)


def _has_body(request: httpx.Request) -> bool:
    length = request.headers.get("content-length")
    return request.headers.get("transfer-encoding") is not None or (
        length is not None and length.strip() not in ("", "0")
    )


def _request_head(request: httpx.Request) -> bytes:
    lines = [b"%s %s HTTP/1.1" % (request.method.encode("ascii"), request.url.raw_path)]
    lines += [b"%s: %s" % (name, value) for name, value in request.headers.raw]
    return b"\r\n".join(lines) + b"\r\n\r\n"


def _parse_head(
    raw: bytes, request: httpx.Request
) -> tuple[int, bytes, bytes, list[tuple[bytes, bytes]]]:
    lines = raw[:-4].split(b"\r\n")
    parts = lines[0].split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
        raise httpx.RemoteProtocolError(f"malformed status line {lines[0][:60]!r}", request=request)
    status = int(parts[1])
    if not 100 <= status <= 999:
        raise httpx.RemoteProtocolError(f"status {status} out of range", request=request)
    headers: list[tuple[bytes, bytes]] = []
    for line in lines[1:]:
        name, sep, value = line.partition(b":")
        if not sep or not name or name != name.strip() or line[:1] in (b" ", b"\t"):
            raise httpx.RemoteProtocolError(f"malformed header {line[:60]!r}", request=request)
        headers.append((name, value.strip()))
    return status, parts[2] if len(parts) > 2 else b"", parts[0], headers


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    values = [v for k, v in headers if k.lower() == name]
    if not values:
        return None
    if name == b"content-length" and len(set(values)) > 1:
        return b"conflict"
    return b", ".join(values)


def _content_length(value: bytes, request: httpx.Request) -> int:
    text = value.strip()
    if not text.isdigit() or len(text) > 18:
        raise httpx.RemoteProtocolError(f"bad content-length {value[:30]!r}", request=request)
    return int(text)


def _keep_alive(version: bytes, headers: list[tuple[bytes, bytes]]) -> bool:
    tokens = {t.strip().lower() for t in (_header(headers, b"connection") or b"").split(b",")}
    if b"close" in tokens:
        return False
    return version == b"HTTP/1.1" or b"keep-alive" in tokens
