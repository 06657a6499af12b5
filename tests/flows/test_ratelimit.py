"""Token bucket pacing on a virtual clock: ceilings, bursts, 429 pauses, fairness."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from flows.ratelimit import TokenBucket
from tests.flows.fakes import FakeClock


async def _stamp(bucket: TokenBucket, clock: FakeClock, n: int) -> list[float]:
    stamps: list[float] = []
    for _ in range(n):
        await bucket.acquire()
        stamps.append(clock.now)
    return stamps


def _max_in_window(stamps: list[float], window: float) -> int:
    return max(sum(1 for t in stamps if start <= t < start + window) for start in stamps)


def test_requests_are_paced_at_the_rate() -> None:
    clock = FakeClock()
    bucket = TokenBucket(10, capacity=1, clock=clock, sleep=clock.sleep)
    stamps = asyncio.run(_stamp(bucket, clock, 21))
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    assert stamps[0] == 0.0
    assert all(gap == pytest.approx(0.1) for gap in gaps)
    assert stamps[-1] == pytest.approx(2.0)


def test_burst_is_served_at_once_then_paced() -> None:
    clock = FakeClock()
    bucket = TokenBucket(40, capacity=5, clock=clock, sleep=clock.sleep)
    stamps = asyncio.run(_stamp(bucket, clock, 85))
    assert stamps[:5] == [0.0] * 5
    assert stamps[5] == pytest.approx(1 / 40)
    # Never more than rate + burst in any one-second window.
    assert _max_in_window(stamps, 1.0) <= 40 + 5


def test_concurrent_waiters_share_one_ceiling() -> None:
    clock = FakeClock()
    bucket = TokenBucket(20, capacity=1, clock=clock, sleep=clock.sleep)
    stamps: list[float] = []

    async def worker() -> None:
        for _ in range(10):
            await bucket.acquire()
            stamps.append(clock.now)

    async def main() -> None:
        await asyncio.gather(*(worker() for _ in range(8)))

    asyncio.run(main())
    assert len(stamps) == 80
    assert _max_in_window(sorted(stamps), 1.0) <= 21
    assert max(stamps) == pytest.approx(79 / 20)


def test_pause_holds_everyone_until_retry_after_elapsed() -> None:
    clock = FakeClock()
    bucket = TokenBucket(100, capacity=10, clock=clock, sleep=clock.sleep)

    async def main() -> list[float]:
        await bucket.acquire()
        bucket.pause(3.0)
        return await _stamp(bucket, clock, 3)

    stamps = asyncio.run(main())
    assert stamps[0] == pytest.approx(3.0)
    # Restarts with a single token, not a full burst.
    assert stamps[1] == pytest.approx(3.01)
    assert bucket.pauses == 1


def test_pause_raised_while_waiting_is_respected() -> None:
    clock = FakeClock()
    bucket = TokenBucket(1, capacity=1, clock=clock, sleep=clock.sleep)
    stamps: list[float] = []

    async def waiter() -> None:
        await bucket.acquire()
        stamps.append(clock.now)

    async def main() -> None:
        await bucket.acquire()  # bucket now empty: the next waiter sleeps 1 s
        task = asyncio.create_task(waiter())
        await asyncio.sleep(0)
        paused_at = clock.now
        bucket.pause(5.0)  # a 429 arrives meanwhile
        await task
        assert stamps == [pytest.approx(paused_at + 5.0)]

    asyncio.run(main())
    assert len(stamps) == 1


@pytest.mark.parametrize("seconds", [0.0, -1.0, float("nan"), float("inf"), float("-inf")])
def test_nonsense_pauses_are_ignored(seconds: float) -> None:
    clock = FakeClock()
    bucket = TokenBucket(10, clock=clock, sleep=clock.sleep)
    bucket.pause(seconds)
    asyncio.run(bucket.acquire())
    assert clock.now == 0.0
    assert bucket.pauses == 0


def test_shorter_pause_does_not_shorten_a_longer_one() -> None:
    clock = FakeClock()
    bucket = TokenBucket(10, clock=clock, sleep=clock.sleep)
    bucket.pause(10.0)
    bucket.pause(2.0)
    assert bucket.paused_until == 10.0


def test_waiters_are_served_first_come_first_served() -> None:
    clock = FakeClock()
    bucket = TokenBucket(5, capacity=1, clock=clock, sleep=clock.sleep)
    order: list[int] = []

    async def waiter(n: int) -> None:
        await bucket.acquire()
        order.append(n)

    async def main() -> None:
        await asyncio.gather(*(waiter(n) for n in range(10)))

    asyncio.run(main())
    assert order == list(range(10))


@pytest.mark.parametrize(("rate", "capacity"), [(0, None), (-1, None), (10, 0.5)])
def test_invalid_bucket_settings_are_rejected(rate: float, capacity: float | None) -> None:
    with pytest.raises(ValueError):
        TokenBucket(rate, capacity)


def test_default_burst_is_a_tenth_of_a_second() -> None:
    assert TokenBucket(40).capacity == 4.0
    assert TokenBucket(2).capacity == 1.0
