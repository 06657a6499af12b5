"""Scrape scheduling by volatility: calm swarms back off, swinging ones come back sooner."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest

from flows.scrape_schedule import (
    FIRST_INTERVAL,
    JITTER,
    MAX_INTERVAL,
    MIN_INTERVAL,
    Counts,
    next_due,
    next_interval,
    volatility,
)

HOUR = timedelta(hours=1)


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (None, Counts(5, 5), None),
        (Counts(100, 10), Counts(100, 10), 0.0),
        (Counts(100, 10), Counts(102, 10), 2 / 102),
        (Counts(10, 0), Counts(5, 0), 0.5),
        (Counts(0, 3), Counts(1, 3), 1.0),  # a stream becomes possible: always a swing
        (Counts(4, 0), Counts(0, 0), 1.0),
        (Counts(0, 0), Counts(0, 0), 0.0),
        (Counts(50, 10), Counts(50, 20), 0.25),  # leechers weigh half
    ],
)
def test_volatility_is_the_relative_change_of_the_swarm(
    before: Counts | None, after: Counts, expected: float | None
) -> None:
    got = volatility(before, after)
    assert got == expected if expected is None else got == pytest.approx(expected)


def test_calm_swarms_are_scraped_less_often_up_to_the_ceiling() -> None:
    interval = HOUR
    seen = []
    for _ in range(10):
        interval = next_interval(interval, 0.0)
        seen.append(interval)
    assert seen[0] == 2 * HOUR and seen[-1] == MAX_INTERVAL
    assert seen == sorted(seen)


def test_swinging_swarms_are_scraped_more_often_down_to_the_floor() -> None:
    interval = MAX_INTERVAL
    for _ in range(20):
        interval = next_interval(interval, 0.9)
    assert interval == MIN_INTERVAL


def test_moderate_change_keeps_the_interval_and_unknowns_start_at_the_default() -> None:
    assert next_interval(3 * HOUR, 0.1) == 3 * HOUR
    assert next_interval(None, 0.9) == FIRST_INTERVAL
    assert next_interval(3 * HOUR, None) == 3 * HOUR
    assert next_interval(timedelta(seconds=1), 0.1) == MIN_INTERVAL  # bounded both ways
    assert next_interval(timedelta(days=30), 0.1) == MAX_INTERVAL


def test_due_times_are_jittered_within_bounds() -> None:
    now = datetime(2026, 5, 1, 12, 0)
    rng = random.Random(7)
    dues = [next_due(now, HOUR, rng) for _ in range(200)]
    low, high = now + HOUR * (1 - JITTER), now + HOUR * (1 + JITTER)
    assert all(low <= due <= high for due in dues)
    assert len(set(dues)) > 150  # sources drift apart
