"""A cheap in-memory rate-limit storage (``miauflix-memory://``, used for ``memory://``).

``limits``' MemoryStorage starts a fresh ``threading.Timer`` thread on almost every hit once
its 10 ms sweeper has exited; under load that thread start was the largest single cost of
a catalogue request (~3 ms on 2 cores). This storage implements the public
:class:`limits.storage.Storage` interface (registered by its ``STORAGE_SCHEME``) for the
fixed-window strategy the API uses: counters expire lazily when read, and expired counters
are swept inline, at most once per ``SWEEP_INTERVAL`` (no thread at all).
"""

from __future__ import annotations

import threading
import time

from limits.storage import Storage

SWEEP_INTERVAL = 5.0


class CounterStorage(Storage):
    """Fixed-window counters in one dict per process (thread-safe)."""

    STORAGE_SCHEME = ["miauflix-memory"]

    def __init__(
        self, uri: str | None = None, wrap_exceptions: bool = False, **options: float | str | bool
    ) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self._counts: dict[str, int] = {}
        self._expires: dict[str, float] = {}
        self._lock = threading.Lock()
        self._next_sweep = time.time() + SWEEP_INTERVAL

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return ValueError

    def _expire(self, key: str, now: float) -> None:
        """Drop ``key`` when its window ended (lock held)."""
        if self._expires.get(key, 0.0) <= now:
            self._counts.pop(key, None)
            self._expires.pop(key, None)

    def _sweep(self, now: float) -> None:
        """Forget every ended window, at most once per ``SWEEP_INTERVAL`` (lock held)."""
        if now < self._next_sweep:
            return
        self._next_sweep = now + SWEEP_INTERVAL
        for key in [key for key, at in self._expires.items() if at <= now]:
            self._counts.pop(key, None)
            self._expires.pop(key, None)

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        now = time.time()
        with self._lock:
            self._sweep(now)
            self._expire(key, now)
            count = self._counts.get(key, 0) + amount
            self._counts[key] = count
            if count == amount:
                self._expires[key] = now + expiry
            return count

    def get(self, key: str) -> int:
        with self._lock:
            self._expire(key, time.time())
            return self._counts.get(key, 0)

    def get_expiry(self, key: str) -> float:
        with self._lock:
            return self._expires.get(key, time.time())

    def check(self) -> bool:
        return True

    def reset(self) -> int | None:
        with self._lock:
            count = len(self._counts)
            self._counts.clear()
            self._expires.clear()
            return count

    def clear(self, key: str) -> None:
        with self._lock:
            self._counts.pop(key, None)
            self._expires.pop(key, None)

    def __len__(self) -> int:
        return len(self._counts)


def storage_uri(configured: str) -> str:
    """The storage URI to give flask-limiter for the configured one."""
    return "miauflix-memory://" if configured.strip() == "memory://" else configured
