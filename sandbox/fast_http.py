"""A small, fast HTTP/1.1 protocol for uvicorn (``uvicorn.Config(http=FastHttpProtocol)``).

uvicorn's pure-Python ``h11`` protocol costs ~0.3-0.5 ms of CPU per request, which alone
caps one worker below the fake upstream's throughput target, and ``httptools`` is not in
the pinned dependency set. This protocol covers what the fake upstream needs and nothing
more: keep-alive, pipelined requests answered in order, ``Content-Length`` request bodies
(chunked request bodies get 501), responses with ``Content-Length`` or chunked encoding,
HEAD, the keep-alive timeout and uvicorn's graceful shutdown. No upgrades, no TLS.
"""

from __future__ import annotations

import asyncio
import http
import logging
from typing import Any
from urllib.parse import unquote

MAX_HEAD_BYTES = 64 * 1024
MAX_BODY_BYTES = 8 * 1024 * 1024
MAX_PIPELINED_BYTES = 1024 * 1024
_REASONS = {s.value: s.phrase.encode() for s in http.HTTPStatus}
_logger = logging.getLogger("uvicorn.error")


def _simple_response(status: int, message: str) -> bytes:
    body = message.encode()
    return (
        b"HTTP/1.1 %d %s\r\ncontent-type: text/plain; charset=utf-8\r\n"
        b"content-length: %d\r\nconnection: close\r\n\r\n%s"
        % (status, _REASONS.get(status, b""), len(body), body)
    )


class FastHttpProtocol(asyncio.Protocol):
    """One connection. Constructed by uvicorn with its config and shared server state."""

    def __init__(
        self,
        config: Any,
        server_state: Any,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        if not config.loaded:
            config.load()
        self.app = config.loaded_app
        self.loop = _loop or asyncio.get_event_loop()
        self.server_state = server_state
        self.app_state = app_state
        self.keep_alive_timeout = config.timeout_keep_alive
        self.transport: asyncio.Transport | None = None
        self.server: tuple[str, int] | None = None
        self.client: tuple[str, int] | None = None
        self.buffer = bytearray()
        self.busy = False  # a request is being answered
        self.closing = False  # close once the current answer is sent
        self.lost = False
        self.keep_alive_handle: asyncio.TimerHandle | None = None
        self.reading_paused = False
        self.writable = asyncio.Event()
        self.writable.set()
        self.disconnected = asyncio.Event()

    # --- asyncio.Protocol ------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.server_state.connections.add(self)
        sock = transport.get_extra_info("sockname")
        peer = transport.get_extra_info("peername")
        self.server = (str(sock[0]), int(sock[1])) if isinstance(sock, tuple) else None
        self.client = (str(peer[0]), int(peer[1])) if isinstance(peer, tuple) else None

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        self.server_state.connections.discard(self)
        self._cancel_keep_alive()
        self.writable.set()
        self.disconnected.set()

    def data_received(self, data: bytes) -> None:
        self._cancel_keep_alive()
        self.buffer += data
        if not self.busy:
            self._next_request()
        elif len(self.buffer) > MAX_PIPELINED_BYTES and self.transport is not None:
            self.transport.pause_reading()  # a client racing ahead of our answers: back off
            self.reading_paused = True

    def pause_writing(self) -> None:
        self.writable.clear()

    def resume_writing(self) -> None:
        self.writable.set()

    def eof_received(self) -> bool | None:
        return None

    # --- uvicorn server hooks -----------------------------------------------------------
    def shutdown(self) -> None:
        """Graceful shutdown: close now when idle, else after the current answer."""
        if self.busy:
            self.closing = True
        elif self.transport is not None:
            self.transport.close()

    # --- request handling -----------------------------------------------------------------
    def _next_request(self) -> None:
        if self.transport is None or self.lost or self.closing:
            return
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self.buffer) > MAX_HEAD_BYTES:
                self._fail(431, "Request header fields too large")
            return
        head = bytes(self.buffer[:end])
        try:
            method, target, version, headers = _parse_head(head)
        except ValueError as exc:
            self._fail(400, f"Invalid HTTP request: {exc}")
            return
        length = 0
        keep_alive = version == "1.1"
        for name, value in headers:
            if name == b"content-length":
                if not value.isdigit() or len(value) > 12:
                    self._fail(400, "Invalid Content-Length")
                    return
                length = int(value)
            elif name == b"transfer-encoding":
                self._fail(501, "Chunked request bodies are not supported")
                return
            elif name == b"connection":
                token = value.lower()
                keep_alive = (b"keep-alive" in token) if version == "1.0" else b"close" not in token
        if length > MAX_BODY_BYTES:
            self._fail(413, "Request body too large")
            return
        if len(self.buffer) < end + 4 + length:
            return  # wait for the rest of the body
        body = bytes(self.buffer[end + 4 : end + 4 + length])
        del self.buffer[: end + 4 + length]
        raw_path, _, query = target.partition(b"?")
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": version,
            "server": self.server,
            "client": self.client,
            "scheme": "http",
            "method": method,
            "root_path": "",
            "path": unquote(raw_path.decode("latin-1")),
            "raw_path": raw_path,
            "query_string": query,
            "headers": headers,
            "state": self.app_state.copy(),
        }
        self.busy = True
        if not keep_alive:
            self.closing = True
        cycle = _Cycle(self, scope, body)
        task = self.loop.create_task(cycle.run())
        self.server_state.tasks.add(task)
        task.add_done_callback(self.server_state.tasks.discard)

    def _fail(self, status: int, message: str) -> None:
        if self.transport is not None:
            self.transport.write(_simple_response(status, message))
            self.transport.close()

    def response_done(self) -> None:
        self.busy = False
        self.server_state.total_requests += 1
        if self.transport is None or self.lost:
            return
        if self.closing:
            self.transport.close()
            return
        if self.reading_paused:
            self.reading_paused = False
            self.transport.resume_reading()
        if self.buffer:
            self._next_request()
        if not self.busy:
            self.keep_alive_handle = self.loop.call_later(
                self.keep_alive_timeout, self._keep_alive_expired
            )

    def _keep_alive_expired(self) -> None:
        if self.transport is not None and not self.busy:
            self.transport.close()

    def _cancel_keep_alive(self) -> None:
        if self.keep_alive_handle is not None:
            self.keep_alive_handle.cancel()
            self.keep_alive_handle = None


