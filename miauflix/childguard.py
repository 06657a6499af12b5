"""Run one command so that it never outlives the supervisor that started it (Linux).

``python -m miauflix.childguard PARENT_PID GRACE -- ARGV...`` is how
:class:`miauflix.processes.Supervisor` starts every child. The guard

* asks the kernel for SIGTERM when its parent dies (``PR_SET_PDEATHSIG``), whatever ended
  the parent, SIGKILL included, and exits at once if the parent is already gone;
* becomes a child subreaper (``PR_SET_CHILD_SUBREAPER``), so grandchildren that start their
  own session (Prefect's server and flow runs do) are re-parented to it, not to init;
* on SIGTERM, SIGINT or SIGHUP, or when the command exits, sends SIGTERM to every
  descendant, waits ``GRACE`` seconds, then SIGKILLs whatever is left, and exits with the
  command's status (``128 + signal`` when a signal ended it).

Signals are blocked and taken with ``sigtimedwait``; the command is started with
``posix_spawn`` and an empty signal mask, so it never inherits the guard's mask.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import time
from collections.abc import Sequence

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
STOP_SIGNALS = frozenset({signal.SIGTERM, signal.SIGINT, signal.SIGHUP})
WATCHED = STOP_SIGNALS | {signal.SIGCHLD}


def _prctl(option: int, value: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(option, value, 0, 0, 0) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"prctl({option}) failed: {os.strerror(err)}")


def _stat_fields(pid: int) -> list[bytes] | None:
    """``/proc/<pid>/stat`` after the command name (state, ppid, ...); None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read()
    except OSError:
        return None
    return stat[stat.rindex(b")") + 2 :].split()


def descendants(root: int) -> list[int]:
    """Every live process below ``root`` in the process tree (from ``/proc``)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        fields = _stat_fields(int(entry))
        if fields is None or fields[0] == b"Z":
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    found: list[int] = []
    todo = list(children.get(root, []))
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def _signal_all(pids: Sequence[int], signum: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signum)


def _alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie, exited but not yet reaped, is not running)."""
    fields = _stat_fields(pid)
    return fields is not None and fields[0] != b"Z"


def _reap(child: int) -> int | None:
    """Reap every exited descendant; return the command's exit code once it has exited."""
    code: int | None = None
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return code
        if pid == 0:
            return code
        if pid == child:
            raw = os.waitstatus_to_exitcode(status)
            code = 128 - raw if raw < 0 else raw


def _wind_down(child: int, grace: float) -> int | None:
    """Stop the tree within ``grace`` seconds, its leaves first; reap them all.

    The command's own descendants (a runner's flow runs) get SIGTERM first, while the
    command, which reads their output and relays their reports, still runs; once they are
    gone (or after half the grace) the command and whatever is left get it too, and SIGKILL
    when the grace is over. Returns the command's exit code if it was reaped here."""
    me = os.getpid()
    code: int | None = None
    deadline = time.monotonic() + grace
    below = descendants(child) if _alive(child) else []
    if below:
        _signal_all(below, signal.SIGTERM)
        halfway = time.monotonic() + grace / 2
        while time.monotonic() < halfway and any(_alive(pid) for pid in below):
            signal.sigtimedwait([signal.SIGCHLD], 0.1)
            code = _reap(child) if code is None else code
    _signal_all(descendants(me), signal.SIGTERM)
    while left := descendants(me):
        if time.monotonic() >= deadline:
            _signal_all(left, signal.SIGKILL)
        signal.sigtimedwait([signal.SIGCHLD], 0.1)
        reaped = _reap(child)
        code = reaped if reaped is not None else code
    reaped = _reap(child)
    return reaped if reaped is not None else code


def guard(parent: int, grace: float, argv: Sequence[str]) -> int:
    """Run ``argv`` under the guard (see the module docstring); return its exit code."""
    signal.pthread_sigmask(signal.SIG_BLOCK, WATCHED)
    _prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # the supervisor died before the kernel could tell us
        return 128 + signal.SIGTERM
    _prctl(PR_SET_CHILD_SUBREAPER, 1)
    try:
        child = os.posix_spawnp(
            argv[0], list(argv), dict(os.environ), setsigmask=(), setsigdef=tuple(WATCHED)
        )
    except OSError as exc:
        print(f"miauflix.childguard: cannot start {argv[0]!r}: {exc.strerror}", file=sys.stderr)
        return 127
    while True:
        info = signal.sigtimedwait(WATCHED, 1.0)
        code = _reap(child)
        if code is not None:  # the command ended: take its leftovers down with it
            _wind_down(child, grace)
            return code
        if info is not None and info.si_signo in STOP_SIGNALS:
            code = _wind_down(child, grace)
            return code if code is not None else 128 + info.si_signo


def main(args: Sequence[str]) -> int:
    try:
        if len(args) < 4 or args[2] != "--":
            raise ValueError("missing --")
        parent, grace = int(args[0]), float(args[1])
        if parent <= 0 or not 0 <= grace <= 3600:
            raise ValueError("out of range")
    except ValueError:
        print("usage: python -m miauflix.childguard PARENT_PID GRACE -- ARGV...", file=sys.stderr)
        return 2
    return guard(parent, grace, args[3:])


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
