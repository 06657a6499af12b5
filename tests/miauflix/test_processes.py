"""Supervision: no child outlives the supervisor, whatever ends it; the port check."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from miauflix.childguard import descendants
from miauflix.processes import free_port, port_is_free

SCRIPT = Path(__file__).with_name("supervisor_script.py")
ROOT = Path(__file__).resolve().parents[2]


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return False
    return stat[stat.rindex(b")") + 2 :].split()[0] != b"Z"


def _wait_gone(pids: list[int], timeout: float = 30.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = [pid for pid in pids if _alive(pid)]
        if not left:
            return []
        time.sleep(0.1)
    return [pid for pid in pids if _alive(pid)]


@pytest.mark.parametrize(
    "signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGKILL], ids=lambda s: s.name
)
def test_children_and_grandchildren_never_outlive_the_supervisor(signum: int) -> None:
    port_a, port_b = free_port(), free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, str(SCRIPT), str(port_a), str(port_b)],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,  # like a terminal's job: its own group, signalled alone
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        tree = descendants(proc.pid)
        # two guards, the server, the spawner and the spawner's detached server
        assert len(tree) >= 5
        assert not port_is_free("127.0.0.1", port_a)
        assert not port_is_free("127.0.0.1", port_b)
        os.kill(proc.pid, signum)
        proc.wait(timeout=30)
        assert _wait_gone(tree) == []
        assert port_is_free("127.0.0.1", port_a)
        assert port_is_free("127.0.0.1", port_b)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for pid in descendants(proc.pid):
            os.kill(pid, signal.SIGKILL)
        if proc.stdout is not None:
            proc.stdout.close()


def test_a_port_in_time_wait_counts_as_free() -> None:
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    port = server.getsockname()[1]
    server.listen()
    client = socket.create_connection(("127.0.0.1", port))
    accepted, _ = server.accept()
    accepted.close()  # the server side closes first: its end goes to TIME_WAIT
    client.close()
    server.close()
    assert port_is_free("127.0.0.1", port)


def test_a_listening_port_is_taken() -> None:
    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", 0))
        server.listen()
        assert not port_is_free("127.0.0.1", server.getsockname()[1])


@pytest.mark.parametrize(
    ("code", "expected"),
    [("raise SystemExit(3)", 3), ("import os,signal;os.kill(os.getpid(),signal.SIGKILL)", 137)],
)
def test_the_guard_exits_with_its_commands_status(code: str, expected: int) -> None:
    argv = [sys.executable, "-m", "miauflix.childguard", str(os.getpid()), "1", "--",
            sys.executable, "-c", code]  # fmt: skip
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    assert subprocess.run(argv, env=env, timeout=60).returncode == expected


def test_a_command_that_cannot_start_is_reported_with_127() -> None:
    argv = [sys.executable, "-m", "miauflix.childguard", str(os.getpid()), "1", "--",
            "/nonexistent/miauflix-child"]  # fmt: skip
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 127 and "cannot start" in out.stderr


def test_the_guard_refuses_to_run_when_its_parent_is_not_the_one_named() -> None:
    argv = [sys.executable, "-m", "miauflix.childguard", "1", "1", "--",
            sys.executable, "-c", "open('/dev/null')"]  # fmt: skip
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    assert subprocess.run(argv, env=env, timeout=60).returncode == 128 + signal.SIGTERM


@pytest.mark.parametrize(
    "argv",
    [[], ["1"], ["1", "2", "x", "true"], ["pid", "1", "--", "true"], ["1", "nan", "--", "true"],
     ["-5", "1", "--", "true"], ["1", "1e9", "--", "true"]],
)  # fmt: skip
def test_the_guard_rejects_a_malformed_command_line(argv: list[str]) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-m", "miauflix.childguard", *argv], env=env,
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    assert out.returncode == 2 and "usage" in out.stderr


_PARENT = """
import signal, subprocess, sys, time
log = sys.argv[1]
child = subprocess.Popen([sys.executable, "-c", sys.argv[2], log])
def note(signum, frame):
    with open(log, "a") as f:
        f.write(f"command {time.monotonic()} child_alive={child.poll() is None}\\n")
    child.wait(10)
    sys.exit(0)
signal.signal(signal.SIGTERM, note)
print("ready", flush=True)
time.sleep(60)
"""
_CHILD = """
import signal, sys, time
def note(signum, frame):
    time.sleep(0.5)  # reports its end (a flow run tells its server), through its parent
    with open(sys.argv[1], "a") as f:
        f.write(f"child {time.monotonic()}\\n")
    sys.exit(0)
signal.signal(signal.SIGTERM, note)
with open(sys.argv[1], "a") as f:
    f.write("ready\\n")
time.sleep(60)
"""


def test_the_guard_stops_the_commands_children_before_the_command(tmp_path: Path) -> None:
    # A runner's flow runs must end (and report) while the runner that relays their output
    # still runs: the command gets SIGTERM only once its children are gone.
    log = tmp_path / "order.log"
    argv = [sys.executable, "-m", "miauflix.childguard", str(os.getpid()), "8", "--",
            sys.executable, "-c", _PARENT, str(log), _CHILD]  # fmt: skip
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    guard = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert guard.stdout is not None
        assert guard.stdout.readline().strip() == "ready"
        _wait_for_line(log, "ready")  # the child's handler is in place
        guard.send_signal(signal.SIGTERM)
        guard.wait(timeout=30)
        lines = [line for line in log.read_text().split("\n")[1:] if line]
        assert [line.split()[0] for line in lines] == ["child", "command"], lines
        assert "child_alive=False" in lines[1]
    finally:
        if guard.poll() is None:
            guard.kill()
            guard.wait()
        if guard.stdout is not None:
            guard.stdout.close()


def _wait_for_line(path: Path, line: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not (path.exists() and line in path.read_text().split("\n")):
        assert time.monotonic() < deadline, f"{line!r} not in {path}"
        time.sleep(0.05)
