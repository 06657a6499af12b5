"""A stop signal (SIGTERM from ``docker stop`` or a worker's shutdown, Ctrl-C) must end a
flow run as Crashed, reported at once, with the warehouse slot given back, whatever the
run was doing.

Prefect's engine turns SIGTERM into ``TerminationSignal`` raised by a Python signal handler,
which runs wherever the main thread happens to be. Two things go wrong:

* DuckDB turns it into ``RuntimeError('Query interrupted')`` when it lands during a query:
  :func:`stop_signals_kept` raises the signal again (the run ends Crashed, not Failed).
* It lands where it cannot get out: Python swallows it inside a weakref callback or a
  ``__del__`` ("Exception ignored in ..."), or it interrupts an import half-way and leaves
  the module's import lock held, and the next thread to import that module (a DuckDB
  thread scanning a polars frame) waits forever while the main thread waits for it (a
  py-spy dump of a stuck run in the worker test). The run then went on, or hung, until the
  heartbeat automation marked it Crashed a minute later and its slot's lease expired: about
  one stop in seven when the signal came right after the run took the slot.

So while its block runs, :func:`stop_signals_kept` sends a stop signal that a finaliser
swallowed to the main thread again (``sys.unraisablehook``), and watches for a stop signal
that arrived (seen at the C level through ``signal.set_wakeup_fd``, which needs no Python
code in the main thread) but has not come out of the block within :data:`GIVE_UP_AFTER`
seconds; then it does from the watcher thread what the engine would have done: gives the
slot's lease back, reports the run Crashed and ends the process.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from prefect import get_client
from prefect.exceptions import TerminationSignal
from prefect.states import Crashed

STOP_SIGNALS = frozenset({int(signal.SIGTERM), int(signal.SIGINT)})
# seconds a stop may take to come out of the block (the engine's own handling takes 0.1-1 s)
# before the watcher ends the run itself; below the guard's half grace (4 s), after which
# the worker's runner is stopped too
GIVE_UP_AFTER = 3.0
RESEND_AFTER = 0.02  # seconds before a signal a finaliser swallowed is sent again


def stop_signal_behind(exc: BaseException) -> BaseException | None:
    """The stop signal (SIGTERM's ``TerminationSignal``, Ctrl-C's ``KeyboardInterrupt``)
    that ``exc`` stands for, if any: DuckDB turns a signal that lands during a query into
    ``RuntimeError('Query interrupted')`` with the signal's exception as its cause."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, (TerminationSignal, KeyboardInterrupt)):
            return current
        current = current.__cause__ or current.__context__
    return None


