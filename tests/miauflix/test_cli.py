"""The miauflix command keeps its contract: sub-commands, --help, clear errors on bad settings."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

from miauflix.cli import build_parser
from miauflix.processes import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "command", ["demo", "sync", "serve", "engine", "keys", "backup", "restore", "admin"]
)
def test_each_command_has_help(command: str) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "miauflix.cli", command, "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert command in out.stdout and "usage" in out.stdout


def test_serve_and_engine_accept_host_and_port() -> None:
    parser = build_parser()
    args = parser.parse_args(["serve", "--host", "0.0.0.0", "--port", "9000"])
    assert (args.host, args.port) == ("0.0.0.0", 9000)
    args = parser.parse_args(["engine", "--host", "127.0.0.2", "--port", "9001"])
    assert (args.host, args.port) == ("127.0.0.2", 9001)


def test_invalid_setting_exits_with_a_readable_message() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "miauflix.cli", "sync"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"MIAUFLIX_PORT": "not-a-port", "PATH": "/usr/bin:/bin"},
    )
    assert out.returncode != 0
    assert "MIAUFLIX_PORT" in out.stderr


def test_version_prints_the_installed_version() -> None:
    from importlib.metadata import version

    out = subprocess.run(
        [sys.executable, "-m", "miauflix.cli", "--version"],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert out.stdout.strip() == f"miauflix {version('miauflix')}"


def test_serve_workers_and_engine_host_flags_only_override_when_given() -> None:
    parser = build_parser()
    assert parser.parse_args(["serve"]).workers is None
    assert parser.parse_args(["serve", "--workers", "3"]).workers == 3
    assert parser.parse_args(["engine"]).host is None


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIAUFLIX_")}
    env.update(MIAUFLIX_DATA_DIR=str(tmp_path / "data"), PYTHONPATH=str(ROOT), **extra)
    return env


def _until_healthy(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the server exited while starting"
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_serve_runs_the_number_of_workers_the_setting_asks_for(tmp_path: Path) -> None:
    port = free_port()
    env = _env(tmp_path, MIAUFLIX_API_WORKERS="3", MIAUFLIX_PORT=str(port),
               MIAUFLIX_ADMIN_PASSWORD="serve test password 0123")  # fmt: skip
    proc = subprocess.Popen([sys.executable, "-m", "miauflix.cli", "serve"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        _until_healthy(f"http://127.0.0.1:{port}/api/health", proc)
        deadline = time.monotonic() + 30
        while len(psutil.Process(proc.pid).children()) < 3 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(psutil.Process(proc.pid).children()) == 3
    finally:
        _stop(proc)


@pytest.mark.parametrize(("setting", "flag", "listens"), [
    (None, None, "127.0.0.1"),
    ("0.0.0.0", None, "0.0.0.0"),
    ("0.0.0.0", "127.0.0.1", "127.0.0.1"),
])  # fmt: skip
def test_engine_listens_on_miauflix_engine_host_unless_the_flag_says_otherwise(
    tmp_path: Path, setting: str | None, flag: str | None, listens: str
) -> None:
    port = free_port()
    env = _env(tmp_path, MIAUFLIX_ENGINE_PORT=str(port), MIAUFLIX_ENGINE_BT_PORT=str(free_port()))
    if setting:
        env["MIAUFLIX_ENGINE_HOST"] = setting
    argv = [sys.executable, "-m", "miauflix.cli", "engine", *(["--host", flag] if flag else [])]
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _until_healthy(f"http://127.0.0.1:{port}/health", proc)
        bound = {
            c.laddr.ip
            for c in psutil.Process(proc.pid).net_connections(kind="tcp")
            if c.status == psutil.CONN_LISTEN and c.laddr.port == port
        }
        assert bound == {listens}
    finally:
        _stop(proc)


def test_polars_allocator_returns_freed_pages_unless_the_user_configured_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from miauflix.cli import main

    monkeypatch.delenv("_RJEM_MALLOC_CONF", raising=False)
    with pytest.raises(SystemExit):
        main(["--version"])
    assert os.environ["_RJEM_MALLOC_CONF"] == "dirty_decay_ms:0,muzzy_decay_ms:0"
    monkeypatch.setenv("_RJEM_MALLOC_CONF", "background_thread:true")
    with pytest.raises(SystemExit):
        main(["--version"])
    assert os.environ["_RJEM_MALLOC_CONF"] == "background_thread:true"
