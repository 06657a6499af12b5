"""Episodes streamed out of a real multi-file season pack seeded on loopback: the stream key
names the episode, the engine serves that file byte for byte, and refuses clearly when the
pack has no such episode."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from core.crypto import FieldCipher
from core.settings import Settings
from sandbox.swarm import SeededTorrent, Seeder, make_directory_torrent
from sandbox.tracker import Tracker
from tests.engine.conftest import (
    FASTSTART,
    PIECE,
    TAIL_INDEX,
    Running,
    start_engine,
    stop_engine,
    with_bt_port,
    write_catalog,
)
from tests.helpers.shows import ShowSource, add_show_source

PACK_NAME = "Show.S01.720p.WEB-DL.x264-GRP"


@dataclass
class Pack:
    torrent: SeededTorrent
    files: dict[str, Path]  # label -> file inside the pack directory
    source_id: str


@pytest.fixture
def pack_running(
    settings: Settings, cipher: FieldCipher, media_dir: Path, tmp_path: Path
) -> Iterator[tuple[Running, Pack]]:
    root = tmp_path / "seed" / PACK_NAME
    (root / "Subs").mkdir(parents=True)
    files = {
        "e01": root / "Show.S01E01.720p.WEB-DL.x264-GRP.mp4",
        "e02": root / "Show.S01E02.720p.WEB-DL.x264-GRP.mp4",
        "hinted": root / "Show.Bonus.Material.mp4",
    }
    shutil.copyfile(media_dir / TAIL_INDEX.name, files["e01"])
    shutil.copyfile(media_dir / FASTSTART.name, files["e02"])
    files["hinted"].write_bytes(files["e02"].read_bytes()[::-1])  # distinct bytes
    (root / "Show.S01E01.nfo").write_text("release notes")
    (root / "Subs" / "Show.S01E01.srt").write_text("1\n00:00:00,000 --> 00:00:01,000\nHi\n")
    tracker = Tracker().start()
    seeder = Seeder().start()
    torrent = make_directory_torrent(root, trackers=[tracker.announce_url], piece_size=PIECE)
    seeder.seed(torrent)
    write_catalog(settings.catalog_path, cipher, [])
    conn = sqlite3.connect(settings.catalog_path)
    source = ShowSource(
        77, 1, {1: (1, 1), 2: (1, 1), 3: (1, 1), 4: (1, 1)}, PACK_NAME, is_pack=True,
        info_hash=torrent.info_hash, magnet=torrent.magnet([tracker.announce_url]),
        file_hints={4: "Show.Bonus.Material.mp4"},
    )  # fmt: skip
    source_id = add_show_source(conn, cipher, source)
    conn.commit()
    conn.close()
    run = start_engine(with_bt_port(settings))
    try:
        yield run, Pack(torrent, files, source_id)
    finally:
        stop_engine(run)
        seeder.stop()
        tracker.stop()


def _url(run: Running, source_id: str, episode: tuple[int, int] | None) -> str:
    key, _ = run.signer.issue(str(run.users["alice"]), source_id, episode=episode)
    return f"{run.server.url}/stream/{key}"


def test_each_episode_of_a_pack_streams_its_own_file(
    pack_running: tuple[Running, Pack], client: httpx.Client
) -> None:
    run, pack = pack_running
    for episode, label in ((2, "e02"), (1, "e01"), (4, "hinted")):
        original = pack.files[label].read_bytes()
        response = client.get(_url(run, pack.source_id, (1, episode)))
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "video/mp4"
        assert int(response.headers["content-length"]) == len(original)
        assert response.content == original, f"S01E{episode:02d} is not {label}"
        assert pack.files[label].name in response.headers["content-disposition"]


def test_ranges_and_etags_follow_the_episode(
    pack_running: tuple[Running, Pack], client: httpx.Client
) -> None:
    run, pack = pack_running
    original = pack.files["e02"].read_bytes()
    url = _url(run, pack.source_id, (1, 2))
    tail = client.get(url, headers={"Range": "bytes=-5000"})
    assert tail.status_code == 206 and tail.content == original[-5000:]
    other = client.head(_url(run, pack.source_id, (1, 1)))
    assert other.headers["etag"] != tail.headers["etag"]


def test_an_episode_missing_from_the_pack_is_a_clear_422(
    pack_running: tuple[Running, Pack], client: httpx.Client
) -> None:
    run, pack = pack_running
    response = client.get(_url(run, pack.source_id, (1, 3)))
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "no_playable_file" and "S01E03" in error["message"]
    assert pack.torrent.info_hash not in response.text  # no secret in the refusal


def test_another_users_episode_of_the_same_pack_waits(
    pack_running: tuple[Running, Pack], client: httpx.Client
) -> None:
    run, pack = pack_running
    key_bob, _ = run.signer.issue(str(run.users["bob"]), pack.source_id, episode=(1, 1))
    with client.stream("GET", f"{run.server.url}/stream/{key_bob}") as reading:
        assert reading.status_code == 200
        next(reading.iter_bytes())  # bob is reading S01E01
        refused = client.get(_url(run, pack.source_id, (1, 2)))
        assert refused.status_code == 503
        assert refused.json()["error"]["code"] == "engine_busy"
        same = client.get(_url(run, pack.source_id, (1, 1)), headers={"Range": "bytes=0-99"})
        assert same.status_code == 206  # the same episode is shared
        assert same.content == pack.files["e01"].read_bytes()[:100]
