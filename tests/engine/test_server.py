"""The engine's HTTP stream: byte-exact ranges against the original file, HTTP semantics."""

from __future__ import annotations

import os
import random
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import psutil
import pytest

from core.stream_keys import PURPOSE_STATUS, StreamKeySigner
from serve.appdb import AppDB
from tests.engine.conftest import Running, Swarm, wait_until


def test_full_get_streams_the_original_file_byte_for_byte(
    running: Running, swarm: Swarm, client: httpx.Client
) -> None:
    original = swarm.tail_index.path.read_bytes()
    response = client.get(running.url("alice", "src-tail"))
    assert response.status_code == 200
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["content-type"] == "video/mp4"
    assert int(response.headers["content-length"]) == len(original)
    assert response.content == original


def test_random_ranges_match_the_original_bytes(
    running: Running, swarm: Swarm, client: httpx.Client
) -> None:
    original = swarm.faststart.path.read_bytes()
    size = len(original)
    url = running.url("alice", "src-fast")
    rng = random.Random(7)
    for _ in range(12):
        start = rng.randrange(size)
        end = min(size - 1, start + rng.randrange(1, 300_000))
        response = client.get(url, headers={"Range": f"bytes={start}-{end}"})
        assert response.status_code == 206
        assert response.headers["content-range"] == f"bytes {start}-{end}/{size}"
        assert response.content == original[start : end + 1]


def test_head_reports_size_and_type_without_a_body(
    running: Running, swarm: Swarm, client: httpx.Client
) -> None:
    response = client.head(running.url("alice", "src-tail"))
    assert response.status_code == 200
    assert int(response.headers["content-length"]) == swarm.tail_index.size
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["content-type"] == "video/mp4"
    assert response.content == b""
    ranged = client.head(running.url("alice", "src-tail"), headers={"Range": "bytes=-100"})
    assert ranged.status_code == 206
    size = swarm.tail_index.size
    assert ranged.headers["content-range"] == f"bytes {size - 100}-{size - 1}/{size}"
    assert ranged.headers["content-length"] == "100"


def test_suffix_and_open_ended_ranges_return_the_right_bytes(
    running: Running, swarm: Swarm, client: httpx.Client
) -> None:
    original = swarm.tail_index.path.read_bytes()
    url = running.url("alice", "src-tail")
    tail = client.get(url, headers={"Range": "bytes=-70000"})
    assert tail.status_code == 206 and tail.content == original[-70000:]
    rest = client.get(url, headers={"Range": f"bytes={len(original) - 1000}-"})
    assert rest.status_code == 206 and rest.content == original[-1000:]


def test_unsatisfiable_range_is_416_with_the_size(
    running: Running, swarm: Swarm, client: httpx.Client
) -> None:
    size = swarm.tail_index.size
    response = client.get(running.url("alice", "src-tail"), headers={"Range": f"bytes={size}-"})
    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{size}"
    assert response.json()["error"]["code"] == "range_not_satisfiable"


@pytest.mark.parametrize("header", ["bytes=abc", "bytes=9-1", "pages=1-2", "bytes=0-1,5-9"])
def test_malformed_range_is_ignored_not_a_500(
    running: Running, swarm: Swarm, client: httpx.Client, header: str
) -> None:
    response = client.head(running.url("alice", "src-fast"), headers={"Range": header})
    assert response.status_code == 200
    assert int(response.headers["content-length"]) == swarm.faststart.size


def test_if_range_with_a_stale_etag_sends_the_whole_file(
    running: Running, swarm: Swarm, client: httpx.Client
) -> None:
    url = running.url("alice", "src-fast")
    etag = client.head(url).headers["etag"]
    fresh = client.head(url, headers={"Range": "bytes=0-9", "If-Range": etag})
    stale = client.head(url, headers={"Range": "bytes=0-9", "If-Range": '"other"'})
    assert (fresh.status_code, stale.status_code) == (206, 200)


