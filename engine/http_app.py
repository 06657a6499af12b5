"""The engine's HTTP routes as a Starlette (ASGI) app: ``GET``/``HEAD /stream/<key>``,
``GET /status/<key>``, ``GET /api/engine/status``, ``GET /health``.

No thread is held per connection. Blocking work runs in two bounded pools: key checks,
catalog and status lookups (``WORK_THREADS``), and disk reads of verified pieces
(``DISK_THREADS``). A request for a source still being opened awaits the engine's shared
opening (:meth:`StreamingEngine.begin_open`); a stream awaits each missing piece on an
asyncio event the alert poller sets (:class:`PieceWaits`). Every body chunk is awaited
through uvicorn's flow control, so a client that does not read holds at most one chunk
plus the socket buffer. A task listens for the client's disconnect and cancels the
request at once, wherever it waits; ``finally`` releases the reader and the ticket.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import threading
import time
from collections.abc import Awaitable, Callable, Generator
from typing import Any, TypeVar, cast
from urllib.parse import quote

import anyio
import anyio.to_thread
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from core.catalog.contract import CatalogUnavailable, SecretUnreadable, SourceNotFound
from core.errors import MiauflixError
from core.stream_keys import PURPOSE_STATUS, StreamClaims, StreamKeyError, StreamKeySigner
from engine.errors import (
    ClientStalled,
    DiskQuotaExceeded,
    EngineBusy,
    EngineClosed,
    EngineFull,
    MetadataTimeout,
    NoPlayableFile,
    OpenAbandoned,
    RevocationUnavailable,
    SourceResolveError,
    StreamLimitReached,
    StreamStalled,
    SubtitleWindowError,
    VpnRequired,
)
from engine.ranges import UNSATISFIABLE, ByteRange, parse_range
from engine.reader import iter_range
from engine.revocation import RevocationCheck
from engine.service import OpenTicket, StreamingEngine
from engine.subtitles import http_error as subtitle_http_error
from engine.subtitles import list_for as list_subtitles
from engine.subtitles import parse_window, read_vtt
from engine.torrents import ActiveTorrent

log = logging.getLogger("miauflix.engine.http")

WORK_THREADS = 16  # key checks, catalog lookups, begin_open, status
DISK_THREADS = 16  # reads (and first-read hash checks) of verified pieces
SEND_TIMEOUT = 120.0  # a client that reads nothing for this long is dropped (reader freed)
PIECE_RECHECK_S = 0.25  # a missing piece is re-checked this often besides its alert
REVOCATION_RECHECK_S = 1.0  # a stream being served re-checks its key's revocation this often
RETRY_AFTER = {429: "5", 503: "1"}
# Refusals that last until a stream ends: the client is told to come back a bit later.
RETRY_AFTER_CODE = {"engine_busy": "10", "engine_full": "10", "disk_quota_exceeded": "30"}
# Sent on every response by the server (uvicorn's default headers, and the guard's own).
DEFAULT_HEADERS = [("server", "miauflix-engine"), ("x-content-type-options", "nosniff")]
T = TypeVar("T")


def _error_status(exc: MiauflixError) -> tuple[int, str]:
    if isinstance(exc, StreamKeyError):
        return exc.status, exc.code
    table: list[tuple[type[MiauflixError], int, str]] = [
        (SourceNotFound, 404, "source_not_found"),
        (CatalogUnavailable, 404, "source_not_found"),
        (SecretUnreadable, 502, "source_unavailable"),
        (StreamLimitReached, 429, "stream_limit_reached"),
        (EngineBusy, 503, "engine_busy"),
        (EngineFull, 503, "engine_full"),
        (DiskQuotaExceeded, 503, "disk_quota_exceeded"),
        (VpnRequired, 503, "vpn_required"),
        (RevocationUnavailable, 503, "revocation_check_unavailable"),
        (EngineClosed, 503, "engine_closed"),
        (OpenAbandoned, 503, "engine_closed"),
        (MetadataTimeout, 504, "metadata_timeout"),
        (NoPlayableFile, 422, "no_playable_file"),
        (SourceResolveError, 502, "source_unavailable"),
    ]
    for kind, status, code in table:
        if isinstance(exc, kind):
            return status, code
    return 500, "engine_error"


def json_response(status: int, body: dict[str, Any], **headers: str) -> Response:
    extra = {"Cache-Control": "no-store", **{k.replace("_", "-"): v for k, v in headers.items()}}
    return Response(json.dumps(body).encode(), status, extra, media_type="application/json")


def error_response(status: int, code: str, message: str, **headers: str) -> Response:
    """The one error shape; ``message`` never carries raw request input."""
    if status in RETRY_AFTER:
        headers.setdefault("Retry_After", RETRY_AFTER_CODE.get(code, RETRY_AFTER[status]))
    return json_response(status, {"error": {"code": code, "message": message}}, **headers)


def error_bytes(status: int, code: str, message: str) -> bytes:
    """A whole HTTP/1.1 error response (for the connection guard, before any ASGI app)."""
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    reason = {400: "Bad Request", 503: "Service Unavailable"}.get(status, "Error")
    head = (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nCache-Control: no-store\r\n"
        "X-Content-Type-Options: nosniff\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode() + body


def _set_all(events: set[asyncio.Event]) -> None:
    for event in events:
        event.set()


class PieceWaits:
    """Async waits for pieces, woken from the alert poller thread.

    The poller calls :meth:`notify` for each finished piece; only a piece somebody awaits
    costs a ``call_soon_threadsafe``. Waiters also re-check every ``PIECE_RECHECK_S``
    (pieces folded in from the handle's bitfield come without an alert).
    """

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._mutex = threading.Lock()
        self._events: dict[tuple[str, int], set[asyncio.Event]] = {}

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def notify(self, info_hash: str, piece: int) -> None:
        with self._mutex:
            events = self._events.pop((info_hash, piece), None)
        if events and self._loop is not None:
            with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
                self._loop.call_soon_threadsafe(_set_all, events)

    async def wait(self, torrent: ActiveTorrent, piece: int, timeout: float) -> bool:
        """True once ``piece`` is verified, False after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        key = (torrent.info_hash, piece)
        while not torrent.has(piece):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            event = asyncio.Event()
            with self._mutex:
                self._events.setdefault(key, set()).add(event)
            try:
                if torrent.has(piece):
                    return True
                await asyncio.wait_for(event.wait(), min(remaining, PIECE_RECHECK_S))
            except TimeoutError:
                pass
            finally:
                with self._mutex:
                    waiting = self._events.get(key)
                    if waiting is not None:
                        waiting.discard(event)
                        if not waiting:
                            del self._events[key]
        return True

    def pending(self) -> int:
        with self._mutex:
            return sum(len(v) for v in self._events.values())


class EngineApp:
    """Routes and state of the engine's HTTP side; ``asgi`` is what uvicorn serves."""

    def __init__(
        self, engine: StreamingEngine, signer: StreamKeySigner, revocation: RevocationCheck
    ) -> None:
        self.engine = engine
        self.signer = signer
        self.revocation = revocation
        self.pieces = PieceWaits()
        engine.add_piece_listener(self.pieces.notify)
        self._scopes: set[anyio.CancelScope] = set()
        self._closing = False
        self._work: anyio.CapacityLimiter | None = None
        self._disk: anyio.CapacityLimiter | None = None
        routes = [
            Route("/stream/{key}", self.stream, methods=["GET", "HEAD"]),
            Route("/stream/{key}/subtitles", self.subtitles, methods=["GET", "HEAD"]),
            Route("/stream/{key}/subtitles/{track}", self.subtitle, methods=["GET", "HEAD"]),
            Route("/stream/{key}/{name}", self.stream, methods=["GET", "HEAD"]),
            Route("/status/{key}", self.stream_status, methods=["GET", "HEAD"]),
            Route("/api/engine/status", self.status, methods=["GET", "HEAD"]),
            Route("/health", self.health, methods=["GET", "HEAD"]),
        ]
        app = Starlette(
            routes=routes,
            exception_handlers={HTTPException: self._http_error, Exception: self._crash},
        )
        self.asgi: ASGIApp = app

    # --- lifecycle (called in the server's loop) -------------------------------------------

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self.pieces.bind(loop)
        self._work = anyio.CapacityLimiter(WORK_THREADS)
        self._disk = anyio.CapacityLimiter(DISK_THREADS)

    def close_requests(self) -> None:
        """Shutting down: cancel every request in flight (streams end, waits stop)."""
        self._closing = True
        for scope in list(self._scopes):
            scope.cancel()

    @property
    def in_flight(self) -> int:
        return len(self._scopes)

    async def _blocking(self, func: Callable[..., T], *args: Any) -> T:
        return await anyio.to_thread.run_sync(func, *args, limiter=self._work)

    # --- errors ----------------------------------------------------------------------------

    async def _http_error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 405:
            return error_response(405, "method_not_allowed", "this route answers GET and HEAD",
                                  Allow="GET, HEAD")  # fmt: skip
        if exc.status_code == 404:
            return error_response(404, "not_found", "no such route on the streaming engine")
        return error_response(exc.status_code, "http_error", "the request was refused")

    async def _crash(self, request: Request, exc: Exception) -> Response:
        log.error("engine HTTP handler failed", exc_info=exc)
        return error_response(500, "engine_error", "the engine failed to answer")

    async def _guarded(
        self, request: Request, answer: Callable[[], Awaitable[Response]]
    ) -> Response:
        """``answer()`` with engine errors in the error shape; cancelled at once when the
        client disconnects (a metadata wait is left, its ticket released) or at shutdown."""
        result: Response | None = None
        async with anyio.create_task_group() as group:
            if not self.track(group.cancel_scope):
                group.cancel_scope.cancel()

            async def watch() -> None:
                while (await request.receive())["type"] != "http.disconnect":
                    pass
                group.cancel_scope.cancel()

            group.start_soon(watch)
            try:
                result = await answer()
            except MiauflixError as exc:
                status, code = _error_status(exc)
                result = error_response(status, code, str(exc))
            finally:
                group.cancel_scope.cancel()
                self.untrack(group.cancel_scope)
        return result or error_response(503, "engine_closed", "the engine is shutting down")

    async def _claims(self, request: Request) -> StreamClaims:
        """The path's stream key, verified and checked against revocations."""
        claims = await self._blocking(self.signer.verify, request.path_params["key"])
        await self._blocking(self.revocation.check, claims)
        return claims

    async def _open(self, request: Request) -> tuple[StreamClaims, ActiveTorrent]:
        """The key's claims and its source's torrent, opened (or joined) for its user."""
        claims = await self._claims(request)
        ticket = await self._blocking(
            lambda: self.engine.begin_open(
                claims.source_id, user=claims.user, episode=claims.episode
            )
        )
        torrent = await _opened(ticket)
        if claims.episode is not None:  # a show source: that episode's file of the pack
            torrent = await self._blocking(
                self.engine.for_episode, torrent, claims.source_id, claims.episode, claims.user
            )
        return claims, torrent

    # --- routes ----------------------------------------------------------------------------

    async def health(self, request: Request) -> Response:
        return json_response(200, {"status": "ok", "vpn": self.engine.vpn.as_dict()})

    async def status(self, request: Request) -> Response:
        async def answer() -> Response:
            scheme, _, token = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                return error_response(401, "unauthorized", "a status key is required (Bearer)")
            await self._blocking(lambda: self.signer.verify(token.strip(), purpose=PURPOSE_STATUS))
            return json_response(200, await self._blocking(self.engine.status))

        return await self._guarded(request, answer)

    async def stream_status(self, request: Request) -> Response:
        """``GET /status/<stream key>``: the stream's progress for the player's buffering
        overlay. Readable cross-origin (the web client is on the API's origin): it carries
        no secret, and the stream key in the path is the credential."""

        async def answer() -> Response:
            claims = await self._claims(request)
            body = await self._blocking(self.engine.stream_status, claims.source_id)
            return json_response(200, body, Access_Control_Allow_Origin="*")

        return await self._guarded(request, answer)

    async def _subtitle_answer(
        self, request: Request, make: Callable[[ActiveTorrent], Response]
    ) -> Response:
        """Open the key's torrent and answer ``make(torrent)`` with the subtitle routes' own
        errors; readable cross-origin (the player's ``<track>`` lives on the API's origin)."""
        cors = {"Access_Control_Allow_Origin": "*"}

        async def answer() -> Response:
            _, torrent = await self._open(request)
            try:
                return await self._blocking(make, torrent)
            except MiauflixError as exc:
                known = subtitle_http_error(exc)
                if known is None:
                    raise
                return error_response(known[0], known[1], str(exc), **cors)

        response = await self._guarded(request, answer)
        response.headers.setdefault("access-control-allow-origin", "*")
        return response

    async def subtitles(self, request: Request) -> Response:
        """``GET /stream/<key>/subtitles``: the subtitle files inside the stream's torrent."""

        stall = float(self.engine.config.engine_stall_timeout)

        def listing(torrent: ActiveTorrent) -> Response:
            tracks = list_subtitles(torrent, timeout=stall)
            return json_response(200, {"tracks": tracks}, Access_Control_Allow_Origin="*")

        return await self._subtitle_answer(request, listing)

    async def subtitle(self, request: Request) -> Response:
        """``GET /stream/<key>/subtitles/<index>.vtt``: one subtitle file as WebVTT."""
        name = str(request.path_params["track"])
        stem = name.removesuffix(".vtt")
        if not name.endswith(".vtt") or not stem.isdigit() or len(stem) > 4:
            return error_response(404, "subtitle_not_found", "no such subtitle track",
                                  Access_Control_Allow_Origin="*")  # fmt: skip
        stall = float(self.engine.config.engine_stall_timeout)
        try:
            window = parse_window(request.query_params.get("from"), request.query_params.get("to"))
        except SubtitleWindowError as exc:
            return error_response(400, exc.code, str(exc), Access_Control_Allow_Origin="*")

        def track(torrent: ActiveTorrent) -> Response:
            text = read_vtt(torrent, int(stem), timeout=stall, window=window)
            return Response(
                text.encode("utf-8"),
                200,
                {"Access-Control-Allow-Origin": "*", "Cache-Control": "private, max-age=3600"},
                media_type="text/vtt; charset=utf-8",
            )

        return await self._subtitle_answer(request, track)

    async def stream(self, request: Request) -> Response:
        async def answer() -> Response:
            try:
                claims, torrent = await self._open(request)
            except MiauflixError as exc:  # logged by kind only: never the key or a hash
                log.warning("stream failed: %s (%s)", _error_status(exc)[1], type(exc).__name__)
                raise
            return self._ranged(request, torrent, claims)

        return await self._guarded(request, answer)

    def _ranged(self, request: Request, torrent: ActiveTorrent, claims: StreamClaims) -> Response:
        size = torrent.size
        etag = f'"{torrent.source_id}-{torrent.main.index}-{size}"'
        header = request.headers.get("range")
        if_range = request.headers.get("if-range")
        if header is not None and if_range is not None and if_range.strip() != etag:
            header = None  # the representation changed: send it whole (RFC 9110 §13.1.5)
        wanted = parse_range(header, size)
        if wanted is UNSATISFIABLE:
            return error_response(416, "range_not_satisfiable",
                                  f"the requested range is outside bytes 0-{size - 1}",
                                  Content_Range=f"bytes */{size}")  # fmt: skip
        span = wanted if isinstance(wanted, ByteRange) else ByteRange(0, size - 1)
        headers = {
            "Accept-Ranges": "bytes",
            "Content-Type": torrent.content_type,
            "Content-Length": str(max(span.length, 0)),
            "ETag": etag,
            "Cache-Control": "private, no-transform",
            "Content-Disposition": "inline; filename*=UTF-8''"
            + quote(os.path.basename(torrent.main.path)),
        }
        if isinstance(wanted, ByteRange):
            headers["Content-Range"] = wanted.content_range(size)
        status = 206 if isinstance(wanted, ByteRange) else 200
        send_body = request.method != "HEAD" and size > 0
        return TorrentResponse(self, torrent, claims, span if send_body else None, status, headers)

    async def send_range(
        self, torrent: ActiveTorrent, claims: StreamClaims, span: ByteRange, send: Send
    ) -> None:
        """Body bytes ``span`` of the film, each piece as soon as it is verified; the key is
        re-checked every ``REVOCATION_RECHECK_S`` (a revoked session or a disabled or deleted
        user ends the transfer with a :class:`StreamKeyError`)."""
        user = claims.user
        stall = self.engine.config.engine_stall_timeout
        started = time.monotonic()
        recheck_at = started + REVOCATION_RECHECK_S
        reader = torrent.add_reader(user, span.start)
        chunks = cast(
            Generator[bytes, None, None],
            iter_range(torrent, reader, span.start, span.end, stall_timeout=stall),
        )
        pos = span.start
        try:
            while pos <= span.end:
                if time.monotonic() >= recheck_at:
                    await self._blocking(self.revocation.check, claims)
                    recheck_at = time.monotonic() + REVOCATION_RECHECK_S
                piece = torrent.span.piece_at(pos)
                if not torrent.has(piece):
                    torrent.move_reader(reader, piece)  # the planner wants it now
                    if not await self.pieces.wait(torrent, piece, stall):
                        raise StreamStalled(
                            f"piece {piece} of source {torrent.source_id} did not arrive in "
                            f"{stall:.0f}s"
                        )
                # the piece is verified: this read does not wait on the swarm
                chunk = await anyio.to_thread.run_sync(next, chunks, None, limiter=self._disk)
                if chunk is None:
                    break
                with anyio.move_on_after(SEND_TIMEOUT) as sending:
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
                if sending.cancelled_caught:
                    raise ClientStalled(f"a client of source {torrent.source_id} stopped reading")
                if pos == span.start:
                    self.engine.outcomes.first_byte(torrent, started)
                pos += len(chunk)
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            chunks.close()
            torrent.remove_reader(reader)
            self.engine.stream_ended(torrent.info_hash, user)  # the slot lingers for a seek

    def track(self, scope: anyio.CancelScope) -> bool:
        """Register a running body so shutdown can end it (False: already shutting down)."""
        self._scopes.add(scope)
        return not self._closing

    def untrack(self, scope: anyio.CancelScope) -> None:
        self._scopes.discard(scope)


async def _opened(ticket: OpenTicket) -> ActiveTorrent:
    """The ticket's torrent once its opening ends; a cancelled wait releases the ticket."""
    if not ticket.done:
        loop = asyncio.get_running_loop()
        event = asyncio.Event()

        def wake() -> None:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(event.set)

        ticket.add_done_callback(wake)
        try:
            await event.wait()
        finally:
            ticket.cancel()  # releases this request's claim (no-op once done)
    return ticket.result()


class TorrentResponse(Response):
    """Headers at once, then the film's bytes as pieces are verified; the transfer ends
    when the client disconnects (a watcher task reads ``http.disconnect``)."""

    def __init__(
        self,
        app: EngineApp,
        torrent: ActiveTorrent,
        claims: StreamClaims,
        span: ByteRange | None,
        status: int,
        headers: dict[str, str],
    ) -> None:
        super().__init__(None, status, headers)
        self.app, self.torrent, self.claims, self.span = app, torrent, claims, span

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        if self.span is None:
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        async with anyio.create_task_group() as group:
            if not self.app.track(group.cancel_scope):
                group.cancel_scope.cancel()

            async def watch() -> None:
                while (await receive())["type"] != "http.disconnect":
                    pass
                group.cancel_scope.cancel()

            group.start_soon(watch)
            log.info("stream opened: source %s, user %s, bytes %d-%d", self.torrent.source_id,
                     self.claims.user, self.span.start, self.span.end)  # fmt: skip
            try:
                await self.app.send_range(self.torrent, self.claims, self.span, send)
            except StreamStalled as exc:
                log.warning("stream failed: %s", exc)  # the connection closes without the rest
                self.app.engine.outcomes.stalled(self.torrent)
            except MiauflixError as exc:
                log.info("stream of source %s ended: %s", self.torrent.source_id, exc)
            finally:
                log.info("stream closed: source %s, user %s", self.torrent.source_id,
                         self.claims.user)  # fmt: skip
                group.cancel_scope.cancel()
                self.app.untrack(group.cancel_scope)
