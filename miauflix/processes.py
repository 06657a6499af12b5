"""Start child processes, wait for them to answer, and stop them all cleanly.

Every child runs under :mod:`miauflix.childguard` in its own process group, so no child
(nor any of its descendants) outlives the supervisor, whatever ends it: SIGINT, SIGTERM,
SIGHUP (a closed terminal) and even SIGKILL. :func:`stop_on_signals` turns SIGTERM and
SIGHUP into :class:`Stopped` so the supervisor's own clean-up runs.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import httpx

from core.errors import MiauflixError

GUARD_GRACE = 8.0  # seconds a child gets between SIGTERM and SIGKILL (guard side)


class ProcessError(MiauflixError):
    """A child process did not start or died."""


class Stopped(KeyboardInterrupt):
    """The supervisor received SIGTERM or SIGHUP: stop like Ctrl-C does."""


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """While inside, SIGTERM and SIGHUP raise :class:`Stopped` (SIGINT already raises
    KeyboardInterrupt); the previous handlers come back on the way out."""

    def _raise(signum: int, frame: object) -> None:
        raise Stopped(signal.Signals(signum).name)

    previous = {sig: signal.signal(sig, _raise) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_is_free(host: str, port: int) -> bool:
    """True when a server could listen on ``host:port`` now.

    ``SO_REUSEADDR`` as every server sets it: connections of a stopped server lingering in
    TIME_WAIT do not make the port look taken."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


@dataclass
class Supervisor:
    """Owns child processes; ``stop_all`` terminates them in reverse start order.

    Children are started from the thread that calls :meth:`start`: the kernel's
    parent-death signal follows that thread, so start them from the main thread."""

    children: list[tuple[str, subprocess.Popen[bytes]]] = field(default_factory=list)

    def start(
        self, name: str, argv: Sequence[str], env: Mapping[str, str], quiet: bool = True
    ) -> subprocess.Popen[bytes]:
        out = subprocess.DEVNULL if quiet else None
        guarded = [sys.executable, "-m", "miauflix.childguard", str(os.getpid()),
                   str(GUARD_GRACE), "--", *argv]  # fmt: skip
        proc = subprocess.Popen(  # argv is built by us, never from user input
            guarded, env=dict(env), stdout=out, stderr=out, start_new_session=True
        )
        self.children.append((name, proc))
        return proc

    def run(self, name: str, argv: Sequence[str], env: Mapping[str, str]) -> int:
        """Run a child to completion (guarded like the others); return its exit code."""
        proc = self.start(name, argv, env, quiet=False)
        code = proc.wait()  # interrupted: it stays a child, and stop_all ends it
        self.children.remove((name, proc))
        return code

    def wait_http(self, name: str, url: str, timeout: float) -> None:
        """Poll ``url`` until it answers < 500, or raise if the child dies or time runs out."""
        proc = dict(self.children)[name]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise ProcessError(f"{name} exited with code {proc.returncode} while starting")
            try:
                if httpx.get(url, timeout=2.0).status_code < 500:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise ProcessError(f"{name} did not answer at {url} within {timeout:.0f}s")

    def check_alive(self) -> None:
        for name, proc in self.children:
            if proc.poll() is not None:
                raise ProcessError(f"{name} exited unexpectedly with code {proc.returncode}")

    def stop_all(self, timeout: float = GUARD_GRACE + 4.0) -> None:
        for _name, proc in reversed(self.children):
            if proc.poll() is None:  # the guard stops its tree in order (leaves first)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for _name, proc in reversed(self.children):
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self.children.clear()
