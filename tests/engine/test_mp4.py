"""Locating an MP4's index from its first bytes: both layouts of real encoder output, and
headers that are malformed, hostile or at the boundaries (never an exception, never a range
outside the file)."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.mp4 import IndexRange, locate_index
from sandbox.demo_media import render
from tests.engine.conftest import FASTSTART, TAIL_INDEX


def box(kind: bytes, size: int, *, large: bool = False) -> bytes:
    if large:
        return (1).to_bytes(4, "big") + kind + size.to_bytes(8, "big")
    return size.to_bytes(4, "big") + kind


FTYP = box(b"ftyp", 24) + b"isom" + b"\0\0\2\0" + b"isomiso2"  # 24 bytes


def top_level(path: Path) -> dict[bytes, tuple[int, int]]:
    data, boxes, pos = path.read_bytes(), {}, 0
    while pos < len(data):
        size = int.from_bytes(data[pos : pos + 4], "big")
        boxes[data[pos + 4 : pos + 8]] = (pos, pos + size)
        pos += size
    return boxes


def test_a_real_tail_index_file_points_past_the_media_data_to_its_moov(media_dir: Path) -> None:
    path = render(TAIL_INDEX, media_dir)
    boxes = top_level(path)
    found = locate_index(path.read_bytes()[:65536], path.stat().st_size)
    assert found == IndexRange(boxes[b"moov"][0], path.stat().st_size, exact=False)
    assert boxes[b"moov"][1] == path.stat().st_size


def test_a_real_faststart_file_gives_the_exact_moov(media_dir: Path) -> None:
    path = render(FASTSTART, media_dir)
    moov = top_level(path)[b"moov"]
    assert locate_index(path.read_bytes()[:65536], path.stat().st_size) == IndexRange(
        *moov, exact=True
    )


def test_a_moov_longer_than_the_head_keeps_its_declared_end() -> None:
    head = FTYP + box(b"moov", 5000) + b"\0" * 100
    assert locate_index(head, 100_000) == IndexRange(24, 5024, exact=True)


def test_a_64_bit_media_data_size_is_followed() -> None:
    head = FTYP + box(b"mdat", 10_000_000_000, large=True) + b"\0" * 64
    assert locate_index(head, 10_000_000_024 + 4000) == IndexRange(
        10_000_000_024, 10_000_000_024 + 4000, exact=False
    )


def test_boxes_ending_exactly_at_the_head_continue_from_there() -> None:
    head = FTYP + box(b"free", 8)
    assert locate_index(head, 10_000) == IndexRange(32, 10_000, exact=False)


@pytest.mark.parametrize(
    ("head", "size"),
    [
        (b"", 1000),  # nothing
        (b"\0\0\0", 1000),  # shorter than one header
        (FTYP, 0),  # empty file
        (box(b"mdat", 100) + b"\0" * 92, 1000),  # not an MP4: ftyp must come first
        (FTYP + box(b"mdat", 0), 1000),  # runs to the end: no index after it
        (FTYP + box(b"mdat", 4), 1000),  # smaller than its own header
        (FTYP + box(b"mdat", 1, large=False) + b"\0\0", 1000),  # truncated 64-bit size
        (FTYP + box(b"mdat", 2**64 - 1, large=True), 1000),  # past the end of the file
        (FTYP + box(b"mdat", 2000), 1000),  # past the end of the file
        (FTYP + box(b"md\xffa", 100), 1000),  # a type that is not printable
        (FTYP + box(b"mdat", 976), 1000),  # ends the file: no index anywhere
        (FTYP + box(b"free", 8) * 200, 10_000),  # more boxes than any real file
        (box(b"ftyp", 2**32 - 1), 1000),  # the first box lies about its size
    ],
)
def test_malformed_or_hostile_headers_give_no_index(head: bytes, size: int) -> None:
    assert locate_index(head, size) is None


def test_any_bytes_give_none_or_a_range_inside_the_file() -> None:
    import random

    rng = random.Random(12)
    for _ in range(2000):
        head = FTYP + bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 40)))
        size = rng.randrange(1, 1 << 20)
        found = locate_index(head, size)
        assert found is None or 0 <= found.start < found.end <= size
