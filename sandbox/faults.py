"""Fault injection knobs for the fake upstream, and the counters tests reconcile against.

Faults are decided per request from one seeded stream, so a retry of the same URL gets a
fresh draw (a client with retries eventually gets every answer) and a sequential run with
the same seed injects the same faults at the same requests.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sandbox.errors import SandboxError

SERVER_ERROR_CODES = (500, 502, 503)

# Fault kinds, as counted in ``UpstreamStats.faults``.
DEAD_MIRROR = "dead_mirror"
RATE_LIMITED = "rate_limited"
SERVER_ERROR = "server_error"
SLOW = "slow"
MALFORMED = "malformed"


@dataclass(frozen=True)
class FaultConfig:
    """What to break and how often. Rates are shares of requests in [0, 1].

    ``rate_limit_burst_every=N`` makes every Nth request start a burst of
    ``rate_limit_burst_len`` answers 429 carrying ``Retry-After: retry_after_s`` (integer
    seconds, like the real services; 0 is allowed for fast tests). ``slow_rate`` answers
    only after ``slow_seconds`` (longer than the client's timeout). ``dead_mirrors`` names
    YTS or EZTV mirror prefixes (``"yts"``, ``"/yts-mirror2"``, ``"eztv"``) that always
    answer 503 HTML.
    """

    error_rate: float = 0.0
    rate_limit_burst_every: int = 0
    rate_limit_burst_len: int = 3
    retry_after_s: int = 1
    slow_rate: float = 0.0
    slow_seconds: float = 15.0
    malformed_rate: float = 0.0
    dead_mirrors: frozenset[str] = field(default_factory=frozenset)
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("error_rate", "slow_rate", "malformed_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise SandboxError(f"FaultConfig.{name} must be within 0..1, got {value}")
        if self.error_rate + self.slow_rate + self.malformed_rate > 1.0:
            raise SandboxError("FaultConfig: error_rate + slow_rate + malformed_rate exceeds 1")
        if self.rate_limit_burst_every < 0 or self.rate_limit_burst_len < 1:
            raise SandboxError(
                "FaultConfig: rate_limit_burst_every must be >= 0 and rate_limit_burst_len >= 1"
            )
        if self.retry_after_s < 0 or self.slow_seconds < 0:
            raise SandboxError("FaultConfig: retry_after_s and slow_seconds must be >= 0")
        names = frozenset(str(m).strip("/") for m in self.dead_mirrors)
        object.__setattr__(self, "dead_mirrors", names)
        object.__setattr__(self, "retry_after_s", int(self.retry_after_s))

    @property
    def active(self) -> bool:
        return bool(
            self.error_rate
            or self.rate_limit_burst_every
            or self.slow_rate
            or self.malformed_rate
            or self.dead_mirrors
        )


@dataclass(frozen=True, slots=True)
class Fault:
    """One injected fault: ``kind`` plus the HTTP status (5xx/429) where one applies."""

    kind: str
    status: int = 0


class FaultInjector:
    """Decides, request by request, which fault (if any) to inject."""

    def __init__(self, config: FaultConfig) -> None:
        self.config = config
        self._random = random.Random(config.seed)
        self._count = 0
        self._burst_left = 0
        self._lock = threading.Lock()

    def decide(self, mirror: str | None = None) -> Fault | None:
        """The fault for the next request (``mirror``: YTS/EZTV mirror prefix, if any)."""
        cfg = self.config
        if mirror is not None and mirror in cfg.dead_mirrors:
            return Fault(DEAD_MIRROR, 503)
        if not cfg.active:
            return None
        with self._lock:
            self._count += 1
            if cfg.rate_limit_burst_every and self._count % cfg.rate_limit_burst_every == 0:
                self._burst_left = cfg.rate_limit_burst_len
            draw = self._random.random()
            code = self._random.choice(SERVER_ERROR_CODES)
            if self._burst_left > 0:
                self._burst_left -= 1
                return Fault(RATE_LIMITED, 429)
        if draw < cfg.error_rate:
            return Fault(SERVER_ERROR, code)
        if draw < cfg.error_rate + cfg.slow_rate:
            return Fault(SLOW)
        if draw < cfg.error_rate + cfg.slow_rate + cfg.malformed_rate:
            return Fault(MALFORMED)
        return None


class UpstreamStats:
    """Counters: requests per route, faults per kind, answers per status. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: Counter[str] = Counter()
        self.faults: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()

    def count_request(self, route: str) -> None:
        with self._lock:
            self.requests[route] += 1

    def count_fault(self, kind: str) -> None:
        with self._lock:
            self.faults[kind] += 1

    def count_status(self, status: int) -> None:
        with self._lock:
            self.statuses[status] += 1

    @property
    def total_requests(self) -> int:
        with self._lock:
            return sum(self.requests.values())

    def snapshot(self) -> dict[str, Any]:
        """A consistent copy: ``{"requests": {...}, "faults": {...}, "statuses": {...}}``."""
        with self._lock:
            return {
                "requests": dict(self.requests),
                "faults": dict(self.faults),
                "statuses": dict(self.statuses),
            }

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.faults.clear()
            self.statuses.clear()
