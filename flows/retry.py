"""Per-request retry policy: which outcomes retry, how long to wait, ``Retry-After``.

Prefect's task retries rerun a whole batch; a single flaky request is retried here,
with exponential backoff and jitter, or exactly as long as the server asked for
(``Retry-After``, capped so that a hostile value cannot stall a run).
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504, 520, 521, 522, 523, 524})
_DELTA_SECONDS = re.compile(r"\d+(\.\d+)?", re.ASCII)


def is_retryable_status(status: int) -> bool:
    """5xx and 429 are worth another attempt; other statuses are answers."""
    return status in RETRYABLE_STATUSES or 500 <= status <= 599


def parse_retry_after(
    value: str | None, *, now: datetime | None = None, cap: float = 60.0
) -> float | None:
    """Seconds to wait from a ``Retry-After`` header, within ``[0, cap]``.

    Accepts delta-seconds (``"120"``, ``"1.5"``) and HTTP dates. A date in the past
    means 0. Garbage, negative numbers and absurd values give ``None`` (use backoff),
    and anything beyond ``cap`` is cut to ``cap``.
    """
    if value is None:
        return None
    text = value.strip()
    if not text or len(text) > 64:
        return None
    if _DELTA_SECONDS.fullmatch(text):
        seconds = float(text)
        return min(seconds, cap) if math.isfinite(seconds) else cap
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = now or datetime.now(UTC)
    if current.tzinfo is None:
        current = current.replace(tzinfo=UTC)
    try:
        seconds = (when - current).total_seconds()
    except OverflowError:
        return None
    return max(0.0, min(seconds, cap))


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry one request.

    ``retries`` extra attempts after the first; backoff before retry ``n`` (0-based) is
    drawn from ``[d/2, d]`` with ``d = min(max_delay, base_delay * 2**n)`` ("equal
    jitter": never zero, never more than ``max_delay``).
    """

    retries: int = 4
    base_delay: float = 0.25
    max_delay: float = 10.0
    max_retry_after: float = 60.0
    rng: Callable[[], float] = field(default=random.random, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.retries < 0:
            raise ValueError(f"retries must be >= 0, got {self.retries}")
        if not (self.base_delay >= 0 and self.max_delay >= 0 and self.max_retry_after >= 0):
            raise ValueError("delays must be non-negative")

    @property
    def attempts(self) -> int:
        return self.retries + 1

    def backoff(self, retry_number: int) -> float:
        """Seconds to sleep before retry ``retry_number`` (0 for the first retry)."""
        exponent = min(max(retry_number, 0), 60)
        ceiling = min(self.max_delay, self.base_delay * (2.0**exponent))
        return ceiling / 2 + self.rng() * ceiling / 2

    def retry_after(self, header: str | None, now: datetime | None = None) -> float | None:
        return parse_retry_after(header, now=now, cap=self.max_retry_after)
