"""Stop signals end a flow run as themselves: not hidden by DuckDB's "Query interrupted",
and settled from the watcher thread when they never come out of the block (swallowed by a
``__del__`` or a library, or stuck behind a lock the interrupted code left held).

Real signals to this process with a handler that raises as Prefect's engine's does; the
last test runs a real flow in a child process against the session's Prefect API.
"""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from prefect import get_client
from prefect.exceptions import TerminationSignal
from prefect.settings import PREFECT_API_URL

import flows.stop_signals as stop_signals
from flows.stop_signals import hold, stop_signal_behind, stop_signals_kept

ROOT = Path(__file__).resolve().parents[2]
LEASE = uuid4()


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


GiveUp = tuple[int, "str | None", list[UUID]]


@pytest.fixture
def prefect_sigterm(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[GiveUp]]:
    """SIGTERM handled as Prefect's engine does (raises ``TerminationSignal``), a short
    give-up time, the watcher's give-up recorded instead of ending pytest; the process-wide
    watch state restored afterwards. Yields the give-ups."""
    given_up: list[GiveUp] = []

    def raise_termination(signum: int, frame: object) -> None:
        raise TerminationSignal(signal=signum)

    _follow_ups_done()  # an earlier test's follow-up would take this test's signal for its own
    monkeypatch.setattr(stop_signals, "GIVE_UP_AFTER", 0.2)
    monkeypatch.setattr(stop_signals._watch, "stopped", False)
    monkeypatch.setattr(stop_signals._watch, "give_up", lambda *args: given_up.append(args))
    previous = signal.signal(signal.SIGTERM, raise_termination)
    try:
        yield given_up
    finally:
        signal.signal(signal.SIGTERM, previous)
        hold(None, [])


def _follow_ups_done() -> None:
    """Wait (bounded) until no follow-up of an earlier stop runs: it ends within 50 ms of
    its block ending, and a stop that arrives meanwhile is taken as the same stop."""
    deadline = time.monotonic() + 5
    while stop_signals._watch.following and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not stop_signals._watch.following


def _sigterm_self() -> None:
    os.kill(os.getpid(), signal.SIGTERM)
    for _ in range(1000):  # the handler runs at one of these instructions
        pass


class _StopsInDel:
    """An object whose finaliser receives SIGTERM."""

    def __del__(self) -> None:
        _sigterm_self()


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_stop_signal_swallowed_in_a_finaliser_is_sent_again_and_comes_out(
    prefect_sigterm: list[GiveUp], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stop_signals, "GIVE_UP_AFTER", 10.0)  # a loaded machine: no race
    with pytest.raises(TerminationSignal) as caught, stop_signals_kept():
        hold("run-1", [LEASE])
        item = _StopsInDel()
        del item  # Python prints "Exception ignored in" and carries on
        gc.collect()
        for _ in range(800):  # sent again after RESEND_AFTER, raised in here
            time.sleep(0.01)
    assert caught.value.signal == signal.SIGTERM
    assert prefect_sigterm == []  # it came out: the engine's to handle


def test_a_stop_signal_a_library_catches_is_settled_by_the_watcher(
    prefect_sigterm: list[GiveUp],
) -> None:
    with stop_signals_kept():
        hold("run-2", [LEASE])
        with contextlib.suppress(BaseException):  # the swallowing library
            _sigterm_self()
        time.sleep(1.0)
    assert prefect_sigterm == [(signal.SIGTERM, "run-2", [LEASE])]


def test_a_stop_signal_that_came_out_is_left_to_the_engine(
    prefect_sigterm: list[GiveUp],
) -> None:
    with pytest.raises(TerminationSignal), stop_signals_kept():
        hold("run-3", [LEASE])
        _sigterm_self()
    time.sleep(1.0)  # well past GIVE_UP_AFTER
    assert prefect_sigterm == []


def test_a_stop_signal_outside_any_block_is_left_to_the_engine(
    prefect_sigterm: list[GiveUp],
) -> None:
    with stop_signals_kept():
        pass
    counted: list[int] = []
    signal.signal(signal.SIGTERM, lambda signum, frame: counted.append(signum))
    _sigterm_self()
    time.sleep(1.0)
    assert counted == [signal.SIGTERM]
    assert prefect_sigterm == []


def test_a_generator_closing_is_not_taken_for_a_stop() -> None:
    assert stop_signal_behind(GeneratorExit()) is None
    assert stop_signal_behind(SystemExit(0)) is None


STUCK_FLOW = """
import sys, threading
from prefect import flow
from prefect.runtime import flow_run
from flows.warehouse_slot import warehouse_slot

@flow(name="stuck-after-a-stop")
def stuck() -> None:
    with warehouse_slot(sys.argv[1]):
        print(flow_run.get_id(), flush=True)
        try:
            threading.Event().wait()  # until the stop
        except BaseException:
            pass  # swallowed, as a library might
        lock = threading.Lock()
        lock.acquire()
        lock.acquire()  # and stuck, as behind a lock the interrupted code left held

stuck()
"""

STUCK_ASYNC_FLOW = """
import asyncio, sys, threading
from prefect import flow
from prefect.runtime import flow_run
from flows.warehouse_slot import warehouse_slot_async

@flow(name="stuck-after-a-stop-async")
async def stuck() -> None:
    async with warehouse_slot_async(sys.argv[1]):
        print(flow_run.get_id(), flush=True)
        try:
            threading.Event().wait()  # until the stop (blocks the loop, as a sync call can)
        except BaseException:
            pass  # swallowed, as a library might
        lock = threading.Lock()
        lock.acquire()
        lock.acquire()  # and stuck

asyncio.run(stuck())
"""


@pytest.mark.timeout(180)
@pytest.mark.parametrize("script", [STUCK_FLOW, STUCK_ASYNC_FLOW], ids=["sync", "async"])
def test_a_run_stuck_after_a_stop_is_reported_crashed_and_gives_its_slot_back(
    limit: str, tmp_path: Path, script: str
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(
        PREFECT_API_URL=str(PREFECT_API_URL.value()),
        PREFECT_HOME=str(tmp_path / "prefect"),
        PYTHONPATH=str(ROOT),
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script, limit],
        env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert child.stdout is not None
        run_id = child.stdout.readline().strip()  # inside the slot
        assert run_id, child.stderr.read() if child.stderr else ""
        with get_client(sync_client=True) as client:
            assert client.read_global_concurrency_limit_by_name(limit).active_slots == 1
        child.send_signal(signal.SIGTERM)
        code = child.wait(timeout=stop_signals.GIVE_UP_AFTER + 20)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert code == 128 + signal.SIGTERM
    assert child.stderr is not None
    assert "did not stop by itself" in child.stderr.read()
    with get_client(sync_client=True) as client:
        state = client.read_flow_run(UUID(run_id)).state
        assert state is not None and state.is_crashed(), state
        assert "termination signal" in (state.message or "")
        assert client.read_global_concurrency_limit_by_name(limit).active_slots == 0
