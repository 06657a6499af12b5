"""Start child processes, wait for them to answer, and stop them all cleanly."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import httpx

from core.errors import MiauflixError


class ProcessError(MiauflixError):
    """A child process did not start or died."""


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_is_free(host: str, port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


@dataclass
class Supervisor:
    """Owns child processes; ``stop_all`` terminates them in reverse start order."""

    children: list[tuple[str, subprocess.Popen[bytes]]] = field(default_factory=list)

    def start(
        self, name: str, argv: Sequence[str], env: Mapping[str, str], quiet: bool = True
    ) -> subprocess.Popen[bytes]:
        out = subprocess.DEVNULL if quiet else None
        proc = subprocess.Popen(  # argv is built by us, never from user input
            list(argv), env=dict(env), stdout=out, stderr=out, start_new_session=True
        )
        self.children.append((name, proc))
        return proc

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

    def stop_all(self, timeout: float = 10.0) -> None:
        for _name, proc in reversed(self.children):
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    continue
        deadline = time.monotonic() + timeout
        for _name, proc in reversed(self.children):
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self.children.clear()
