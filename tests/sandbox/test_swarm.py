"""Demo media, torrents made of it, and the YTS-shaped hooks for the fake upstream."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import lt
from engine.files import pick_main_file
from engine.subtitles import subtitle_files
from sandbox.demo_media import DEMO_VIDEOS, DemoVideo, moov_at_end, render, write_subtitles
from sandbox.swarm import demo_torrents, make_directory_torrent, make_torrent

TINY_TAIL = DemoVideo("tiny-tail.mp4", 320, 180, 2, 500, False, "tiny")
TINY_FAST = DemoVideo("tiny-fast.mp4", 320, 180, 2, 500, True, "tiny fast")


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("media")
    render(TINY_TAIL, path)
    render(TINY_FAST, path)
    return path


def test_rendered_videos_are_mp4_with_the_index_where_asked(media: Path) -> None:
    assert moov_at_end(media / TINY_TAIL.name) is True
    assert moov_at_end(media / TINY_FAST.name) is False


def test_rendering_is_deterministic(media: Path, tmp_path: Path) -> None:
    again = render(TINY_TAIL, tmp_path)
    assert again.read_bytes() == (media / TINY_TAIL.name).read_bytes()


def test_torrent_of_a_video_has_its_hash_tracker_and_size(media: Path) -> None:
    torrent = make_torrent(
        media / TINY_TAIL.name, trackers=["http://127.0.0.1:1/announce"], piece_size=16384
    )
    meta = lt.parse_torrent(torrent.torrent)
    assert meta.info_hash == torrent.info_hash == lt.info_hash_v1(torrent.torrent)
    assert meta.trackers == ("http://127.0.0.1:1/announce",)
    assert meta.files[0].size == torrent.size == (media / TINY_TAIL.name).stat().st_size
    assert meta.piece_length == 16384


def test_demo_torrents_spread_torrents_over_movies_in_yts_shape(media: Path) -> None:
    torrents = [make_torrent(media / v.name, video=v) for v in (TINY_TAIL, TINY_FAST)]
    extra, files = demo_torrents(torrents, ["tt001", "tt002"], url_for=lambda h: f"http://u/{h}")
    assert set(extra) == {"tt001", "tt002"}
    first = extra["tt001"][0]
    assert first["hash"] == torrents[0].info_hash.upper()
    assert first["url"] == f"http://u/{torrents[0].info_hash.upper()}"
    assert first["quality"] == "180p" and first["size_bytes"] == torrents[0].size
    assert files[torrents[1].info_hash.upper()] == torrents[1].torrent
    with pytest.raises(ValueError):
        demo_torrents(torrents, [])


def test_a_folder_torrent_carries_the_video_and_its_subtitles(media: Path, tmp_path: Path) -> None:
    folder = tmp_path / "tiny-fast"
    render(TINY_FAST, folder)
    written = write_subtitles(TINY_FAST, folder)
    assert written[1].read_bytes().decode("cp1252").count("¿Qué tal?") >= 1
    torrent = make_directory_torrent(folder, trackers=["http://127.0.0.1:1/announce"],
                                     piece_size=16384)  # fmt: skip
    again = make_directory_torrent(folder, trackers=["http://127.0.0.1:1/announce"],
                                   piece_size=16384)  # fmt: skip
    assert torrent.torrent == again.torrent  # deterministic: same files, same info-hash
    meta = lt.parse_torrent(torrent.torrent)
    assert meta.info_hash == torrent.info_hash and meta.name == "tiny-fast"
    assert meta.trackers == ("http://127.0.0.1:1/announce",)
    assert torrent.size == sum(f.size for f in meta.files) == meta.total_size
    main = pick_main_file(meta)
    assert main.path == "tiny-fast/tiny-fast.mp4"
    tracks = subtitle_files(meta, main)
    assert [(t.label, t.format) for t in tracks] == [("English", "srt"), ("Spanish", "ass")]
    assert [d.title for d in DEMO_VIDEOS if d.subtitles] == ["Demo 480p"]
