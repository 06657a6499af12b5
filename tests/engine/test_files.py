"""Main file pick, content types, byte-to-piece arithmetic."""

from __future__ import annotations

import pytest

from engine.errors import NoPlayableFile
from engine.files import (
    EpisodeNotInTorrent,
    FileSpan,
    content_type,
    file_priorities,
    pick_episode_file,
    pick_main_file,
)
from engine.lt import FileEntry, TorrentMeta


def meta(*files: tuple[str, int]) -> TorrentMeta:
    entries, offset = [], 0
    for i, (path, size) in enumerate(files):
        entries.append(FileEntry(i, path, size, offset))
        offset += size
    return TorrentMeta("0" * 40, "t", 16384, max(1, -(-offset // 16384)), offset, tuple(entries))


def test_largest_playable_file_is_the_film() -> None:
    m = meta(
        ("t/sample.mkv", 5_000), ("t/movie.MP4", 90_000), ("t/extras.zip", 900_000), ("t/a.srt", 10)
    )
    assert pick_main_file(m).path == "t/movie.MP4"
    assert file_priorities(m, pick_main_file(m)) == [0, 1, 0, 0]


@pytest.mark.parametrize(
    "files", [(), (("t/readme.txt", 10), ("t/movie.iso", 10**9)), (("t/empty.mp4", 0),)]
)
def test_no_playable_file_raises(files: tuple[tuple[str, int], ...]) -> None:
    with pytest.raises(NoPlayableFile):
        pick_main_file(meta(*files))


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("a.mp4", "video/mp4"),
        ("a.M4V", "video/mp4"),
        ("a.mkv", "video/x-matroska"),
        ("a.webm", "video/webm"),
        ("a.avi", "video/x-msvideo"),
        ("a.mov", "video/quicktime"),
        ("a.mp4.exe", "application/octet-stream"),
        ("noext", "application/octet-stream"),
    ],
)
def test_content_type_follows_the_container(path: str, kind: str) -> None:
    assert content_type(path) == kind


def test_span_maps_file_positions_to_pieces_across_an_offset() -> None:
    span = FileSpan(offset=1500, size=3000, piece_length=1000, num_pieces=5)
    assert (span.first_piece, span.last_piece) == (1, 4)
    assert span.piece_at(0) == 1 and span.piece_at(499) == 1 and span.piece_at(500) == 2
    assert span.piece_end(1) == 500 and span.piece_end(4) == 3000
    assert list(span.pieces_for(400, 200)) == [1, 2]
    assert list(span.pieces_for(2999, 100)) == [4]
    assert list(span.pieces_for(3000, 10)) == [] and list(span.pieces_for(0, 0)) == []


# --- episodes out of season packs -----------------------------------------------------------
PACK = (
    ("Show.S01.1080p/Show.S01E01.1080p.mkv", 900_000),
    ("Show.S01.1080p/Show.S01E02.1080p.mkv", 800_000),
    ("Show.S01.1080p/Show.S01E02.sample.mkv", 9_000),
    ("Show.S01.1080p/Show.S01E03E04.1080p.mkv", 1_600_000),
    ("Show.S01.1080p/Show.S01E04.1080p.mkv", 700_000),
    ("Show.S01.1080p/Show.S01E05.1080p.nfo", 100),
    ("Show.S01.1080p/Subs/Show.S01E01.srt", 50),
)


def test_the_episode_named_by_the_key_is_picked_from_the_pack() -> None:
    m = meta(*PACK)
    assert pick_episode_file(m, 1, 1).path.endswith("S01E01.1080p.mkv")
    assert pick_episode_file(m, 1, 2).path.endswith("S01E02.1080p.mkv")  # not the sample
    assert pick_episode_file(m, 1, 3).path.endswith("S01E03E04.1080p.mkv")
    assert pick_episode_file(m, 1, 4).path.endswith("S01E04.1080p.mkv")  # single before double
    picked = pick_episode_file(m, 1, 2)
    assert file_priorities(m, picked) == [0, 1, 0, 0, 0, 0, 0]


@pytest.mark.parametrize(("season", "episode"), [(1, 5), (1, 9), (2, 1), (0, 1)])
def test_a_pack_without_the_episode_refuses_clearly(season: int, episode: int) -> None:
    with pytest.raises(EpisodeNotInTorrent, match=f"S{season:02d}E{episode:02d}") as caught:
        pick_episode_file(meta(*PACK), season, episode)
    assert isinstance(caught.value, NoPlayableFile)  # answered 422 by the engine


def test_the_catalog_hint_wins_with_or_without_the_top_folder() -> None:
    m = meta(("Pack/Disc1/video_a.mkv", 500), ("Pack/Disc1/video_b.mkv", 600))
    assert pick_episode_file(m, 1, 1, "Disc1/video_a.mkv").path == "Pack/Disc1/video_a.mkv"
    assert pick_episode_file(m, 1, 1, "Pack/Disc1/video_a.mkv").path == "Pack/Disc1/video_a.mkv"
    assert pick_episode_file(m, 1, 1, "/Disc1/video_a.mkv").path == "Pack/Disc1/video_a.mkv"


@pytest.mark.parametrize("hint", ["Disc1/gone.mkv", "../../etc/passwd", "", "a.srt", "ideo_a.mkv"])
def test_a_stale_or_hostile_hint_falls_back_to_matching(hint: str) -> None:
    m = meta(("P/Show.S01E01.mkv", 500), ("P/Show.S01E02.mkv", 600), ("P/a.srt", 10))
    assert pick_episode_file(m, 1, 2, hint).path == "P/Show.S01E02.mkv"


def test_a_single_episode_torrent_plays_its_only_video() -> None:
    m = meta(("Show.720p/video.mkv", 500), ("Show.720p/info.nfo", 5))
    assert pick_episode_file(m, 3, 7).path == "Show.720p/video.mkv"


def test_episodes_in_season_folders_are_found() -> None:
    m = meta(("Show/Season 1/Episode 1.mp4", 500), ("Show/Season 2/Episode 1.mp4", 500))
    assert pick_episode_file(m, 2, 1).path == "Show/Season 2/Episode 1.mp4"
