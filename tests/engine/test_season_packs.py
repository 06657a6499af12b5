"""Episodes streamed out of a real multi-file season pack seeded on loopback: the stream key
names the episode, the engine serves that file byte for byte, and refuses clearly when the
pack has no such episode. Several episodes of one pack stream at once (two people, or a
player prefetching the next one), each byte-exact; closing one keeps the others going; the
stream limits still count them."""

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
from engine import pack_files
from sandbox.swarm import SeededTorrent, Seeder, make_directory_torrent
from sandbox.tracker import Tracker
from tests.engine.conftest import (
    FASTSTART,
    PIECE,
    TAIL_INDEX,
    Running,
    start_engine,
    stop_engine,
    wait_until,
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
    seeder: Seeder


@pytest.fixture
def pack_running(
    settings: Settings,
    cipher: FieldCipher,
    media_dir: Path,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[Running, Pack]]:
    overrides: dict[str, object] = dict(getattr(request, "param", {}))  # engine settings
    if "max_extra_files" in overrides:
        monkeypatch.setattr(pack_files, "MAX_EXTRA_FILES", overrides.pop("max_extra_files"))
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
    run = start_engine(with_bt_port(settings), **overrides)
    try:
        yield run, Pack(torrent, files, source_id, seeder)
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


def _user_url(run: Running, user: str, source_id: str, episode: tuple[int, int]) -> str:
    key, _ = run.signer.issue(str(run.users[user]), source_id, episode=episode)
    return f"{run.server.url}/stream/{key}"


def _drain(streams: list[Iterator[bytes]], bodies: list[bytearray]) -> None:
    """Read the streams in turns, a chunk each, until all end."""
    live = list(range(len(streams)))
    while live:
        for i in list(live):
            chunk = next(streams[i], None)
            if chunk is None:
                live.remove(i)
            else:
                bodies[i] += chunk


def test_two_people_stream_two_episodes_of_one_pack_at_once_byte_exact(
    pack_running: tuple[Running, Pack], client: httpx.Client
) -> None:
    run, pack = pack_running
    pack.seeder.set_upload_rate_limit(1_500_000)  # both files are still arriving meanwhile
    with (
        client.stream("GET", _user_url(run, "bob", pack.source_id, (1, 1))) as bob,
        client.stream("GET", _user_url(run, "alice", pack.source_id, (1, 2))) as alice,
    ):
        assert (bob.status_code, alice.status_code) == (200, 200), alice.read()
        streams = [bob.iter_bytes(), alice.iter_bytes()]
        bodies = [bytearray(next(streams[0])), bytearray(next(streams[1]))]
        _drain(streams, bodies)
    assert bytes(bodies[0]) == pack.files["e01"].read_bytes()
    assert bytes(bodies[1]) == pack.files["e02"].read_bytes()


def test_closing_one_episode_keeps_the_other_streaming(
    pack_running: tuple[Running, Pack], client: httpx.Client
) -> None:
    run, pack = pack_running
    pack.seeder.set_upload_rate_limit(1_000_000)
    original = pack.files["e02"].read_bytes()
    with client.stream("GET", _user_url(run, "alice", pack.source_id, (1, 2))) as alice:
        assert alice.status_code == 200
        chunks = alice.iter_bytes()
        body = bytearray(next(chunks))
        with client.stream("GET", _user_url(run, "bob", pack.source_id, (1, 1))) as bob:
            assert bob.status_code == 200
            next(bob.iter_bytes())  # bob starts S01E01 ... and stops at once
        for chunk in chunks:
            body += chunk
    assert bytes(body) == original
    again = client.get(
        _user_url(run, "bob", pack.source_id, (1, 1)), headers={"Range": "bytes=1000-1999"}
    )
    assert again.status_code == 206
    assert again.content == pack.files["e01"].read_bytes()[1000:2000]


def test_a_player_prefetching_the_next_episode_keeps_the_current_one_playing(
    pack_running: tuple[Running, Pack], client: httpx.Client
) -> None:
    run, pack = pack_running
    pack.seeder.set_upload_rate_limit(1_000_000)
    url = _user_url(run, "alice", pack.source_id, (1, 1))
    with client.stream("GET", url) as playing:
        assert playing.status_code == 200
        chunks = playing.iter_bytes()
        body = bytearray(next(chunks))
        head = client.get(
            _user_url(run, "alice", pack.source_id, (1, 2)), headers={"Range": "bytes=0-65535"}
        )
        assert head.status_code == 206
        assert head.content == pack.files["e02"].read_bytes()[:65536]
        for chunk in chunks:
            body += chunk
    assert bytes(body) == pack.files["e01"].read_bytes()


@pytest.mark.parametrize("pack_running", [{"engine_max_streams": 1}], indirect=True)
def test_another_users_episode_of_the_same_pack_counts_against_the_stream_limit(
    pack_running: tuple[Running, Pack], client: httpx.Client
) -> None:
    run, pack = pack_running
    pack.seeder.set_upload_rate_limit(500_000)
    with client.stream("GET", _user_url(run, "bob", pack.source_id, (1, 1))) as reading:
        assert reading.status_code == 200
        chunks = reading.iter_bytes()  # held: a dropped iterator closes the response
        next(chunks)  # bob is reading S01E01: the engine's one stream
        refused = client.get(_url(run, pack.source_id, (1, 2)))
        assert refused.status_code == 503
        assert refused.json()["error"]["code"] == "engine_busy"
        assert "MIAUFLIX_ENGINE_MAX_STREAMS" in refused.json()["error"]["message"]
        prefetch = client.get(
            _user_url(run, "bob", pack.source_id, (1, 2)), headers={"Range": "bytes=0-99"}
        )
        assert prefetch.status_code == 206  # bob's own next episode is the same stream
        assert prefetch.content == pack.files["e02"].read_bytes()[:100]


@pytest.mark.parametrize("pack_running", [{"max_extra_files": 1}], indirect=True)
def test_more_episodes_of_one_pack_than_it_may_stream_at_once_are_busy_until_one_ends(
    pack_running: tuple[Running, Pack], client: httpx.Client
) -> None:
    run, pack = pack_running
    pack.seeder.set_upload_rate_limit(100_000)  # neither file can be complete meanwhile
    with client.stream("GET", _user_url(run, "bob", pack.source_id, (1, 1))) as bob:
        bob_chunks = bob.iter_bytes()  # held: a dropped iterator closes the response
        next(bob_chunks)
        with client.stream("GET", _user_url(run, "alice", pack.source_id, (1, 2))) as alice:
            assert alice.status_code == 200
            alice_chunks = alice.iter_bytes()
            next(alice_chunks)  # two files of the pack are read: the first + 1 extra
            refused = client.get(_user_url(run, "u", pack.source_id, (1, 4)))
            assert refused.status_code == 503
            error = refused.json()["error"]
            assert error["code"] == "engine_busy" and "episodes of this pack" in error["message"]
            assert pack.torrent.info_hash not in refused.text
        assert wait_until(lambda: _readers(run, pack.source_id) == 1, timeout=30)
        hinted = client.get(
            _user_url(run, "u", pack.source_id, (1, 4)), headers={"Range": "bytes=0-999"}
        )
        assert hinted.status_code == 206  # alice's file is idle now: it made room
        assert hinted.content == pack.files["hinted"].read_bytes()[:1000]


def _readers(run: Running, source_id: str) -> int:
    entry = next(s for s in run.engine.status()["sources"] if s["source_id"] == source_id)
    return int(entry.get("readers", 0))


def _state(run: Running, source_id: str) -> str:
    entry = next(s for s in run.engine.status()["sources"] if s["source_id"] == source_id)
    return str(entry["state"])


@pytest.mark.parametrize(
    "pack_running", [{"engine_idle_pause_seconds": 1, "engine_stall_timeout": 20.0}], indirect=True
)
def test_the_next_episode_streams_from_a_pack_paused_while_idle(
    pack_running: tuple[Running, Pack], client: httpx.Client
) -> None:
    """Autoplay after a pause: the torrent switches to the next file on a paused handle,
    which must resume for the new reader."""
    run, pack = pack_running
    pack.seeder.set_upload_rate_limit(200_000)  # the next episode is not all here already
    first = client.get(
        _user_url(run, "alice", pack.source_id, (1, 1)), headers={"Range": "bytes=0-99"}
    )
    assert first.status_code == 206
    assert wait_until(lambda: _state(run, pack.source_id) == "paused", timeout=20)
    pack.seeder.set_upload_rate_limit(0)
    following = client.get(_user_url(run, "alice", pack.source_id, (1, 2)))
    assert following.status_code == 200, following.text
    assert following.content == pack.files["e02"].read_bytes()
