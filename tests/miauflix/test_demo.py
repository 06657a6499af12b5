"""`miauflix demo` end to end: the one command starts everything on loopback, a signed-in
user streams a seeded demo video through the API and the engine, and Ctrl-C stops it all."""

from __future__ import annotations

import contextlib
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
def test_demo_streams_a_seeded_movie_and_episode_and_stops_cleanly_on_ctrl_c(
    tmp_path: Path,
) -> None:
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
        _assert_episode_streams(data_dir, api, auth, printed)
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


def _assert_episode_streams(data_dir: Path, api: str, auth: dict[str, str], printed: str) -> None:
    """S01E02 of the demo show streams the bytes of its file inside the seeded season pack."""
    shows = json.loads((data_dir / "demo.json").read_text())["playable_show_ids"]
    assert len(shows) == 1 and f"shows whose season 1 streams a seeded pack: {shows}" in printed
    issued = httpx.post(
        f"{api}/api/shows/{shows[0]}/seasons/1/episodes/2/stream",
        json={"profile": "web"},
        headers=auth,
    )
    assert issued.status_code == 200, issued.text
    got = httpx.get(issued.json()["stream_url"], headers={"Range": "bytes=0-65535"}, timeout=120)
    assert got.status_code == 206, got.text[:300]
    (episode,) = (data_dir / "media" / "shows").glob("*.S01.*/*.S01E02.*.mp4")
    assert got.content == episode.read_bytes()[:65536], "not the pack's S01E02 bytes"


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for init to reap it counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return False
    return stat[stat.rindex(b")") + 2 :].split()[0] != b"Z"


@pytest.mark.slow
def test_sigterm_to_the_demo_leaves_no_child_and_frees_every_port(tmp_path: Path) -> None:
    """The issue's finding: `kill <demo pid>` left the engine and the API running."""
    from miauflix.childguard import descendants
    from miauflix.processes import port_is_free

    api_port, engine_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIAUFLIX_")}
    env.update(
        MIAUFLIX_DATA_DIR=str(tmp_path / "data"),
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
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,  # signalled alone, as `kill <pid>` does
    )  # fmt: skip
    sink: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_lines, args=(proc.stdout, sink), daemon=True).start()
    tree: list[int] = []
    try:
        _wait_for(sink, "Ctrl-C stops everything", 420, [])
        tree = descendants(proc.pid)
        assert len(tree) >= 4  # two guards, the engine, the API and its workers
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(map(_alive, tree)):
            time.sleep(0.2)
        assert [p for p in tree if _alive(p)] == []
        assert port_is_free("127.0.0.1", api_port) and port_is_free("127.0.0.1", engine_port)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for pid in tree:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def test_the_demo_scrapes_and_dials_only_the_local_tracker_and_seeder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from core.settings import Settings
    from flows.scrape import scrape_trackers
    from miauflix.demo import Sandbox, _sandbox_env

    announce = "http://127.0.0.1:6969/announce"
    sandbox = Sandbox("http://127.0.0.1:8765", "127.0.0.1:6881", announce, [1], [2])
    monkeypatch.setenv("MIAUFLIX_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MIAUFLIX_ENGINE_TRACKERS", "udp://tracker.example:1337/announce")
    for name, value in _sandbox_env(sandbox).items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    assert scrape_trackers(settings) == [announce]  # no public tracker, no configured extra
    assert settings.engine_peers == ["127.0.0.1:6881"]
