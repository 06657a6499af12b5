"""A cheaper in-memory rate-limit storage (``miauflix-memory://``, used for ``memory://``).

``limits``' MemoryStorage starts a fresh ``threading.Timer`` thread on almost every hit once
its 10 ms sweeper has exited; under load that thread start was the largest single cost of
a catalogue request (~3 ms on 2 cores). Counters already expire lazily on read, so the
sweep (memory cleanup only) runs here at most once per ``SWEEP_INTERVAL``.
"""

from __future__ import annotations

import threading
import time

from limits.storage import MemoryStorage

SWEEP_INTERVAL = 5.0


class SweptMemoryStorage(MemoryStorage):
    """MemoryStorage whose expiry sweep starts at most once per ``SWEEP_INTERVAL``."""

    STORAGE_SCHEME = ["miauflix-memory"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: str):
        self._last_sweep = time.monotonic()
        self._sweep_lock = threading.Lock()
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    def _MemoryStorage__schedule_expiry(self) -> None:
        now = time.monotonic()
        if now - self._last_sweep < SWEEP_INTERVAL:
            return
        with self._sweep_lock:
            if now - self._last_sweep < SWEEP_INTERVAL or self.timer.is_alive():
                return
            self._last_sweep = now
            self.timer = threading.Timer(0.0, self._MemoryStorage__expire_events)  # type: ignore[attr-defined]
            self.timer.daemon = True
            self.timer.start()


def storage_uri(configured: str) -> str:
    """The storage URI to give flask-limiter for the configured one."""
    return "miauflix-memory://" if configured.strip() == "memory://" else configured
