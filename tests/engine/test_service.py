"""Engine lifecycle against a real swarm: source resolution, limits, quota eviction, idle
pause/removal, restart from resume data, a seeder that disappears and comes back, a key
rotation while running."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import httpx
import pytest

from core.crypto import FieldCipher, Keyring, load_or_create_master_key
from core.settings import Settings
from core.stream_keys import StreamKeySigner
from core.vpn import Interface
from engine.errors import MetadataTimeout, StreamLimitReached, VpnRequired
from miauflix.key_rotation import rotate_keys
from tests.engine.conftest import (
    CatalogSource,
    FileServer,
    Running,
    Swarm,
    app_users,
    start_engine,
    stop_engine,
    wait_until,
    with_bt_port,
    write_catalog,
)


@pytest.fixture
def catalog(
    settings: Settings, cipher: FieldCipher, catalog_sources: list[CatalogSource]
) -> Settings:
    write_catalog(settings.catalog_path, cipher, catalog_sources)
    return with_bt_port(settings)


def _stream_all(run: Running, user: str, source_id: str) -> bytes:
    with httpx.Client(timeout=60) as client:
        return client.get(run.url(user, source_id)).content


def test_torrent_file_url_is_fetched_and_checked_against_the_catalog_hash(
    settings: Settings, cipher: FieldCipher, swarm: Swarm
) -> None:
    files = FileServer(
        {"/good.torrent": swarm.faststart.torrent, "/wrong.torrent": swarm.tail_index.torrent}
    )
    try:
        write_catalog(settings.catalog_path, cipher, [
            CatalogSource("good", 1, swarm.faststart, swarm.faststart.info_hash,
                          torrent_url=f"{files.url}/good.torrent", magnet="magnet:?xt=urn:btih:"
                          + swarm.faststart.info_hash),
            CatalogSource("wrong", 2, swarm.faststart, swarm.faststart.info_hash,
                          torrent_url=f"{files.url}/wrong.torrent",
                          magnet=swarm.faststart.magnet([swarm.tracker.announce_url])),
        ])  # fmt: skip
        run = start_engine(with_bt_port(settings))
        try:
            # the good file has the tracker inside; its magnet has none: the file was used
            assert _stream_all(run, "u", "good") == swarm.faststart.path.read_bytes()
        finally:
            stop_engine(run)
        run = start_engine(with_bt_port(settings, engine_trackers=swarm.tracker.announce_url))
        try:
            # the wrong file is discarded; the magnet (by hash) still gives the right film
            assert _stream_all(run, "u", "wrong") == swarm.faststart.path.read_bytes()
        finally:
            stop_engine(run)
    finally:
        files.stop()


def test_magnet_without_reachable_peers_times_out(settings: Settings, cipher: FieldCipher) -> None:
    lonely = "ab" * 20
    write_catalog(settings.catalog_path, cipher, [CatalogSource("lonely", 1, None, lonely)])
    run = start_engine(with_bt_port(settings), engine_metadata_timeout=1.0)
    try:
        with pytest.raises(MetadataTimeout):
            run.engine.open("lonely")
        with httpx.Client(timeout=30) as client:
            response = client.get(run.url("u", "lonely"))
        assert response.status_code == 504
        assert response.json()["error"]["code"] == "metadata_timeout"
    finally:
        stop_engine(run)


def test_a_user_over_the_stream_limit_is_refused_others_are_not(
    catalog: Settings, swarm: Swarm
) -> None:
    swarm.seeder.set_upload_rate_limit(100_000)
    run = start_engine(catalog, engine_max_streams_per_user=1)
    try:
        alice, bob = str(run.users["alice"]), str(run.users["bob"])  # keys carry user ids
        torrent = run.engine.open("src-tail")
        reader = torrent.add_reader(alice, 0)
        with pytest.raises(StreamLimitReached):
            run.engine.open("src-fast", user=alice)
        run.engine.open("src-tail", user=alice)  # the same source is not a new stream
        run.engine.open("src-fast", user=bob)
        with httpx.Client(timeout=30) as client:
            response = client.get(run.url("alice", "src-fast"))
        assert response.status_code == 429
        assert response.json()["error"]["code"] == "stream_limit_reached"
        torrent.remove_reader(reader)
        run.engine.open("src-fast", user=alice)
    finally:
        stop_engine(run)


def test_quota_evicts_the_least_recently_used_idle_torrent(catalog: Settings, swarm: Swarm) -> None:
    run = start_engine(catalog, engine_disk_quota_mb=4)
    try:
        assert _stream_all(run, "u", "src-tail") == swarm.tail_index.path.read_bytes()
        tail_dir = run.engine.data_path(swarm.tail_index.info_hash)
        assert tail_dir.exists()
        assert _stream_all(run, "u", "src-fast") == swarm.faststart.path.read_bytes()

        def evicted() -> bool:
            names = {s["source_id"] for s in run.engine.status()["sources"]}
            return names == {"src-fast"}

        assert wait_until(evicted, timeout=30)
        assert wait_until(lambda: not tail_dir.exists(), timeout=10)
        assert run.engine.status()["disk"]["used_bytes"] <= 4 * 1024 * 1024
        # evicted data comes back on demand
        assert _stream_all(run, "u", "src-tail") == swarm.tail_index.path.read_bytes()
    finally:
        stop_engine(run)


def test_idle_torrent_is_paused_then_removed_and_reopens(catalog: Settings, swarm: Swarm) -> None:
    run = start_engine(catalog, engine_idle_pause_seconds=1, engine_idle_remove_seconds=3)
    try:
        with httpx.Client(timeout=60) as client:
            assert (
                client.get(run.url("u", "src-fast"), headers={"Range": "bytes=0-99"}).status_code
                == 206
            )

        def state() -> tuple[str, bool]:
            entry = next(s for s in run.engine.status()["sources"] if s["source_id"] == "src-fast")
            return entry["state"], entry["in_session"]

        assert wait_until(lambda: state() == ("paused", True), timeout=20)
        assert wait_until(lambda: state() == ("stored", False), timeout=20)
        assert _stream_all(run, "u", "src-fast") == swarm.faststart.path.read_bytes()
    finally:
        stop_engine(run)


def test_restart_uses_resume_data_instead_of_rechecking(catalog: Settings, swarm: Swarm) -> None:
    run = start_engine(catalog)
    original = swarm.tail_index.path.read_bytes()
    try:
        assert _stream_all(run, "u", "src-tail") == original
        torrent = run.engine.torrent_for("src-tail")
        assert torrent is not None
        data_file = torrent.file_path
        num_pieces = torrent.meta.num_pieces
    finally:
        stop_engine(run)
    swarm.seeder.stop()  # nobody to download from: what the engine has, it has from disk
    # a recheck would find this piece corrupt; resume data is trusted instead
    with Path(data_file).open("r+b") as handle:
        handle.seek(len(original) // 2)
        handle.write(b"\xff" if original[len(original) // 2] != 0xFF else b"\x00")
    run = start_engine(catalog)
    try:
        torrent = run.engine.open("src-tail")
        assert torrent.pieces_have() == num_pieces
        entry = next(s for s in run.engine.status()["sources"] if s["source_id"] == "src-tail")
        assert entry["progress"] == 1.0
    finally:
        stop_engine(run)


def test_stream_resumes_when_the_seeder_disappears_and_returns(
    catalog: Settings, swarm: Swarm
) -> None:
    original = swarm.tail_index.path.read_bytes()
    swarm.seeder.set_upload_rate_limit(300_000)
    run = start_engine(catalog)
    result: dict[str, bytes] = {}

    def watch() -> None:
        result["body"] = _stream_all(run, "u", "src-tail")

    try:
        thread = threading.Thread(target=watch)
        thread.start()
        assert wait_until(lambda: (t := run.engine.torrent_for("src-tail")) is not None
                          and t.pieces_have() >= 8, timeout=30)  # fmt: skip
        swarm.seeder.stop()
        torrent = run.engine.torrent_for("src-tail")
        assert torrent is not None
        before = torrent.pieces_have()
        assert before < torrent.meta.num_pieces
        threading.Event().wait(2.0)
        swarm.seeder.start()
        swarm.seeder.set_upload_rate_limit(0)
        thread.join(90)
        assert result["body"] == original
    finally:
        stop_engine(run)


class NoVpn:
    def interfaces(self) -> list[Interface]:
        return [Interface("lo", True, ("127.0.0.1",)), Interface("eth0", True, ("10.0.0.2",))]

    def default_route_interfaces(self) -> list[str]:
        return ["eth0"]


def test_vpn_guard_refuses_torrents_and_reports_the_state(catalog: Settings) -> None:
    from engine.server import EngineServer, build_engine

    settings = catalog.model_copy(update={"require_vpn": True})
    user = app_users(catalog)["u"]
    engine, signer = build_engine(settings, listen_host="127.0.0.1", interfaces=NoVpn())
    engine.start()
    server = EngineServer(engine, signer, "127.0.0.1", 0).start()
    try:
        with pytest.raises(VpnRequired):
            engine.open("src-tail")
        key, _ = signer.issue(str(user), "src-tail")
        with httpx.Client(timeout=30) as client:
            response = client.get(f"{server.url}/stream/{key}")
            health = client.get(f"{server.url}/health").json()
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "vpn_required"
        assert health["vpn"]["required"] is True and health["vpn"]["ok"] is False
        assert "eth0" in health["vpn"]["reason"] or "not up" in health["vpn"]["reason"]
    finally:
        server.stop()
        engine.close()


def test_a_running_engine_streams_from_the_catalog_after_a_key_rotation(
    settings: Settings, catalog_sources: list[CatalogSource], swarm: Swarm
) -> None:
    file_settings = with_bt_port(settings, secret_key="")  # rotation needs the key file
    old_master = load_or_create_master_key(file_settings.key_path)
    write_catalog(file_settings.catalog_path, FieldCipher(old_master), catalog_sources)
    run = start_engine(file_settings)
    alice = str(run.users["alice"])
    try:
        api = StreamKeySigner(Keyring.load(file_settings.key_path), 600)  # the API's signer
        old_key, _ = api.issue(alice, "src-fast")
        with httpx.Client(timeout=60) as client:
            url = f"{run.server.url}/stream/{old_key}"
            assert client.get(url, headers={"Range": "bytes=0-99"}).status_code == 206
            rotate_keys(file_settings)
            ids = _source_ids(file_settings)
            assert not {"src-fast", "src-tail"} & set(ids.values())  # re-sealed, new ids
            # an API restarted (or refreshed) after the rotation signs under the new master
            fresh = StreamKeySigner(Keyring.load(file_settings.key_path), 600)
            assert fresh.kid != api.kid

            def stream(source_id: str) -> httpx.Response:
                key, _ = fresh.issue(alice, source_id)
                return client.get(f"{run.server.url}/stream/{key}")

            # within a second the engine re-reads the key files
            assert wait_until(lambda: stream(ids[102]).status_code == 200, timeout=10)
            assert stream(ids[102]).content == swarm.faststart.path.read_bytes()
            # a source never opened before is resolved from the rotated catalog
            assert stream(ids[101]).content == swarm.tail_index.path.read_bytes()
            # the torrent already in the session now answers to its new id (no duplicate)
            assert run.engine.status()["active_torrents"] == 2
            assert run.engine.torrent_for(ids[102]) is run.engine.torrent_for("src-fast")
            stale = client.get(url, headers={"Range": "bytes=0-99"})
            assert stale.status_code == 403
            assert stale.json()["error"]["code"] == "foreign_stream_key"
    finally:
        stop_engine(run)


def _source_ids(settings: Settings) -> dict[int, str]:
    conn = sqlite3.connect(settings.catalog_path)
    try:
        return dict(conn.execute("SELECT tmdb_id, source_id FROM sources").fetchall())
    finally:
        conn.close()
