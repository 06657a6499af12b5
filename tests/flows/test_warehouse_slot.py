"""The warehouse slot: one holder at a time when the server has the limit, no wait without it.

Real Prefect API (the session's temporary server); the limit is created and deleted per
test. Lease expiry after a killed holder is pinned end to end in
``tests/miauflix/test_worker_postgres.py``.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator

import pytest
from prefect import get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
from prefect.exceptions import TerminationSignal

from flows.warehouse_slot import (
    limit_exists,
    stop_signal_behind,
    stop_signals_kept,
    warehouse_slot,
)


@pytest.fixture
def limit(prefect_harness: None) -> Iterator[str]:
    """A one-slot limit under a test-only name (the real one may exist in the session)."""
    name = "test-warehouse-slot"
    with get_client(sync_client=True) as client:
        client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=name, limit=1))
    yield name
    with get_client(sync_client=True) as client:
        client.delete_global_concurrency_limit_by_name(name)


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


def test_a_stop_signal_hidden_by_duckdb_comes_out_as_the_signal() -> None:
    # DuckDB turns a signal handler's exception during a query into RuntimeError("Query
    # interrupted") with the signal as its cause (seen in a worker's log); re-raised as the
    # signal, Prefect's engine reports the run Crashed, not Failed. Built by hand: a real
    # signal during a DuckDB 1.5.5 query is now and then not noticed at all (the query runs
    # on), which a test cannot wait out.
    stop = TerminationSignal(signal=signal.SIGTERM)
    with pytest.raises(TerminationSignal) as caught, stop_signals_kept():
        try:
            raise stop
        except TerminationSignal as exc:
            raise RuntimeError("Query interrupted") from exc
    assert caught.value is stop
    assert str(caught.value.__cause__) == "Query interrupted"


def test_an_ordinary_error_is_not_taken_for_a_stop_signal() -> None:
    with pytest.raises(RuntimeError, match="disk full"), stop_signals_kept():
        try:
            raise ValueError("inner")
        except ValueError as inner:
            raise RuntimeError("disk full") from inner
    assert stop_signal_behind(RuntimeError("x")) is None


def test_ctrl_c_behind_an_error_is_found_even_in_a_cycle() -> None:
    interrupt = KeyboardInterrupt()
    wrapper = RuntimeError("Query interrupted")
    wrapper.__cause__ = interrupt
    interrupt.__context__ = wrapper  # a cycle: must not loop
    assert stop_signal_behind(wrapper) is interrupt
    cyclic = RuntimeError("a")
    other = RuntimeError("b")
    cyclic.__context__, other.__context__ = other, cyclic
    assert stop_signal_behind(cyclic) is None
