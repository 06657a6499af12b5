"""The engine's HTTP stack under hostile load (loopback): slow and idle connections, a
burst of connections, the connection cap, clients that go away mid-stream or while a
source's metadata is awaited, limits applied before that wait, nosniff, and shutdown."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import psutil
import pytest

from core.crypto import FieldCipher
from core.settings import Settings
from engine.http_app import DISK_THREADS, WORK_THREADS
from engine.server import EngineServer
from tests.engine.conftest import (
    CatalogSource,
    Running,
    Swarm,
    start_engine,
    stop_engine,
    wait_until,
    with_bt_port,
    write_catalog,
)

PROMPT = 5.0  # the client's timeout for "still answers promptly"
POOL_THREADS = WORK_THREADS + DISK_THREADS


@pytest.fixture
def guarded(running: Running) -> Iterator[EngineServer]:
    """A second HTTP front on the running engine with a 2 s header deadline."""
    server = EngineServer(running.engine, running.signer, "127.0.0.1", 0, header_timeout=2.0)
    server.start()
    yield server
    server.stop()


def _connect(url: str) -> socket.socket:
    parts = urlsplit(url)
    return socket.create_connection((parts.hostname, parts.port), timeout=PROMPT)


def _closed_by_server(sock: socket.socket) -> bool:
    sock.settimeout(0.05)
    try:
        return sock.recv(4096) == b""
    except TimeoutError:
        return False
    except OSError:
        return True


def _check_answers(server_url: str, stream_url: str, original: bytes) -> None:
    with httpx.Client(timeout=PROMPT) as client:
        health = client.get(f"{server_url}/health")
        assert health.status_code == 200
        ranged = client.get(stream_url, headers={"Range": "bytes=1000-70999"})
        assert ranged.status_code == 206
        assert ranged.content == original[1000:71000]


def test_health_and_a_real_range_answer_while_300_slowloris_clients_trickle_headers(
    running: Running, swarm: Swarm, guarded: EngineServer
) -> None:
    original = swarm.faststart.path.read_bytes()
    stream_url = f"{guarded.url}/stream/{running.key('alice', 'src-fast')}"
    process = psutil.Process()
    threads_before = process.num_threads()
    request = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 200
    socks = [_connect(guarded.url) for _ in range(300)]
    stop = threading.Event()

    def trickle() -> None:  # one byte per connection per round, forever
        for i in range(len(request)):
            for sock in socks:
                with contextlib.suppress(OSError):
                    sock.send(request[i : i + 1])
            if stop.wait(0.2):
                return

    sender = threading.Thread(target=trickle, daemon=True)
    sender.start()
    try:
        time.sleep(0.5)
        _check_answers(guarded.url, stream_url, original)
        assert process.num_threads() <= threads_before + POOL_THREADS + 5
        # the header deadline (2 s here) closes every one of them although bytes keep coming
        assert wait_until(lambda: all(_closed_by_server(s) for s in socks), timeout=10)
        _check_answers(guarded.url, stream_url, original)
    finally:
        stop.set()
        sender.join(5)
        for sock in socks:
            sock.close()


def test_300_idle_connections_neither_starve_requests_nor_stay_open(
    running: Running, swarm: Swarm, guarded: EngineServer
) -> None:
    original = swarm.faststart.path.read_bytes()
    stream_url = f"{guarded.url}/stream/{running.key('alice', 'src-fast')}"
    process = psutil.Process()
    threads_before = process.num_threads()
    socks = [_connect(guarded.url) for _ in range(300)]
    try:
        _check_answers(guarded.url, stream_url, original)
        assert process.num_threads() <= threads_before + POOL_THREADS + 5
        assert wait_until(lambda: all(_closed_by_server(s) for s in socks), timeout=10)
    finally:
        for sock in socks:
            sock.close()


def test_a_burst_of_200_connections_is_accepted_at_once(running: Running) -> None:
    socks: list[socket.socket] = []
    try:
        for _ in range(200):  # each connect must finish within the client's timeout
            socks.append(_connect(running.server.url))
        for sock in socks:
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        for sock in socks:
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
            assert answer.startswith(b"HTTP/1.1 200 ")
    finally:
        for sock in socks:
            sock.close()


def test_connections_beyond_the_cap_get_503_in_the_error_shape(running: Running) -> None:
    server = EngineServer(running.engine, running.signer, "127.0.0.1", 0, max_connections=20)
    server.start()
    socks = [_connect(server.url) for _ in range(20)]
    try:
        time.sleep(0.2)
        with httpx.Client(timeout=PROMPT) as client:
            busy = client.get(f"{server.url}/health")
            assert busy.status_code == 503
            assert set(busy.json()["error"]) == {"code", "message"}
            assert busy.json()["error"]["code"] == "too_many_connections"
            assert busy.headers["retry-after"] == "1"
            assert busy.headers["x-content-type-options"] == "nosniff"
            for sock in socks:
                sock.close()
            assert wait_until(
                lambda: client.get(f"{server.url}/health").status_code == 200, timeout=PROMPT
            )
    finally:
        for sock in socks:
            sock.close()
        server.stop()


def _throttled_stream(running: Running, swarm: Swarm) -> tuple[socket.socket, str]:
    """A raw GET of the whole tail-index film from a seeder limited to 20 kB/s."""
    swarm.seeder.set_upload_rate_limit(20_000)
    url = running.url("alice", "src-tail")
    sock = _connect(url)
    sock.sendall(f"GET {urlsplit(url).path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    assert sock.recv(4096).startswith(b"HTTP/1.1 200 ")
    return sock, url


def test_a_client_that_hangs_up_mid_stream_frees_its_reader_at_once(
    running: Running, swarm: Swarm
) -> None:
    sock, _ = _throttled_stream(running, swarm)
    torrent = running.engine.torrent_for("src-tail")
    assert torrent is not None and wait_until(lambda: torrent.reader_count() == 1, timeout=5)
    sock.close()  # while the stream waits for pieces
    assert wait_until(lambda: torrent.reader_count() == 0, timeout=2)
    assert wait_until(lambda: running.server.app.in_flight == 0, timeout=2)
    assert running.server.app.pieces.pending() == 0


def test_stop_ends_streams_in_flight_and_releases_their_readers(
    running: Running, swarm: Swarm
) -> None:
    sock, _ = _throttled_stream(running, swarm)
    torrent = running.engine.torrent_for("src-tail")
    assert torrent is not None and wait_until(lambda: torrent.reader_count() == 1, timeout=5)
    started = time.monotonic()
    running.server.stop()
    assert time.monotonic() - started < 4  # not the 5 s grace: the stream was cancelled
    assert torrent.reader_count() == 0
    sock.settimeout(PROMPT)
    while sock.recv(65536):  # the server closed the connection
        pass
    sock.close()


# --- sources nobody seeds ------------------------------------------------------------------


def _lonely(count: int) -> list[CatalogSource]:
    return [CatalogSource(f"lonely-{i}", 500 + i, None, f"{i + 1:040x}") for i in range(count)]


@pytest.fixture
def unseeded(settings: Settings, cipher: FieldCipher) -> Settings:
    write_catalog(settings.catalog_path, cipher, _lonely(20))
    return with_bt_port(settings)


def _pending(run: Running, user: str, source_id: str) -> socket.socket:
    """A request for an unseeded source left waiting for metadata (nothing read)."""
    url = run.url(user, source_id)
    sock = _connect(url)
    sock.sendall(f"GET {urlsplit(url).path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    return sock


def _starting(run: Running, source_id: str) -> bool:
    return run.engine.stream_status(source_id)["state"] == "starting"


def test_the_17th_unseeded_source_for_one_user_is_refused_at_once_and_slots_come_back(
    unseeded: Settings,
) -> None:
    run = start_engine(unseeded, engine_metadata_timeout=120.0,
                       engine_max_streams_per_user=16, engine_max_active_torrents=20)  # fmt: skip
    socks: list[socket.socket] = []
    try:
        socks = [_pending(run, "alice", f"lonely-{i}") for i in range(16)]
        assert wait_until(lambda: all(_starting(run, f"lonely-{i}") for i in range(16)), 10)
        with httpx.Client(timeout=PROMPT) as client:
            refused = client.get(run.url("alice", "lonely-16"))
            assert refused.status_code == 429
            assert refused.json()["error"]["code"] == "stream_limit_reached"
            assert refused.headers["retry-after"]
            # the same source again is not a new stream: it joins the wait
            again = _pending(run, "alice", "lonely-0")
            socks.append(again)
            # the clients go away: their openings are dropped, the slots are free again
            for sock in socks:
                sock.close()
            assert wait_until(lambda: not any(_starting(run, f"lonely-{i}") for i in range(16)),
                              timeout=5)  # fmt: skip
            assert not [t for t in threading.enumerate() if t.name.startswith("miauflix-open")]
            socks = [_pending(run, "alice", "lonely-16")]
            assert wait_until(lambda: _starting(run, "lonely-16"), timeout=5)
    finally:
        for sock in socks:
            sock.close()
        stop_engine(run)


def test_the_active_torrent_limit_counts_sources_waiting_for_metadata(
    unseeded: Settings,
) -> None:
    run = start_engine(unseeded, engine_metadata_timeout=120.0, engine_max_active_torrents=3)
    socks: list[socket.socket] = []
    try:
        socks = [_pending(run, user, f"lonely-{i}") for i, user in
                 enumerate(["alice", "bob", "u"])]  # fmt: skip
        assert wait_until(lambda: all(_starting(run, f"lonely-{i}") for i in range(3)), 10)
        with httpx.Client(timeout=PROMPT) as client:
            refused = client.get(run.url("bob", "lonely-3"))
        assert refused.status_code == 503
        assert refused.json()["error"]["code"] == "engine_full"
        assert refused.headers["retry-after"]
        assert "being opened" in refused.json()["error"]["message"]
    finally:
        for sock in socks:
            sock.close()
        stop_engine(run)


def test_concurrent_requests_for_one_unseeded_source_share_one_metadata_wait(
    unseeded: Settings,
) -> None:
    timeout = 2.0
    run = start_engine(unseeded, engine_metadata_timeout=timeout)
    results: list[tuple[int, float]] = []

    def fetch(user: str) -> None:
        started = time.monotonic()
        with httpx.Client(timeout=30) as client:
            response = client.get(run.url(user, "lonely-5"))
        results.append((response.status_code, time.monotonic() - started))

    try:
        threads = [threading.Thread(target=fetch, args=(u,)) for u in ["alice", "bob", "u"] * 2]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert [status for status, _ in results] == [504] * 6
        # one shared wait: nobody queued behind another request's timeout
        assert max(elapsed for _, elapsed in results) < 2 * timeout
    finally:
        stop_engine(run)


# --- response headers and bodies -----------------------------------------------------------


def test_every_response_is_nosniff_and_errors_do_not_echo_the_request(
    running: Running, swarm: Swarm, client: httpx.Client
) -> None:
    base = running.server.url
    probe = "<script>alert(1)</script>"
    size = swarm.tail_index.size
    responses = {
        "health": client.get(f"{base}/health"),
        "stream": client.get(running.url("alice", "src-tail"), headers={"Range": "bytes=0-9"}),
        "head": client.head(running.url("alice", "src-tail")),
        "missing": client.get(f"{base}/{probe}"),
        "unsatisfiable": client.get(
            running.url("alice", "src-tail"), headers={"Range": f"bytes={size + 4242}-"}
        ),
        "bad key": client.get(f"{base}/stream/{probe}"),
        "status": client.get(f"{base}/api/engine/status"),
        "method": client.post(f"{base}/health"),
    }
    for name, response in responses.items():
        assert response.headers.get("x-content-type-options") == "nosniff", name
        assert "script" not in response.text, name
    assert responses["missing"].status_code == 404
    assert responses["unsatisfiable"].status_code == 416
    assert str(size + 4242) not in responses["unsatisfiable"].text  # the header is not echoed
    assert responses["method"].status_code == 405
    assert set(responses["method"].json()["error"]) == {"code", "message"}
