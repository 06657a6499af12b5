"""`miauflix demo` end to end: the one command starts everything on loopback, a signed-in
user streams a seeded demo video through the API and the engine, and Ctrl-C stops it all."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from miauflix.processes import free_port

PASSWORD = "demo test password 0123"


def _lines(stream: object, sink: queue.Queue[str]) -> None:
    for line in iter(stream.readline, ""):  # type: ignore[attr-defined]
        sink.put(line)


def _wait_for(sink: queue.Queue[str], marker: str, timeout: float, seen: list[str]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = sink.get(timeout=1.0)
        except queue.Empty:
            continue
        seen.append(line)
        if marker in line:
            return
    raise AssertionError(f"{marker!r} not printed within {timeout}s:\n{''.join(seen[-40:])}")


@pytest.mark.slow
def test_demo_streams_a_seeded_video_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    api_port, engine_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIAUFLIX_")}
    env.update(
        MIAUFLIX_DATA_DIR=str(data_dir),
        MIAUFLIX_PORT=str(api_port),
        MIAUFLIX_ENGINE_PORT=str(engine_port),
        MIAUFLIX_ENGINE_BT_PORT=str(free_port()),
        MIAUFLIX_SANDBOX_MOVIES="30",
        MIAUFLIX_ADMIN_PASSWORD=PASSWORD,
        PREFECT_HOME=str(tmp_path / "prefect"),
        COLUMNS="200",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "miauflix.cli", "demo", "--no-prefect-ui"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    sink: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_lines, args=(proc.stdout, sink), daemon=True).start()
    seen: list[str] = []
    api = f"http://127.0.0.1:{api_port}"
    try:
        _wait_for(sink, "Ctrl-C stops everything", 420, seen)
        printed = "".join(seen)
        assert f"admin@miauflix.local / {PASSWORD}" in printed
        assert f"Watch:      {api}/" in printed  # the web address is printed first
        page = httpx.get(f"{api}/", timeout=10)
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        playable = json.loads((data_dir / "demo.json").read_text())["playable_tmdb_ids"]
        assert playable

        token = httpx.post(
            f"{api}/api/auth/login", json={"email": "admin@miauflix.local", "password": PASSWORD}
        ).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        issued = httpx.post(
            f"{api}/api/movies/{playable[0]}/stream", json={"profile": "web"}, headers=auth
        )
        assert issued.status_code == 200, issued.text
        stream_url = issued.json()["stream_url"]
        assert stream_url.startswith(f"http://127.0.0.1:{engine_port}/stream/")

        head = httpx.get(stream_url, headers={"Range": "bytes=0-65535"}, timeout=120)
        assert head.status_code == 206, head.text[:300]
        media = [p.read_bytes()[:65536] for p in (data_dir / "media").glob("*.mp4")]
        assert head.content in media, "the streamed bytes are not a seeded demo video's"
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            code = proc.wait(90)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert code == 0, "".join(seen[-40:])
    for url in (f"{api}/api/health", f"http://127.0.0.1:{engine_port}/health"):
        with pytest.raises(httpx.TransportError):
            httpx.get(url, timeout=2)
