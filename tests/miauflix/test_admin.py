"""``miauflix admin reset-password EMAIL``: stdin or a terminal, policy, sessions revoked."""

from __future__ import annotations

import os
import pty
import sqlite3
import subprocess
import sys
import time

import pytest

from serve.appdb import AppDB
from serve.users import InvalidCredentials, authenticate
from tests.miauflix.conftest import ADMIN, ADMIN_PASSWORD, ROOT, DataDir

NEW = "a brand new passphrase 42"


def _reset(service_data: DataDir, email: str, stdin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "miauflix.cli", "admin", "reset-password", email],
        input=stdin, env=service_data.env(), capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def _live_sessions(service_data: DataDir) -> int:
    with sqlite3.connect(service_data.settings.app_db_path) as con:
        return int(
            con.execute(
                "SELECT COUNT(*) FROM sessions WHERE user_id = ? AND revoked_at IS NULL",
                (service_data.admin_id,),
            ).fetchone()[0]
        )


def test_reset_from_stdin_sets_the_password_and_signs_the_user_out(service_data: DataDir) -> None:
    assert _live_sessions(service_data) == 2
    out = _reset(service_data, ADMIN.upper(), NEW + "\n")  # emails match case-insensitively
    assert out.returncode == 0, out.stderr
    assert "2 session(s) signed out" in out.stdout
    db = AppDB(service_data.settings.app_db_path)
    assert authenticate(db, ADMIN, NEW).id == service_data.admin_id
    with pytest.raises(InvalidCredentials):
        authenticate(db, ADMIN, ADMIN_PASSWORD)
    user = db.user_by_id(service_data.admin_id)
    assert user is not None and user.streams_revoked_at > 0  # issued stream URLs die too
    events = db.connection().execute("SELECT event, details FROM audit_log").fetchall()
    db.close()
    assert _live_sessions(service_data) == 0
    assert [e["event"] for e in events] == ["password_reset"]
    assert NEW not in str([tuple(e) for e in events])
    assert NEW not in out.stdout + out.stderr


@pytest.mark.parametrize(
    ("email", "stdin", "says"),
    [
        ("nobody@example.com", NEW + "\n", "no user"),
        (ADMIN, "short\n", "at least"),
        (ADMIN, "password123\n", "too common"),
        (ADMIN, "", "no password"),
        (ADMIN, "\n", "no password"),
        (ADMIN, "x" * 2000 + "\n", "at most"),
    ],
)
def test_a_refused_reset_changes_nothing(
    service_data: DataDir, email: str, stdin: str, says: str
) -> None:
    out = _reset(service_data, email, stdin)
    assert out.returncode != 0
    assert says in out.stderr and "Traceback" not in out.stderr
    db = AppDB(service_data.settings.app_db_path)
    assert authenticate(db, ADMIN, ADMIN_PASSWORD).id == service_data.admin_id
    db.close()
    assert _live_sessions(service_data) == 2


def test_without_an_app_database_it_says_to_start_the_api_first(service_data: DataDir) -> None:
    service_data.settings.app_db_path.unlink()
    out = _reset(service_data, ADMIN, NEW + "\n")
    assert out.returncode != 0 and "start the API once first" in out.stderr
    assert not service_data.settings.app_db_path.exists()


def _read_until(fd: int, marker: bytes, seen: bytearray, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while marker not in seen and time.monotonic() < deadline:
        try:
            chunk = os.read(fd, 1024)
        except OSError:
            break
        if not chunk:
            break
        seen.extend(chunk)
    assert marker in seen, bytes(seen)


def _on_a_terminal(service_data: DataDir, first: str, second: str) -> tuple[int, bytes]:
    pid, fd = pty.fork()
    if pid == 0:  # the child: a session whose controlling terminal is the pty
        argv = [sys.executable, "-m", "miauflix.cli", "admin", "reset-password", ADMIN]
        os.execve(sys.executable, argv, {**service_data.env(), "PYTHONPATH": str(ROOT)})  # noqa: S606
    seen = bytearray()
    _read_until(fd, b"New password:", seen)
    os.write(fd, first.encode() + b"\n")
    _read_until(fd, b"Repeat it:", seen)
    os.write(fd, second.encode() + b"\n")
    while True:
        try:
            chunk = os.read(fd, 1024)
        except OSError:
            break
        if not chunk:
            break
        seen.extend(chunk)
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), bytes(seen)


def test_on_a_terminal_it_prompts_twice_without_echo(service_data: DataDir) -> None:
    code, screen = _on_a_terminal(service_data, NEW, NEW)
    assert code == 0, screen
    assert NEW.encode() not in screen  # the terminal never echoed it
    db = AppDB(service_data.settings.app_db_path)
    assert authenticate(db, ADMIN, NEW).id == service_data.admin_id
    db.close()


def test_on_a_terminal_two_different_entries_change_nothing(service_data: DataDir) -> None:
    code, screen = _on_a_terminal(service_data, NEW, NEW + "typo")
    assert code != 0 and b"differ" in screen
    db = AppDB(service_data.settings.app_db_path)
    assert authenticate(db, ADMIN, ADMIN_PASSWORD).id == service_data.admin_id
    db.close()
