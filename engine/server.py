"""The engine's HTTP server: ``GET``/``HEAD /stream/<key>``, ``GET /api/engine/status``,
``GET /health``; and :func:`run_engine`, the blocking entry point of ``miauflix engine``.

A threaded ``http.server``: one thread per connection, HTTP/1.1 keep-alive, unbuffered
socket writes (``sendall`` blocks while the client is not reading: that is the
backpressure). Bytes are sent as soon as the piece holding them is verified. A client
that hangs up makes the next write fail, which ends the reader and releases its cursor.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType
from typing import Any
from urllib.parse import quote, urlsplit

from core.catalog.contract import CatalogUnavailable, SecretUnreadable, SourceNotFound
from core.errors import MiauflixError
from core.settings import Settings
from core.stream_keys import PURPOSE_STATUS, StreamKeyError, StreamKeySigner
from engine.errors import (
    EngineClosed,
    MetadataTimeout,
    NoPlayableFile,
    RevocationUnavailable,
    SourceResolveError,
    StreamLimitReached,
    StreamStalled,
    VpnRequired,
)
from engine.ranges import UNSATISFIABLE, ByteRange, parse_range
from engine.reader import iter_range
from engine.revocation import RevocationCheck
from engine.service import StreamingEngine
from engine.torrents import ActiveTorrent

log = logging.getLogger("miauflix.engine.http")

SOCKET_TIMEOUT = 120.0
_CLIENT_GONE = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError)


def _error_status(exc: MiauflixError) -> tuple[int, str]:
    if isinstance(exc, StreamKeyError):
        return exc.status, exc.code
    table: list[tuple[type[MiauflixError], int, str]] = [
        (SourceNotFound, 404, "source_not_found"),
        (CatalogUnavailable, 404, "source_not_found"),
        (SecretUnreadable, 502, "source_unavailable"),
        (StreamLimitReached, 429, "stream_limit_reached"),
        (VpnRequired, 503, "vpn_required"),
        (RevocationUnavailable, 503, "revocation_check_unavailable"),
        (EngineClosed, 503, "engine_closed"),
        (MetadataTimeout, 504, "metadata_timeout"),
        (NoPlayableFile, 422, "no_playable_file"),
        (SourceResolveError, 502, "source_unavailable"),
    ]
    for kind, status, code in table:
        if isinstance(exc, kind):
            return status, code
    return 500, "engine_error"


class _StreamHandler(BaseHTTPRequestHandler):
    server: _EngineHTTPServer
    protocol_version = "HTTP/1.1"
    timeout = SOCKET_TIMEOUT
    server_version = "miauflix-engine"

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    # --- routing ---------------------------------------------------------------------------

    def do_GET(self) -> None:
        self._route(head=False)

    def do_HEAD(self) -> None:
        self._route(head=True)

    def _route(self, *, head: bool) -> None:
        path = urlsplit(self.path).path
        parts = [p for p in path.split("/") if p]
        try:
            if len(parts) in (2, 3) and parts[0] == "stream":
                self._stream(parts[1], head=head)
            elif parts == ["health"]:
                self._json(200, {"status": "ok", "vpn": self.server.engine.vpn.as_dict()}, head)
            elif parts == ["api", "engine", "status"]:
                self._status(head)
            elif len(parts) == 2 and parts[0] == "status":
                self._stream_status(parts[1], head)
            else:
                self._error(404, "not_found", f"no route for {path}", head)
        except MiauflixError as exc:
            status, code = _error_status(exc)
            self._error(status, code, str(exc), head)
        except _CLIENT_GONE:
            self.close_connection = True

    # --- responses -------------------------------------------------------------------------

    def _json(self, status: int, body: dict[str, Any], head: bool, **headers: str) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        if not head:
            self.wfile.write(data)

    def _error(self, status: int, code: str, message: str, head: bool, **headers: str) -> None:
        self._json(status, {"error": {"code": code, "message": message}}, head, **headers)

    def _status(self, head: bool) -> None:
        auth = self.headers.get("Authorization", "")
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token:
            self._error(401, "unauthorized", "a status key is required (Bearer)", head)
            return
        self.server.signer.verify(token.strip(), purpose=PURPOSE_STATUS)
        self._json(200, self.server.engine.status(), head)

    def _stream_status(self, key: str, head: bool) -> None:
        """``GET /status/<stream key>``: the stream's progress for the player's buffering
        overlay. Readable cross-origin (the web client is on the API's origin): it carries
        no secret, and the stream key in the path is the credential."""
        claims = self.server.signer.verify(key)
        self.server.revocation.check(claims)
        body = self.server.engine.stream_status(claims.source_id)
        self._json(200, body, head, Access_Control_Allow_Origin="*")

    def _stream(self, key: str, *, head: bool) -> None:
        claims = self.server.signer.verify(key)
        self.server.revocation.check(claims)
        torrent = self.server.engine.open(claims.source_id, user=claims.user)
        size = torrent.size
        etag = f'"{torrent.source_id}-{torrent.main.index}-{size}"'
        header = self.headers.get("Range")
        if_range = self.headers.get("If-Range")
        if header is not None and if_range is not None and if_range.strip() != etag:
            header = None  # the representation changed: send it whole (RFC 9110 §13.1.5)
        wanted = parse_range(header, size)
        if wanted is UNSATISFIABLE:
            self._error(416, "range_not_satisfiable", f"{header!r} is outside 0-{size - 1}",
                        head, Content_Range=f"bytes */{size}")  # fmt: skip
            return
        span = wanted if isinstance(wanted, ByteRange) else ByteRange(0, size - 1)
        self.send_response(206 if isinstance(wanted, ByteRange) else 200)
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Type", torrent.content_type)
        self.send_header("Content-Length", str(max(span.length, 0)))
        if isinstance(wanted, ByteRange):
            self.send_header("Content-Range", wanted.content_range(size))
        self.send_header("ETag", etag)
        self.send_header("Cache-Control", "private, no-transform")
        name = quote(os.path.basename(torrent.main.path))
        self.send_header("Content-Disposition", f"inline; filename*=UTF-8''{name}")
        self.end_headers()
        if head or size == 0:
            return
        self._send_bytes(torrent, claims.user, span)

    def _send_bytes(self, torrent: ActiveTorrent, user: str, span: ByteRange) -> None:
        stall = self.server.engine.config.engine_stall_timeout
        reader = torrent.add_reader(user, span.start)
        try:
            for chunk in iter_range(torrent, reader, span.start, span.end, stall_timeout=stall):
                self.wfile.write(chunk)
        except StreamStalled as exc:
            log.warning("%s", exc)
            self.close_connection = True
        except (*_CLIENT_GONE, MiauflixError, OSError):
            self.close_connection = True
        finally:
            torrent.remove_reader(reader)


class _EngineHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    engine: StreamingEngine
    signer: StreamKeySigner
    revocation: RevocationCheck

    def handle_error(self, request: object, client_address: object) -> None:
        log.exception("engine HTTP handler failed for %s", client_address)


class EngineServer:
    """The HTTP front of a :class:`StreamingEngine`, served from a daemon thread.

    Stream keys are checked against the API's ``users`` table (``revocation``, by default
    on ``settings.app_db_path``); there is no way to turn that off.
    """

    def __init__(
        self,
        engine: StreamingEngine,
        signer: StreamKeySigner,
        host: str,
        port: int,
        revocation: RevocationCheck | None = None,
    ) -> None:
        self.engine = engine
        self.revocation = revocation or RevocationCheck(engine.settings.app_db_path)
        self._httpd = _EngineHTTPServer((host, port), _StreamHandler)
        self._httpd.engine = engine
        self._httpd.signer = signer
        self._httpd.revocation = self.revocation
        self.host = host
        self.port = int(self._httpd.server_address[1])
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> EngineServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="miauflix-engine-http", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._httpd.serve_forever()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def build_engine(settings: Settings, **kwargs: Any) -> tuple[StreamingEngine, StreamKeySigner]:
    engine = StreamingEngine(settings, **kwargs)
    return engine, StreamKeySigner(engine.keyring, settings.stream_key_ttl)


def run_engine(settings: Settings, host: str | None = None, port: int | None = None) -> None:
    """Run the engine until SIGINT/SIGTERM (blocking); resume data is saved on the way out."""
    engine, signer = build_engine(settings)
    engine.start()
    server = EngineServer(engine, signer, host or "0.0.0.0", port or settings.engine_port)

    def stop(signum: int, frame: FrameType | None) -> None:
        threading.Thread(target=server.stop, daemon=True).start()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    log.info("engine on %s (BitTorrent port %d)", server.url, engine.bt_port)
    if not settings.app_db_path.exists():
        log.warning("%s does not exist yet: stream keys are refused until the API creates it",
                    settings.app_db_path)  # fmt: skip
    try:
        server.serve_forever()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        engine.close()
