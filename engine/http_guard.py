"""Connection guard for uvicorn's h11 protocol: a cap on open connections and a deadline
for a request's headers.

uvicorn has an idle timeout between requests (``timeout_keep_alive``) but none while a
request's headers trickle in, so a client sending one byte at a time (slowloris) would
hold its connection forever. Here every connection must deliver complete request headers
within ``header_timeout`` seconds of connecting or of its first byte after a response,
or it is closed. Beyond ``max_connections`` open connections, a new one is answered
``503`` in the engine's error shape (with ``Retry-After``) and closed.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from starlette.types import Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from engine.http_app import error_bytes, error_response

log = logging.getLogger("miauflix.engine.http")

# Defaults of MIAUFLIX_ENGINE_MAX_CONNECTIONS / MIAUFLIX_ENGINE_HEADER_TIMEOUT (the server
# passes the settings through :meth:`GuardedH11Protocol.configured`).
MAX_CONNECTIONS = 1000
HEADER_TIMEOUT = 10.0


async def _busy(scope: Scope, receive: Receive, send: Send) -> None:
    response = error_response(503, "too_many_connections",
                              "the engine has too many open connections; retry shortly",
                              Connection="close")  # fmt: skip
    await response(scope, receive, send)


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a connection cap and a header deadline."""

    max_connections = MAX_CONNECTIONS
    header_timeout = HEADER_TIMEOUT

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timer: asyncio.TimerHandle | None = None

    @classmethod
    def configured(cls, max_connections: int, header_timeout: float) -> type[GuardedH11Protocol]:
        return type(
            "GuardedH11Protocol",
            (cls,),
            {"max_connections": max_connections, "header_timeout": header_timeout},
        )

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.max_connections:
            self.app = _busy  # answers this connection's first request, then closes it
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._awaiting_headers():
            if self._header_timer is None:
                self._arm()
        else:
            self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._disarm()  # idle now: uvicorn's keep-alive timeout applies until the next byte

    def send_400_response(self, msg: str) -> None:
        """A request h11 cannot parse: 400 in the error shape (``msg`` is uvicorn's own)."""
        self.transport.write(error_bytes(400, "bad_request", msg))
        self.transport.close()

    def _awaiting_headers(self) -> bool:
        if self.transport is None or self.transport.is_closing():
            return False
        return self.cycle is None or self.cycle.response_complete

    def _arm(self) -> None:
        self._disarm()
        self._header_timer = self.loop.call_later(self.header_timeout, self._headers_late)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_late(self) -> None:
        self._header_timer = None
        if self._awaiting_headers():
            log.debug("closing %s: no complete request headers in %.0fs",
                      self.client, self.header_timeout)  # fmt: skip
            self.transport.close()
