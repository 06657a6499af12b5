"""The warehouse slot: one holder at a time when the server has the limit, no wait without it.

Real Prefect API (the session's temporary server); the limit is created and deleted per
test. Lease expiry after a killed holder is pinned end to end in
``tests/miauflix/test_worker_postgres.py``.
"""

from __future__ import annotations

import threading
import time

import pytest
from prefect import get_client

from flows.warehouse_slot import limit_exists, warehouse_slot


def test_without_a_server_side_limit_the_slot_does_not_wait(prefect_harness: None) -> None:
    name = "no-such-limit-here"
    assert not limit_exists(name)
    entered = []
    with warehouse_slot(name):
        entered.append(True)
    assert entered == [True]


def test_the_slot_takes_the_limit_and_gives_it_back(limit: str) -> None:
    assert limit_exists(limit)
    with warehouse_slot(limit), get_client(sync_client=True) as client:
        assert client.read_global_concurrency_limit_by_name(limit).active_slots == 1
    with get_client(sync_client=True) as client:
        assert client.read_global_concurrency_limit_by_name(limit).active_slots == 0


def test_a_second_holder_waits_until_the_first_leaves(limit: str) -> None:
    order: list[str] = []
    first_in, asking, release = threading.Event(), threading.Event(), threading.Event()

    def first() -> None:
        with warehouse_slot(limit):
            order.append("first in")
            first_in.set()
            release.wait(60)
            order.append("first out")

    def second() -> None:
        first_in.wait(60)
        asking.set()
        with warehouse_slot(limit):
            order.append("second in")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    assert first_in.wait(60) and asking.wait(60)
    # Nothing to poll for "still waiting": give the second holder a window to (wrongly) enter.
    time.sleep(2.0)
    with get_client(sync_client=True) as client:
        assert client.read_global_concurrency_limit_by_name(limit).active_slots == 1
    assert order == ["first in"]
    release.set()
    for thread in threads:
        thread.join(120)
    assert order == ["first in", "first out", "second in"]


def test_the_slot_is_released_when_the_block_raises(limit: str) -> None:
    with pytest.raises(RuntimeError, match="boom"), warehouse_slot(limit):
        raise RuntimeError("boom")
    with get_client(sync_client=True) as client:
        assert client.read_global_concurrency_limit_by_name(limit).active_slots == 0
