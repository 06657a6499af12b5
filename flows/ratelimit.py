"""Client-side rate limiting: an async token bucket per upstream service.

One bucket is shared by every request to a service inside one event loop. Waiters are
served first come, first served (an ``asyncio.Lock`` queue). A 429 from the server
calls :meth:`TokenBucket.pause`: everybody waits until the server's ``Retry-After``
has elapsed, and the bucket restarts empty so the requests do not stampede.

Clock and sleep are injectable so tests can pace on virtual time.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable

Clock = Callable[[], float]
_EPSILON = 1e-9
Sleep = Callable[[float], Awaitable[None]]


class TokenBucket:
    """At most ``rate`` acquisitions per second on average, bursts up to ``capacity``."""

    def __init__(
        self,
        rate: float,
        capacity: float | None = None,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if not rate > 0:
            raise ValueError(f"rate must be > 0, got {rate}")
        self.rate = float(rate)
        # Default burst: a tenth of a second worth of requests, at least one.
        self.capacity = float(capacity) if capacity is not None else max(1.0, self.rate / 10)
        if self.capacity < 1:
            raise ValueError(f"capacity must be >= 1, got {capacity}")
        self._clock = clock
        self._sleep = sleep
        self._tokens = self.capacity
        self._updated = clock()
        self._paused_until = float("-inf")
        self._lock: asyncio.Lock | None = None
        self.waited = 0.0  # total seconds spent waiting, for diagnostics
        self.pauses = 0

    def _refill(self, now: float) -> None:
        if now > self._updated:
            self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
            self._updated = now

    @property
    def paused_until(self) -> float:
        return self._paused_until

    def pause(self, seconds: float) -> None:
        """Stop handing out tokens for ``seconds`` (from a 429's ``Retry-After``)."""
        if not (seconds > 0 and math.isfinite(seconds)):
            return
        now = self._clock()
        self._refill(now)
        until = now + seconds
        if until > self._paused_until:
            self._paused_until = until
            self.pauses += 1
        # The pause refills at most one token: after it, one request goes at once and
        # the rest are paced again (no stampede). Refill resumes when the pause ends.
        self._tokens = min(1.0, self._tokens + seconds * self.rate)
        self._updated = max(self._updated, self._paused_until)

    async def acquire(self) -> None:
        """Wait until a request may be sent, then take one token."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            while True:
                now = self._clock()
                if now < self._paused_until:
                    await self._wait(self._paused_until - now)
                    continue
                self._refill(now)
                if self._tokens >= 1 - _EPSILON:  # float drift must not cause a spin
                    self._tokens = max(0.0, self._tokens - 1)
                    return
                await self._wait((1 - self._tokens) / self.rate)

    async def _wait(self, seconds: float) -> None:
        self.waited += seconds
        await self._sleep(seconds)
