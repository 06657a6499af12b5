"""Limits that protect the machine, on a real engine and a real swarm on loopback: total and
per-user concurrent streams, busy torrent slots, the disk quota, the connection settings.
Each refusal in the error shape with ``Retry-After``; each released when its stream ends;
a seek's reconnect never refused and its torrent never retired or evicted meanwhile."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from core.crypto import FieldCipher
from core.settings import Settings, load_settings
from core.stream_keys import PURPOSE_STATUS
from engine import service
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

PROMPT = 10.0
MIB = 1024 * 1024


@pytest.fixture
def catalog(
    settings: Settings, cipher: FieldCipher, catalog_sources: list[CatalogSource]
) -> Settings:
    write_catalog(settings.catalog_path, cipher, catalog_sources)
    return with_bt_port(settings)


@pytest.fixture
def socks() -> Iterator[list[socket.socket]]:
    opened: list[socket.socket] = []
    yield opened
    for sock in opened:
        sock.close()


def _hold(run: Running, socks: list[socket.socket], user: str, source_id: str,
          first_byte: int = 0) -> socket.socket:  # fmt: skip
    """A raw GET of ``source_id`` from ``first_byte`` on whose body is not read (a tiny
    receive buffer: the engine's flow control keeps the stream, and its reader, open)."""
    url = run.url(user, source_id)
    parts = urlsplit(url)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(PROMPT)
    sock.connect((parts.hostname, parts.port))
    socks.append(sock)
    sock.sendall(
        f"GET {parts.path} HTTP/1.1\r\nHost: x\r\nRange: bytes={first_byte}-\r\n\r\n".encode()
    )
    assert sock.recv(64).startswith(b"HTTP/1.1 206 ")
    return sock


def _readers(run: Running, source_id: str) -> int:
    torrent = run.engine.torrent_for(source_id)
    return torrent.reader_count() if torrent is not None else 0


def _head(run: Running, user: str, source_id: str) -> httpx.Response:
    with httpx.Client(timeout=PROMPT) as client:
        return client.head(run.url(user, source_id))


def _refused(response: httpx.Response, status: int, code: str, setting: str) -> None:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert setting in error["message"]
    assert int(response.headers["retry-after"]) > 0
    assert response.headers["x-content-type-options"] == "nosniff"


def _get_refused(run: Running, user: str, source_id: str, status: int, code: str,
                 setting: str) -> None:  # fmt: skip
    with httpx.Client(timeout=PROMPT) as client:
        _refused(client.get(run.url(user, source_id)), status, code, setting)


def test_total_streams_limit_refuses_a_new_stream_and_releases_when_one_ends(
    catalog: Settings, swarm: Swarm, socks: list[socket.socket], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "STREAM_GRACE_S", 0.5)
    swarm.seeder.set_upload_rate_limit(20_000)
    run = start_engine(catalog, engine_max_streams=1)
    try:
        _hold(run, socks, "alice", "src-tail")
        assert wait_until(lambda: _readers(run, "src-tail") == 1, timeout=PROMPT)
        _get_refused(run, "bob", "src-fast", 503, "engine_busy", "MIAUFLIX_ENGINE_MAX_STREAMS")
        _get_refused(run, "bob", "src-tail", 503, "engine_busy", "MIAUFLIX_ENGINE_MAX_STREAMS")
        # a second player of the same user on the same source is the same stream
        _hold(run, socks, "alice", "src-tail", first_byte=100_000)
        assert wait_until(lambda: _readers(run, "src-tail") == 2, timeout=PROMPT)
        status = run.engine.status()
        assert status["limits"]["max_streams"] == 1 and status["limits"]["streams"] == 1
        for sock in socks:
            sock.close()
        assert wait_until(lambda: _readers(run, "src-tail") == 0, timeout=PROMPT)
        swarm.seeder.set_upload_rate_limit(0)
        assert wait_until(lambda: _head(run, "bob", "src-fast").status_code == 200, PROMPT)
    finally:
        stop_engine(run)


def test_a_seek_reconnect_keeps_its_slot_and_its_torrent(
    catalog: Settings, swarm: Swarm, socks: list[socket.socket], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "STREAM_GRACE_S", 60.0)  # the reconnect is "soon" whatever
    swarm.seeder.set_upload_rate_limit(20_000)
    run = start_engine(catalog, engine_max_streams=1, engine_max_active_torrents=1)
    try:
        first = _hold(run, socks, "alice", "src-tail")
        assert wait_until(lambda: _readers(run, "src-tail") == 1, timeout=PROMPT)
        torrent = run.engine.torrent_for("src-tail")
        first.close()  # the player seeks: its old connection goes away first
        assert wait_until(lambda: _readers(run, "src-tail") == 0, timeout=PROMPT)
        # in between, nobody else takes the slot and the torrent is not retired
        _get_refused(run, "bob", "src-fast", 503, "engine_busy", "MIAUFLIX_ENGINE_MAX_STREAMS")
        assert run.engine.torrent_for("src-tail") is torrent
        _hold(run, socks, "alice", "src-tail", first_byte=1_000_000)  # the seek: admitted
        assert wait_until(lambda: _readers(run, "src-tail") == 1, timeout=PROMPT)
        assert run.engine.torrent_for("src-tail") is torrent
    finally:
        stop_engine(run)


def test_per_user_limit_names_itself_and_allows_two_players_on_one_source(
    catalog: Settings, swarm: Swarm, socks: list[socket.socket]
) -> None:
    swarm.seeder.set_upload_rate_limit(20_000)
    run = start_engine(catalog, engine_max_streams_per_user=1)
    try:
        _hold(run, socks, "alice", "src-tail")
        _hold(run, socks, "alice", "src-tail", first_byte=100_000)  # a second player
        assert wait_until(lambda: _readers(run, "src-tail") == 2, timeout=PROMPT)
        _get_refused(run, "alice", "src-fast", 429, "stream_limit_reached",
                     "MIAUFLIX_ENGINE_MAX_STREAMS_PER_USER")  # fmt: skip
        swarm.seeder.set_upload_rate_limit(0)
        assert _head(run, "bob", "src-fast").status_code == 200  # others are not limited
        for sock in socks:
            sock.close()
        assert wait_until(lambda: _readers(run, "src-tail") == 0, timeout=PROMPT)
        # no grace for one's own limit: a user switches films at once
        assert _head(run, "alice", "src-fast").status_code == 200
    finally:
        stop_engine(run)


def test_when_every_torrent_is_watched_a_new_source_gets_engine_full_not_an_eviction(
    catalog: Settings, swarm: Swarm, socks: list[socket.socket], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "STREAM_GRACE_S", 0.5)
    swarm.seeder.set_upload_rate_limit(20_000)
    run = start_engine(catalog, engine_max_active_torrents=1)
    try:
        _hold(run, socks, "alice", "src-tail")
        assert wait_until(lambda: _readers(run, "src-tail") == 1, timeout=PROMPT)
        torrent = run.engine.torrent_for("src-tail")
        _get_refused(run, "bob", "src-fast", 503, "engine_full",
                     "MIAUFLIX_ENGINE_MAX_ACTIVE_TORRENTS")  # fmt: skip
        assert run.engine.torrent_for("src-tail") is torrent and _readers(run, "src-tail") == 1
        assert run.engine.torrent_for("src-fast") is None
        for sock in socks:
            sock.close()
        swarm.seeder.set_upload_rate_limit(0)
        # the stream ended: the idle torrent is retired for the new source
        assert wait_until(lambda: _head(run, "bob", "src-fast").status_code == 200, PROMPT)
        assert run.engine.torrent_for("src-tail") is None
    finally:
        stop_engine(run)


def test_over_the_disk_quota_with_everything_watched_a_new_source_is_refused(
    catalog: Settings, swarm: Swarm, socks: list[socket.socket], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "STREAM_GRACE_S", 60.0)
    run = start_engine(catalog, engine_disk_quota_mb=1)
    try:
        with httpx.Client(timeout=60) as client:  # the whole film on disk: over 1 MiB
            assert client.get(run.url("alice", "src-tail")).content == (
                swarm.tail_index.path.read_bytes()
            )
        assert wait_until(lambda: run.engine.status()["disk"]["used_bytes"] > MIB, PROMPT)
        _hold(run, socks, "alice", "src-tail")  # and somebody watches it
        assert wait_until(lambda: _readers(run, "src-tail") == 1, timeout=PROMPT)
        tail_dir = run.engine.data_path(swarm.tail_index.info_hash)
        _get_refused(run, "bob", "src-fast", 503, "disk_quota_exceeded",
                     "MIAUFLIX_ENGINE_DISK_QUOTA_MB")  # fmt: skip
        assert tail_dir.exists() and _readers(run, "src-tail") == 1  # not evicted
        # the viewer leaves (its slot lingers briefly): the data is evicted for the new one
        monkeypatch.setattr(service, "STREAM_GRACE_S", 0.5)
        for sock in socks:
            sock.close()
        assert wait_until(lambda: _readers(run, "src-tail") == 0, timeout=PROMPT)
        assert wait_until(lambda: _head(run, "bob", "src-fast").status_code == 200, 30)
        assert wait_until(lambda: not tail_dir.exists(), timeout=PROMPT)
    finally:
        stop_engine(run)


def test_status_shows_the_limits_and_the_transfer_caps(catalog: Settings) -> None:
    run = start_engine(catalog, engine_download_rate_limit=5_000_000,
                       engine_upload_rate_limit=1_000_000, engine_upload_rate_per_torrent=200_000,
                       engine_max_streams=7)  # fmt: skip
    try:
        status = run.engine.status()
        assert status["transfer"] == {
            "download_rate": 0,
            "upload_rate": 0,
            "download_rate_limit": 5_000_000,
            "upload_rate_limit": 1_000_000,
            "upload_rate_per_torrent": 200_000,
            "parked_peers": 0,
        }
        assert status["limits"]["max_streams"] == 7 and status["limits"]["streams"] == 0
        key, _ = run.signer.issue("admin", "*", purpose=PURPOSE_STATUS)
        with httpx.Client(timeout=PROMPT) as client:
            answer = client.get(f"{run.server.url}/api/engine/status",
                                headers={"Authorization": f"Bearer {key}"})  # fmt: skip
        assert answer.json()["transfer"]["upload_rate_limit"] == 1_000_000
        assert answer.json()["limits"]["max_streams_per_user"] == 3
    finally:
        stop_engine(run)


def test_connection_cap_and_header_deadline_come_from_the_settings(catalog: Settings) -> None:
    values = catalog.model_dump()
    values.update(
        secret_key=catalog.secret_key.get_secret_value(),
        admin_password=catalog.admin_password.get_secret_value(),
        engine_max_connections=2,
        engine_header_timeout=1.0,
    )
    cfg = load_settings(**values)
    assert cfg.engine_max_connections == 2 and cfg.engine_header_timeout == 1.0
    run = start_engine(cfg)
    server = EngineServer(run.engine, run.signer, "127.0.0.1", 0).start()
    socks: list[socket.socket] = []
    try:
        socks = [socket.create_connection(("127.0.0.1", server.port), timeout=PROMPT)
                 for _ in range(2)]  # fmt: skip
        extra = socket.create_connection(("127.0.0.1", server.port), timeout=PROMPT)
        socks.append(extra)
        extra.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        answer = b""
        while chunk := extra.recv(4096):
            answer += chunk
        assert answer.startswith(b"HTTP/1.1 503 ")
        assert b"too_many_connections" in answer and b"retry-after" in answer.lower()
        # a connection that never completes its headers is closed by the deadline
        socks[0].sendall(b"GET /health HTTP/1.1\r\n")
        assert socks[0].recv(4096) == b""
    finally:
        for sock in socks:
            sock.close()
        server.stop()
        stop_engine(run)