def _parse_head(head: bytes) -> tuple[str, bytes, str, list[tuple[bytes, bytes]]]:
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ")
    if len(parts) != 3 or not parts[2].startswith(b"HTTP/1."):
        raise ValueError("malformed request line")
    method, target, proto = parts
    if not method.isalpha() or not target.startswith(b"/"):
        raise ValueError("malformed request line")
    headers = []
    for line in lines[1:]:
        name, sep, value = line.partition(b":")
        if not sep or not name or name != name.strip():
            raise ValueError("malformed header line")
        headers.append((name.lower(), value.strip()))
    version = proto[5:].decode("ascii")
    if version not in ("1.0", "1.1"):
        raise ValueError("unsupported HTTP version")
    return method.decode("ascii").upper(), target, version, headers


class _Cycle:
    """One request/response exchange with the ASGI app."""

    def __init__(self, conn: FastHttpProtocol, scope: dict[str, Any], body: bytes) -> None:
        self.conn = conn
        self.scope = scope
        self.body: bytes | None = body
        self.started = False
        self.complete = False
        self.chunked = False
        self.head: bytes = b""
        self.head_only = scope["method"] == "HEAD"

    async def run(self) -> None:
        try:
            await self.conn.app(self.scope, self.receive, self.send)
        except Exception:
            _logger.exception("Exception in ASGI application")
            if not self.started and not self.conn.lost and self.conn.transport is not None:
                self.conn.transport.write(_simple_response(500, "Internal Server Error"))
            self.conn.closing = True
            self.complete = True
        if not self.complete and self.conn.transport is not None:
            self.conn.closing = True
        self.conn.response_done()

    async def receive(self) -> dict[str, Any]:
        if self.body is not None:
            body, self.body = self.body, None
            return {"type": "http.request", "body": body, "more_body": False}
        await self.conn.disconnected.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: dict[str, Any]) -> None:
        conn = self.conn
        if conn.lost or conn.transport is None:
            return
        if not conn.writable.is_set():
            await conn.writable.wait()
        kind = message["type"]
        if kind == "http.response.start":
            if self.started:
                raise RuntimeError("response already started")
            self.started = True
            status = int(message["status"])
            lines = [b"HTTP/1.1 %d %s\r\n" % (status, _REASONS.get(status, b""))]
            has_length = False
            for name, value in conn.server_state.default_headers:
                lines.append(b"%s: %s\r\n" % (name, value))
            for name, value in message.get("headers", ()):
                if name.lower() == b"content-length":
                    has_length = True
                lines.append(b"%s: %s\r\n" % (name, value))
            if conn.closing:
                lines.append(b"connection: close\r\n")
            self.head = b"".join(lines)
            self.chunked = not has_length
            return
        if kind != "http.response.body" or not self.started or self.complete:
            raise RuntimeError(f"unexpected ASGI message {kind!r}")
        body: bytes = message.get("body", b"")
        more = bool(message.get("more_body", False))
        out = bytearray()
        if self.head:
            if self.chunked and not more:  # the whole body in one message: send its length
                self.chunked = False
                out += self.head + b"content-length: %d\r\n\r\n" % len(body)
            elif self.chunked:
                out += self.head + b"transfer-encoding: chunked\r\n\r\n"
            else:
                out += self.head + b"\r\n"
            self.head = b""
        if not self.head_only:
            if self.chunked:
                if body:
                    out += b"%x\r\n%s\r\n" % (len(body), body)
                if not more:
                    out += b"0\r\n\r\n"
            else:
                out += body
        if out:
            conn.transport.write(bytes(out))
        if not more:
            self.complete = True