def test_bad_expired_and_foreign_keys_are_refused_with_the_error_shape(
    running: Running, client: httpx.Client
) -> None:
    base = running.server.url
    bad = client.get(f"{base}/stream/not-a-key")
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "invalid_stream_key"
    expired_key, _ = running.signer.issue("alice", "src-tail", ttl=-1)
    expired = client.get(f"{base}/stream/{expired_key}")
    assert expired.status_code == 401 and expired.json()["error"]["code"] == "stream_key_expired"
    foreign_key, _ = StreamKeySigner(b"another installation" * 3, 60).issue("alice", "src-tail")
    foreign = client.get(f"{base}/stream/{foreign_key}")
    assert foreign.status_code == 403 and foreign.json()["error"]["code"] == "foreign_stream_key"
    assert set(foreign.json()["error"]) == {"code", "message"}


def _error_code(client: httpx.Client, url: str) -> tuple[int, str]:
    response = client.get(url, headers={"Range": "bytes=0-9"})
    if response.headers["content-type"] != "application/json":
        return response.status_code, ""
    assert set(response.json()["error"]) == {"code", "message"}
    return response.status_code, response.json()["error"]["code"]


def test_a_revoked_key_is_refused_and_a_key_issued_afterwards_streams(
    running: Running, swarm: Swarm, client: httpx.Client
) -> None:
    url = running.url("alice", "src-fast")
    assert client.get(url, headers={"Range": "bytes=0-9"}).status_code == 206
    db = AppDB(running.settings.app_db_path)
    try:
        db.revoke_streams(running.users["alice"], time.time())  # what logout etc. call
    finally:
        db.close()
    # the engine caches a user's row for about a second, then the same key is refused
    assert wait_until(lambda: _error_code(client, url) == (401, "stream_key_revoked"), 10)
    assert client.head(running.url("bob", "src-fast")).status_code == 200  # others unaffected
    # the client asks again: keys issued after the revoked second stream
    assert wait_until(
        lambda: client.get(running.url("alice", "src-fast"), headers={"Range": "bytes=0-9"})
        .status_code == 206, 10
    )  # fmt: skip
    response = client.get(running.url("alice", "src-fast"), headers={"Range": "bytes=0-9"})
    assert response.content == swarm.faststart.path.read_bytes()[:10]


def test_keys_of_disabled_deleted_and_unknown_users_are_refused(
    running: Running, client: httpx.Client
) -> None:
    disabled, deleted = running.url("bob", "src-fast"), running.url("u", "src-fast")
    db = AppDB(running.settings.app_db_path)
    try:
        db.set_disabled(running.users["bob"], True)
        db.delete_user(running.users["u"])
    finally:
        db.close()
    assert wait_until(lambda: _error_code(client, disabled) == (403, "user_disabled"), 10)
    assert wait_until(lambda: _error_code(client, deleted) == (403, "user_unknown"), 10)
    for raw in ("4242", "mallory", "1 OR 1=1", "-1"):  # not app user names
        assert _error_code(client, running.url(raw, "src-fast")) == (403, "user_unknown")


def test_without_the_api_database_every_stream_is_refused_with_503(
    running: Running, client: httpx.Client
) -> None:
    url = running.url("alice", "src-fast")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{running.settings.app_db_path}{suffix}").unlink(missing_ok=True)
    assert wait_until(lambda: _error_code(client, url) == (503, "revocation_check_unavailable"), 10)
    message = client.get(url).json()["error"]["message"]
    assert str(running.settings.app_db_path) in message and "does not exist" in message
    assert not running.settings.app_db_path.exists()


def test_key_for_a_source_missing_from_the_catalog_is_404(
    running: Running, client: httpx.Client
) -> None:
    response = client.get(running.url("alice", "no-such-source"))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "source_not_found"


