"""Main file pick, content types, byte-to-piece arithmetic."""

from __future__ import annotations

import pytest

from engine.errors import NoPlayableFile
from engine.files import FileSpan, content_type, file_priorities, pick_main_file
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
