"""The test QR decoder reads what an independent encoder (segno) writes, and refuses what is
not a readable byte-mode code, so the web tests' QR checks can fail."""

from __future__ import annotations

import pytest
import segno

from tests.web.qr_decode import Modules, QrError, decode


def dark_modules(code: segno.QRCode) -> tuple[Modules, int]:
    matrix = code.matrix
    return {(r, c) for r, row in enumerate(matrix) for c, v in enumerate(row) if v}, len(matrix)


@pytest.mark.parametrize(
    ("text", "error", "mask"),
    [
        ("x", "l", 0),
        ("https://trakt.tv/activate", "m", 3),
        ("http://127.0.0.1:48117/trakt/_sandbox/activate", "m", 5),
        ("https://trakt.tv/activate/" + "A" * 90, "q", 7),
        ("ünïcode ✓", "h", 1),
    ],
)
def test_decode_reads_byte_codes_of_every_level_and_mask(text: str, error: str, mask: int) -> None:
    code = segno.make_qr(text, error=error, mode="byte", mask=mask, encoding="utf-8")
    assert decode(*dark_modules(code)) == text


def test_decode_refuses_a_damaged_format_area() -> None:
    dark, size = dark_modules(segno.make_qr("https://trakt.tv/activate", mode="byte"))
    with pytest.raises(QrError, match="format"):
        decode(dark ^ {(8, 0), (8, 1), (8, 2)}, size)


def test_decode_refuses_a_numeric_segment_and_odd_sizes() -> None:
    dark, size = dark_modules(segno.make_qr("0123456789", mode="numeric"))
    with pytest.raises(QrError, match="byte segment"):
        decode(dark, size)
    with pytest.raises(QrError, match="size"):
        decode(set(), 22)
    with pytest.raises(QrError, match="size"):
        decode(set(), 57)


def test_a_flipped_header_module_is_refused() -> None:
    dark, size = dark_modules(segno.make_qr("https://trakt.tv/activate", error="m", mode="byte"))
    # The bottom-right module holds the first bit of the mode indicator.
    with pytest.raises(QrError, match="byte segment"):
        decode(dark ^ {(size - 1, size - 1)}, size)
