"""The icon is a valid PNG of the launcher's size, drawn the same way every time."""

from __future__ import annotations

import struct
import zlib

from miauflix.tizen_icon import HEIGHT, WIDTH, icon_png


def _chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, pos = [], 8
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind, data = png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", png[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(kind + data)
        chunks.append((kind, data))
        pos += 12 + length
    return chunks


def test_the_icon_is_a_512x423_rgb_png_with_the_logo_in_the_middle() -> None:
    png = icon_png()
    chunks = _chunks(png)
    assert [kind for kind, _ in chunks] == [b"IHDR", b"IDAT", b"IEND"]
    width, height, depth, colour, *_ = struct.unpack(">IIBBBBB", chunks[0][1])
    assert (width, height, depth, colour) == (WIDTH, HEIGHT, 8, 2) == (512, 423, 8, 2)
    raw = zlib.decompress(chunks[1][1])
    stride = 1 + 3 * WIDTH
    assert len(raw) == HEIGHT * stride

    def pixel(x: int, y: int) -> tuple[int, ...]:
        start = y * stride + 1 + 3 * x
        return tuple(raw[start : start + 3])

    assert pixel(0, 0) == (15, 17, 21)  # dark ground
    assert pixel(WIDTH // 2, HEIGHT // 2 + 30) == (245, 245, 247)  # the play triangle
    assert pixel(WIDTH // 2, HEIGHT // 2 + 150) == (229, 9, 20)  # the red head
    assert png == icon_png()
