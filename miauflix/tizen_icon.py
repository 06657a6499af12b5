"""The Tizen app icon, drawn by code: a red cat head with a play triangle on dark ground.

512x423 pixels is the size Samsung's TV launcher shows (the smallest icon the store asks
for). The PNG is written with zlib only, so the same code always gives the same bytes.
"""

from __future__ import annotations

import struct
import zlib

WIDTH, HEIGHT = 512, 423
_BACKGROUND = (15, 17, 21)
_RED = (229, 9, 20)
_WHITE = (245, 245, 247)
_SAMPLES = ((0.25, 0.25), (0.75, 0.25), (0.25, 0.75), (0.75, 0.75))

Point = tuple[float, float]


def _inside_triangle(x: float, y: float, a: Point, b: Point, c: Point) -> bool:
    def side(p: Point, q: Point) -> float:
        return (q[0] - p[0]) * (y - p[1]) - (q[1] - p[1]) * (x - p[0])

    d1, d2, d3 = side(a, b), side(b, c), side(c, a)
    return not ((d1 < 0 or d2 < 0 or d3 < 0) and (d1 > 0 or d2 > 0 or d3 > 0))


def _colour_at(x: float, y: float) -> tuple[int, int, int]:
    cx, cy, r = WIDTH / 2, HEIGHT / 2 + 30, 140.0
    play = ((cx - 40, cy - 62), (cx - 40, cy + 62), (cx + 68, cy))
    if _inside_triangle(x, y, *play):
        return _WHITE
    left_ear = ((cx - 135, cy - 40), (cx - 120, cy - 190), (cx - 30, cy - 120))
    right_ear = ((cx + 135, cy - 40), (cx + 120, cy - 190), (cx + 30, cy - 120))
    head = (x - cx) ** 2 + (y - cy) ** 2 <= r * r
    if head or _inside_triangle(x, y, *left_ear) or _inside_triangle(x, y, *right_ear):
        return _RED
    return _BACKGROUND


def _pixels() -> list[bytes]:
    """Scanlines; pixels on a shape's edge are averaged over four samples (anti-aliasing)."""
    centre = [[_colour_at(x + 0.5, y + 0.5) for x in range(WIDTH)] for y in range(HEIGHT)]
    rows = []
    for y in range(HEIGHT):
        out = bytearray(b"\x00")  # filter type 0 (None) for each scanline
        for x in range(WIDTH):
            colour: tuple[int, ...] = centre[y][x]
            near = (
                centre[max(y - 1, 0)][x],
                centre[min(y + 1, HEIGHT - 1)][x],
                centre[y][max(x - 1, 0)],
                centre[y][min(x + 1, WIDTH - 1)],
            )
            if any(other != colour for other in near):
                samples = [_colour_at(x + dx, y + dy) for dx, dy in _SAMPLES]
                colour = tuple(sum(s[i] for s in samples) // len(samples) for i in range(3))
            out += bytes(colour)
        rows.append(bytes(out))
    return rows


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def icon_png() -> bytes:
    """The icon as an 8-bit RGB PNG."""
    raw = b"".join(_pixels())
    header = struct.pack(">IIBBBBB", WIDTH, HEIGHT, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(raw, 9))
        + _chunk(b"IEND", b"")
    )