class _Watch:
    """Process-wide: how many guarded blocks run, whether a stop came out of one, and the
    thread that reads the signal wakeup pipe."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.depth = 0
        self.stopped = False  # a stop signal came out of a guarded block: the engine has it
        self.following = False  # a follow-up of an arrived stop runs
        self.started = False
        self.main_thread = threading.main_thread().ident or 0
        self.run_id: str | None = None  # the flow run to report Crashed
        self.leases: list[UUID] = []  # concurrency leases to give back
        self.give_up: Callable[[int, str | None, list[UUID]], None] = crash_and_exit

    def start(self) -> None:
        """Route the C-level signal wakeup to the watcher thread (main thread only; left
        alone when something else, an event loop, already owns the wakeup fd)."""
        if self.started:
            return
        read_end, write_end = os.pipe()
        os.set_blocking(write_end, False)
        try:
            previous = signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)
        except ValueError:  # not the main thread
            os.close(read_end)
            os.close(write_end)
            return
        if previous != -1:
            signal.set_wakeup_fd(previous)
            os.close(read_end)
            os.close(write_end)
            return
        self.started = True
        threading.Thread(
            target=self._read, args=(read_end,), name="stop-signal-watch", daemon=True
        ).start()

    def hook_finalisers(self) -> None:
        """Make ``sys.unraisablehook`` (the hook that prints "Exception ignored in") also
        hand a swallowed stop signal back; again after anything replaced it (pytest swaps
        it per test)."""
        if not isinstance(sys.unraisablehook, _Resend):
            sys.unraisablehook = _Resend(sys.unraisablehook, self)

    def swallowed(self, exc: BaseException | None) -> None:
        """A finaliser swallowed ``exc``: a stop signal is sent again to the main thread
        shortly (not at once: the handler would raise inside the hook and be swallowed
        again), so the engine handles it as usual."""
        stop = stop_signal_behind(exc) if exc is not None else None
        if isinstance(stop, TerminationSignal):
            signum = int(stop.signal)
        elif isinstance(stop, KeyboardInterrupt):
            signum = int(signal.SIGINT)
        else:
            return
        with self.lock:
            if not self.depth or self.stopped:
                return
        timer = threading.Timer(RESEND_AFTER, signal.pthread_kill, (self.main_thread, signum))
        timer.daemon = True
        timer.start()

    def _read(self, read_end: int) -> None:
        while data := os.read(read_end, 64):
            for signum in data:
                if signum in STOP_SIGNALS:
                    self._arrived(signum)

    def _arrived(self, signum: int) -> None:
        with self.lock:
            if self.following or not self.depth or self.stopped:
                return
            self.following = True
        threading.Thread(target=self._follow, args=(signum,), daemon=True).start()

    def _follow(self, signum: int) -> None:
        deadline = time.monotonic() + GIVE_UP_AFTER
        try:
            while time.monotonic() < deadline:
                time.sleep(0.05)
                with self.lock:
                    if not self.depth or self.stopped:
                        return
            with self.lock:
                run_id, leases = self.run_id, list(self.leases)
            self.give_up(signum, run_id, leases)
        finally:
            with self.lock:
                self.following = False


def crash_and_exit(signum: int, run_id: str | None, leases: list[UUID]) -> None:
    """What the engine would have done with the stop, done from the watcher thread: give
    ``leases`` back, report ``run_id`` Crashed, end the process (exit status 128 +
    ``signum``, as a process killed by it). Writes to stderr directly: a stuck main thread
    may hold the logging module's locks."""
    message = (
        f"Execution was aborted by a termination signal (signal {signum}; the run did not "
        f"stop by itself within {GIVE_UP_AFTER:.0f} s)"
    )
    try:
        with get_client(sync_client=True) as client:
            for lease in leases:
                # already given back, or the server is gone: the lease expires
                with contextlib.suppress(Exception):
                    client.release_concurrency_slots_with_lease(lease_id=lease)
            if run_id:
                client.set_flow_run_state(run_id, Crashed(message=message), force=True)
        outcome = "reported it Crashed"
    except Exception as exc:  # the heartbeat automation marks it Crashed later
        outcome = f"could not report it Crashed ({type(exc).__name__})"
    finally:
        try:
            os.write(2, f"miauflix.stop_signals: {message}: {outcome}, exiting\n".encode())
        finally:
            os._exit(128 + signum)


class _Resend:
    """``sys.unraisablehook``: the hook it replaced, then :meth:`_Watch.swallowed`."""

    def __init__(self, previous: Callable[[Any], object], watch: _Watch) -> None:
        self.previous = previous
        self.watch = watch

    def __call__(self, unraisable: Any) -> None:
        self.previous(unraisable)
        self.watch.swallowed(unraisable.exc_value)


_watch = _Watch()


def hold(run_id: str | None, leases: list[UUID]) -> None:
    """What a stop that does not come out of the block must still settle: the flow run to
    report Crashed and the concurrency leases to give back."""
    with _watch.lock:
        _watch.run_id, _watch.leases = run_id, list(leases)


@contextmanager
def stop_signals_kept() -> Iterator[None]:
    """Make a stop signal inside the block come out of it as the signal: re-raise one that
    an exception hides (Prefect's engine then reports the run Crashed, "aborted by a
    termination signal", not Failed with "Query interrupted"), and settle one that does
    not come out in time (see the module docstring and :func:`hold`)."""
    _watch.start()
    _watch.hook_finalisers()
    with _watch.lock:
        _watch.depth += 1
    try:
        yield
    except BaseException as exc:
        stopped = stop_signal_behind(exc)
        if stopped is not None:
            with _watch.lock:
                _watch.stopped = True
            if stopped is not exc:
                raise stopped from exc
        raise
    finally:
        with _watch.lock:
            _watch.depth -= 1
