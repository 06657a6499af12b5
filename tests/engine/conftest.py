"""Engine fixtures: real demo videos, a real tracker + seeder on loopback, a tiny catalog
with the published schema, the API's app.sqlite with a few users, and a running engine
with its HTTP server."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from core.catalog.contract import SCHEMA_PATH
from core.crypto import FieldCipher, load_or_create_master_key
from core.settings import Settings, load_settings
from core.stream_keys import StreamKeySigner
from engine.server import EngineServer, build_engine
from engine.service import StreamingEngine
from sandbox.demo_media import DemoVideo, render
from sandbox.swarm import SeededTorrent, Seeder, make_torrent
from sandbox.tracker import Tracker
from serve.appdb import AppDB

REPO = Path(__file__).resolve().parents[2]
SCHEMA = SCHEMA_PATH
PIECE = 64 * 1024
USERS = ("alice", "bob", "u")

TAIL_INDEX = DemoVideo("test-tail-index.mp4", 640, 360, 8, 3000, False, "Test tail index")
FASTSTART = DemoVideo("test-faststart.mp4", 640, 360, 6, 3000, True, "Test faststart")


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("media")
    render(TAIL_INDEX, path)
    render(FASTSTART, path)
    return path


@dataclass
class CatalogSource:
    source_id: str
    tmdb_id: int
    torrent: SeededTorrent | None
    info_hash: str
    torrent_url: str | None = None
    magnet: str | None = None
    quality: str = "720p"
    rank_web: int = 1
    rank_tv: int = 1


def write_catalog(path: Path, cipher: FieldCipher, sources: list[CatalogSource]) -> None:
    """A catalog.sqlite with the published schema and the given sources (secrets sealed)."""
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA.read_text())
    for s in sources:
        magnet = s.magnet or f"magnet:?xt=urn:btih:{s.info_hash}"
        conn.execute(
            "INSERT INTO sources (source_id, tmdb_id, quality, resolution, is_3d, size_bytes, "
            "seeds, peers, is_repack, components, score_web, score_tv, rank_web, rank_tv, "
            "info_hash_hmac, info_hash_enc, magnet_enc, torrent_url_enc) "
            "VALUES (?,?,?,?,0,?,1,0,0,'{}',?,?,?,?,?,?,?,?)",
            (
                s.source_id, s.tmdb_id, s.quality, int(s.quality.rstrip("p") or 0),
                s.torrent.size if s.torrent else 1, 10.0 - s.rank_web, 10.0 - s.rank_tv,
                s.rank_web, s.rank_tv, cipher.lookup_hash(s.info_hash),
                cipher.encrypt(s.info_hash, f"sources.info_hash:{s.source_id}"),
                cipher.encrypt(magnet, f"sources.magnet:{s.source_id}"),
                cipher.encrypt(s.torrent_url, f"sources.torrent_url:{s.source_id}")
                if s.torrent_url else None,
            ),
        )  # fmt: skip
    conn.commit()
    conn.close()


@pytest.fixture
def cipher(settings: Settings) -> FieldCipher:
    return FieldCipher(
        load_or_create_master_key(settings.key_path, settings.secret_key.get_secret_value())
    )


@pytest.fixture
def tracker() -> Iterator[Tracker]:
    """A tracker on loopback for a test's own torrents."""
    tracker = Tracker().start()
    yield tracker
    tracker.stop()


@dataclass
class Swarm:
    tracker: Tracker
    seeder: Seeder
    tail_index: SeededTorrent
    faststart: SeededTorrent


@pytest.fixture
def swarm(media_dir: Path) -> Iterator[Swarm]:
    tracker = Tracker().start()
    seeder = Seeder().start()
    tail = make_torrent(media_dir / TAIL_INDEX.name, trackers=[tracker.announce_url],
                        piece_size=PIECE)  # fmt: skip
    fast = make_torrent(media_dir / FASTSTART.name, trackers=[tracker.announce_url],
                        piece_size=PIECE)  # fmt: skip
    seeder.seed(tail)
    seeder.seed(fast)
    yield Swarm(tracker, seeder, tail, fast)
    seeder.stop()
    tracker.stop()


def app_users(settings: Settings, names: tuple[str, ...] = USERS) -> dict[str, int]:
    """The API's app.sqlite (real migrations) with one user per name; name -> user id."""
    db = AppDB(settings.app_db_path)
    db.migrate()
    try:
        ids = {}
        for name in names:
            user = db.user_by_email(f"{name}@example.test") or db.create_user(
                f"{name}@example.test", "not-a-real-hash"
            )
            ids[name] = user.id
        return ids
    finally:
        db.close()


@dataclass
class Running:
    engine: StreamingEngine
    server: EngineServer
    signer: StreamKeySigner
    settings: Settings
    users: dict[str, int]

    def key(self, user: str, source_id: str) -> str:
        """A key for the app user called ``user`` (or for the raw id ``user`` if none is)."""
        key, _ = self.signer.issue(str(self.users.get(user, user)), source_id)
        return key

    def url(self, user: str, source_id: str) -> str:
        return f"{self.server.url}/stream/{self.key(user, source_id)}"


def start_engine(settings: Settings, **engine_overrides: object) -> Running:
    cfg = settings.model_copy(update={
        "engine_utp": False, "engine_readahead_seconds": 2.0, "engine_stall_timeout": 30.0,
        **engine_overrides,
    })  # fmt: skip
    users = app_users(settings)
    engine, signer = build_engine(cfg, listen_host="127.0.0.1")
    engine.start()
    server = EngineServer(engine, signer, "127.0.0.1", 0).start()
    return Running(engine, server, signer, cfg, users)


def stop_engine(running: Running) -> None:
    running.server.stop()
    running.engine.close()


@pytest.fixture
def catalog_sources(swarm: Swarm) -> list[CatalogSource]:
    trackers = [swarm.tracker.announce_url]
    return [
        CatalogSource("src-tail", 101, swarm.tail_index, swarm.tail_index.info_hash,
                      magnet=swarm.tail_index.magnet(trackers)),
        CatalogSource("src-fast", 102, swarm.faststart, swarm.faststart.info_hash,
                      magnet=swarm.faststart.magnet(trackers)),
    ]  # fmt: skip


@pytest.fixture
def running(
    settings: Settings, cipher: FieldCipher, catalog_sources: list[CatalogSource], swarm: Swarm
) -> Iterator[Running]:
    write_catalog(settings.catalog_path, cipher, catalog_sources)
    run = start_engine(with_bt_port(settings))
    yield run
    stop_engine(run)


def with_bt_port(settings: Settings, **extra: object) -> Settings:
    values = settings.model_dump()
    values.update(
        secret_key=settings.secret_key.get_secret_value(),
        admin_password=settings.admin_password.get_secret_value(),
        engine_bt_port=_free_port(),
    )
    values.update(extra)
    return load_settings(**values)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=60) as http:
        yield http


class FileServer:
    """Serves fixed bytes by path on loopback (a stand-in for the YTS torrent download URL)."""

    def __init__(self, files: dict[str, bytes]) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                return

            def do_GET(self) -> None:
                body = files.get(self.path)
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def wait_until(predicate: object, timeout: float = 30.0, interval: float = 0.05) -> bool:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(interval)
    return bool(predicate())  # type: ignore[operator]