def test_two_concurrent_readers_share_one_torrent(
    running: Running, swarm: Swarm, client: httpx.Client
) -> None:
    original = swarm.tail_index.path.read_bytes()
    url = running.url("alice", "src-tail")
    half = len(original) // 2
    results: dict[str, bytes] = {}

    def fetch(name: str, header: str) -> None:
        with httpx.Client(timeout=60) as own:
            results[name] = own.get(url, headers={"Range": header}).content

    threads = [
        threading.Thread(target=fetch, args=("head", f"bytes=0-{half}")),
        threading.Thread(target=fetch, args=("tail", f"bytes={half + 1}-")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)
    assert results["head"] + results["tail"] == original
    assert running.engine.status()["active_torrents"] == 1


def _abort_stream(url: str) -> None:
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=30)
    sock.sendall(f"GET {parts.path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    sock.recv(4096)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()  # RST mid-body


def test_aborted_streams_release_their_readers_and_leak_nothing(
    running: Running, client: httpx.Client
) -> None:
    url = running.url("alice", "src-tail")
    assert client.head(url).status_code == 200  # torrent in the session
    process = psutil.Process()
    _abort_stream(url)
    time.sleep(0.5)
    fds, threads = process.num_fds(), process.num_threads()
    for _ in range(100):
        _abort_stream(url)
    torrent = running.engine.torrent_for("src-tail")
    assert torrent is not None
    deadline = time.monotonic() + 30
    while torrent.reader_count() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert torrent.reader_count() == 0
    # handler threads and their sockets wind down once the RSTs are seen
    assert wait_until(lambda: process.num_fds() <= fds + 5, timeout=30)
    assert wait_until(lambda: process.num_threads() <= threads + 5, timeout=30)
    assert client.get(url, headers={"Range": "bytes=0-9"}).status_code == 206


def test_status_needs_a_status_key(running: Running, client: httpx.Client) -> None:
    url = f"{running.server.url}/api/engine/status"
    assert client.get(url).status_code == 401
    stream_key, _ = running.signer.issue("alice", "src-tail")
    denied = client.get(url, headers={"Authorization": f"Bearer {stream_key}"})
    assert denied.status_code == 403
    key, _ = running.signer.issue("admin", "*", purpose=PURPOSE_STATUS)
    status = client.get(url, headers={"Authorization": f"Bearer {key}"})
    assert status.status_code == 200
    assert status.json()["vpn"]["ok"] is True


def test_unknown_paths_are_json_404(running: Running, client: httpx.Client) -> None:
    response = client.get(f"{running.server.url}/nope")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_run_engine_serves_until_sigterm_and_exits_cleanly(tmp_path: Path) -> None:
    port = _port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIAUFLIX_")}
    env.update(MIAUFLIX_DATA_DIR=str(tmp_path), MIAUFLIX_SECRET_KEY="s" * 40,
               MIAUFLIX_ENGINE_BT_PORT=str(_port()))  # fmt: skip
    code = (
        "from engine.server import run_engine; from core.settings import load_settings; "
        f"run_engine(load_settings(), '127.0.0.1', {port})"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, cwd=Path(__file__).parents[2])
    try:
        assert wait_until(lambda: _healthy(port), timeout=60)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
        assert (tmp_path / "engine" / "engine.sqlite").exists()
    finally:
        if proc.poll() is None:
            proc.kill()


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def test_stream_status_tells_the_player_what_the_stream_waits_for(
    running: Running, swarm: Swarm, client: httpx.Client
) -> None:
    key = running.key("alice", "src-fast")
    before = client.get(f"{running.server.url}/status/{key}")
    assert before.status_code == 200
    assert before.headers["access-control-allow-origin"] == "*"  # the web client's origin
    assert before.json()["state"] == "idle"  # nobody asked for it yet
    assert client.get(running.url("alice", "src-fast")).status_code == 200
    after = client.get(f"{running.server.url}/status/{key}").json()
    assert after["state"] == "streaming"
    assert after["size_bytes"] == swarm.faststart.path.stat().st_size
    assert after["bytes_have"] == after["size_bytes"]
    assert after["peers"] >= 1
    assert set(after) >= {"source_id", "peers", "seeds", "download_rate"}
    assert "info_hash" not in after and swarm.faststart.info_hash not in str(after)


def test_stream_status_refuses_a_malformed_key(running: Running, client: httpx.Client) -> None:
    bad = client.get(f"{running.server.url}/status/not-a-key")
    assert bad.status_code == 401
    assert set(bad.json()["error"]) == {"code", "message"}
