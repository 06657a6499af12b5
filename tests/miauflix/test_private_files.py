"""The data directory and every file in it are private to the service user."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx

from miauflix.private_files import tighten
from miauflix.processes import free_port

ROOT = Path(__file__).resolve().parents[2]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def test_existing_files_and_directories_lose_group_and_other_access(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "engine" / "torrents").mkdir(parents=True)
    os.chmod(data, 0o755)  # noqa: S103 - a loose mode to tighten
    os.chmod(data / "engine", 0o775)  # noqa: S103
    os.chmod(data / "engine" / "torrents", 0o755)  # noqa: S103
    for name, mode in (
        ("warehouse.duckdb", 0o644),
        ("engine/engine.sqlite", 0o666),
        ("engine/torrents/a.fastresume", 0o604),
        ("secret.key", 0o600),
    ):
        (data / name).write_bytes(b"x")
        os.chmod(data / name, mode)  # fmt: skip
    outside = tmp_path / "outside.txt"
    outside.write_text("not ours")
    os.chmod(outside, 0o644)
    (data / "link").symlink_to(outside)

    changed = tighten(data)

    assert changed == 6  # three directories, three files (secret.key already was private)
    assert _mode(data) == 0o700 and _mode(data / "engine") == 0o700
    assert _mode(data / "warehouse.duckdb") == 0o600
    assert _mode(data / "engine" / "engine.sqlite") == 0o600
    assert _mode(data / "engine" / "torrents" / "a.fastresume") == 0o600
    assert _mode(outside) == 0o644  # a symbolic link is not followed
    assert tighten(data) == 0


def test_a_missing_data_directory_is_created_private(tmp_path: Path) -> None:
    tighten(tmp_path / "new" / "data")
    assert _mode(tmp_path / "new" / "data") == 0o700


def test_the_engine_tightens_old_files_and_creates_its_own_private(tmp_path: Path) -> None:
    """The issue's finding: engine.sqlite and resume files were created 0644."""
    data = tmp_path / "data"
    data.mkdir()
    os.chmod(data, 0o755)  # noqa: S103 - a loose mode to tighten
    (data / "warehouse.duckdb").write_text("x")
    os.chmod(data / "warehouse.duckdb", 0o644)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIAUFLIX_")}
    env.update(
        MIAUFLIX_DATA_DIR=str(data),
        PYTHONPATH=str(ROOT),
        MIAUFLIX_ENGINE_PORT=str(port),
        MIAUFLIX_ENGINE_BT_PORT=str(free_port()),
    )
    proc = subprocess.Popen([sys.executable, "-m", "miauflix.cli", "engine"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    created = [p for p in data.rglob("*") if p.name != "warehouse.duckdb"]
    assert any(p.name == "engine.sqlite" for p in created), created
    assert _mode(data) == 0o700
    assert _mode(data / "warehouse.duckdb") == 0o600
    for path in created:
        assert _mode(path) & 0o077 == 0, f"{path} is {oct(_mode(path))}"
