"""The engine's HTTP server: uvicorn (h11) serving :mod:`engine.http_app` from one event
loop in a background thread; and :func:`run_engine`, the blocking entry point of
``miauflix engine``.

Bounds: ``MIAUFLIX_ENGINE_MAX_CONNECTIONS`` open connections (beyond: 503 in the error
shape), a listen backlog of ``BACKLOG``, complete request headers within
``MIAUFLIX_ENGINE_HEADER_TIMEOUT`` seconds (:mod:`engine.http_guard`), idle keep-alive
connections closed after ``KEEP_ALIVE`` seconds. No thread per connection: see
:mod:`engine.http_app` for the bounded pools.
Shutdown cancels the requests in flight (streams end, their readers are released), then
closes the connections; :func:`run_engine` then saves resume data and exits 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import threading
from types import FrameType
from typing import Any

import uvicorn

from core.settings import Settings
from core.stream_keys import StreamKeySigner
from engine.http_app import DEFAULT_HEADERS, EngineApp, _error_status
from engine.http_guard import GuardedH11Protocol
from engine.revocation import RevocationCheck
from engine.service import StreamingEngine

log = logging.getLogger("miauflix.engine.http")

__all__ = ["EngineServer", "_error_status", "build_engine", "run_engine"]

BACKLOG = 2048
KEEP_ALIVE = 10  # seconds an idle keep-alive connection stays open
SHUTDOWN_GRACE = 5  # seconds for requests to wind down before they are cancelled outright


class _QuietEarlyEnd(logging.Filter):
    """A stream cut short on purpose (stall, shutdown) is logged by the engine, not as an
    ASGI error by uvicorn."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != "ASGI callable returned without completing response."


logging.getLogger("uvicorn.error").addFilter(_QuietEarlyEnd())


class EngineServer:
    """The HTTP front of a :class:`StreamingEngine`: ``start()`` serves from a daemon
    thread, ``serve_forever()`` blocks until ``stop()``.

    Stream keys are checked against the API's ``users`` table (``revocation``, by default
    on ``settings.app_db_path``); there is no way to turn that off. ``max_connections`` and
    ``header_timeout`` default to ``MIAUFLIX_ENGINE_MAX_CONNECTIONS`` and
    ``MIAUFLIX_ENGINE_HEADER_TIMEOUT``.
    """

    def __init__(
        self,
        engine: StreamingEngine,
        signer: StreamKeySigner,
        host: str,
        port: int,
        revocation: RevocationCheck | None = None,
        *,
        max_connections: int | None = None,
        header_timeout: float | None = None,
        keep_alive: int = KEEP_ALIVE,
    ) -> None:
        self.engine = engine
        settings = engine.settings
        if max_connections is None:
            max_connections = settings.engine_max_connections
        if header_timeout is None:
            header_timeout = settings.engine_header_timeout
        self.revocation = revocation or RevocationCheck(settings.app_db_path)
        self.app = EngineApp(engine, signer, self.revocation)
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY on accepted sockets only then;
        # without it a keep-alive response waited ~40 ms (Nagle against delayed ACKs).
        self._sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock.bind((host, port))
        self._sock.listen(BACKLOG)
        self._sock.setblocking(False)
        self.host = host
        self.port = int(self._sock.getsockname()[1])
        config = uvicorn.Config(
            self.app.asgi,
            http=GuardedH11Protocol.configured(max_connections, header_timeout),
            ws="none",
            lifespan="off",
            log_config=None,
            access_log=False,
            proxy_headers=False,
            server_header=False,
            backlog=BACKLOG,
            timeout_keep_alive=keep_alive,
            timeout_graceful_shutdown=SHUTDOWN_GRACE,
            headers=DEFAULT_HEADERS,
        )
        self._server = uvicorn.Server(config)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stopped = threading.Event()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> EngineServer:
        """Serve from a daemon thread; returns once the socket accepts requests."""
        started = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(started,), name="miauflix-engine-http", daemon=True
        )
        self._thread.start()
        started.wait(30)
        if not self._server.started:
            raise RuntimeError(f"the engine's HTTP server did not start on {self.url}")
        return self

    def _run(self, started: threading.Event) -> None:
        async def serve() -> None:
            self._loop = asyncio.get_running_loop()
            self.app.bind(self._loop)
            task = asyncio.create_task(self._server.serve(sockets=[self._sock]))
            while not self._server.started and not task.done():
                await asyncio.sleep(0.01)
            started.set()
            await task

        try:
            asyncio.run(serve())
        except Exception:
            log.exception("engine HTTP server failed")
        finally:
            started.set()
            self._stopped.set()

    def serve_forever(self) -> None:
        """Serve until :meth:`stop` is called (from a signal handler or another thread)."""
        if self._thread is None:
            self.start()
        while not self._stopped.wait(0.5):
            pass

    def stop(self) -> None:
        """End the requests in flight, close every connection and the socket (idempotent)."""
        loop = self._loop
        if loop is not None and not self._stopped.is_set():
            with contextlib.suppress(RuntimeError):  # the loop already ended
                loop.call_soon_threadsafe(self.app.close_requests)
        self._server.should_exit = True
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(SHUTDOWN_GRACE + 5)
        self._sock.close()


def build_engine(settings: Settings, **kwargs: Any) -> tuple[StreamingEngine, StreamKeySigner]:
    engine = StreamingEngine(settings, **kwargs)
    return engine, StreamKeySigner(engine.keyring, settings.stream_key_ttl)


def run_engine(settings: Settings, host: str | None = None, port: int | None = None) -> None:
    """Run the engine until SIGINT/SIGTERM (blocking); resume data is saved on the way out."""
    engine, signer = build_engine(settings)
    engine.start()
    server = EngineServer(
        engine,
        signer,
        host or "0.0.0.0",
        port or settings.engine_port,
        max_connections=settings.engine_max_connections,
        header_timeout=settings.engine_header_timeout,
    )
    stopping = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        server.start()
        log.info("engine on %s (BitTorrent port %d)", server.url, engine.bt_port)
        if not settings.app_db_path.exists():
            log.warning("%s does not exist yet: stream keys are refused until the API creates "
                        "it", settings.app_db_path)  # fmt: skip
        while not stopping.wait(0.5):
            if server._stopped.is_set():
                break
        log.info("engine stopping: closing streams, saving resume data")
        server.stop()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        engine.close()
        log.info("engine stopped")
