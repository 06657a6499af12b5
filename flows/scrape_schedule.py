"""When to scrape a source next: by how much its swarm moved since the last scrape.

A swarm whose counts barely move is scraped half as often each time (up to
``MAX_INTERVAL``); one that swings is scraped twice as often (down to ``MIN_INTERVAL``);
in between the interval stays. Every due time gets +-``JITTER`` so that sources scraped
together drift apart instead of hitting the trackers in one burst. Pure functions: the
caller passes the random source.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

MIN_INTERVAL = timedelta(minutes=15)  # the scrape deployment's own period
MAX_INTERVAL = timedelta(hours=24)
FIRST_INTERVAL = timedelta(hours=1)
JITTER = 0.1  # +-10 % of the interval
CALM = 0.05  # relative change below which a swarm "barely moves"
SWINGING = 0.25  # relative change above which it "swings"


@dataclass(frozen=True)
class Counts:
    seeders: int
    leechers: int


def volatility(before: Counts | None, after: Counts) -> float | None:
    """Relative change between two rounds (None without a previous round).

    Seeders weigh fully, leechers half: seeders decide whether a stream can start.
    Going from or to zero seeders is always a swing.
    """
    if before is None:
        return None
    if (before.seeders == 0) != (after.seeders == 0):
        return 1.0
    seeders = abs(after.seeders - before.seeders) / max(before.seeders, after.seeders, 1)
    leechers = abs(after.leechers - before.leechers) / max(before.leechers, after.leechers, 1)
    return max(seeders, 0.5 * leechers)


def _clamp(value: timedelta) -> timedelta:
    return max(MIN_INTERVAL, min(MAX_INTERVAL, value))


def next_interval(previous: timedelta | None, change: float | None) -> timedelta:
    """The interval after a successful round with relative ``change``."""
    if previous is None or change is None:
        return _clamp(previous or FIRST_INTERVAL)
    if change < CALM:
        return _clamp(previous * 2)
    if change > SWINGING:
        return _clamp(previous / 2)
    return _clamp(previous)


def next_due(now: datetime, interval: timedelta, rng: random.Random) -> datetime:
    """``now + interval`` +- ``JITTER``, never sooner than ``MIN_INTERVAL`` * (1 - JITTER)."""
    factor = 1.0 + rng.uniform(-JITTER, JITTER)
    return now + interval * factor
