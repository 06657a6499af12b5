"""A small QR decoder for tests: reads the text of a (byte-mode, version 1-9) QR code from its
module matrix, so a test can check what the web client drew without an image decoder.

It reads the format information, lifts the data mask, walks the codeword placement path
(ISO/IEC 18004 7.7.3), de-interleaves the data blocks and parses the byte segment. The
function-pattern layout and the format/block tables come from segno (an independent encoder).
"""

from __future__ import annotations

from itertools import chain, zip_longest
from typing import Any

from segno import consts, encoder

Modules = set[tuple[int, int]]  # dark (row, column) pairs, no quiet zone


class QrError(ValueError):
    """The matrix is not a readable byte-mode QR code."""


def _format(dark: Modules) -> tuple[int, int]:
    """(error level, mask) from the format information next to the top-left finder."""
    cells = [(8, c) for c in (0, 1, 2, 3, 4, 5, 7, 8)] + [(r, 8) for r in (7, 5, 4, 3, 2, 1, 0)]
    value = 0
    for cell in cells:
        value = (value << 1) | (cell in dark)
    if value not in consts.FORMAT_INFO:
        raise QrError(f"unreadable format information {value:#x}")
    index = consts.FORMAT_INFO.index(value)
    return index >> 3, index & 7


def _data_bits(dark: Modules, size: int, mask: int) -> list[int]:
    """The unmasked bits of the encoding region, in placement order."""
    layout = encoder.make_matrix(size, size)
    encoder.add_finder_patterns(layout, size, size)
    encoder.add_alignment_patterns(layout, size, size)
    masked = encoder.get_data_mask_functions(False)[mask]
    bits = []
    for right in range(size - 1, 0, -2):
        if right <= 6:
            right -= 1
        for vertical in range(size):
            for z in range(2):
                col = right - z
                upwards = ((right & 2) == 0) ^ (col < 6)
                row = size - 1 - vertical if upwards else vertical
                if layout[row][col] == 0x2:
                    bits.append(int((row, col) in dark) ^ int(masked(row, col)))
    return bits


def decode(dark: Modules, size: int) -> str:
    """The text of the QR code whose dark modules are ``dark`` in a ``size`` x ``size`` grid."""
    version, rest = divmod(size - 17, 4)
    if rest or not 1 <= version <= 9:
        raise QrError(f"size {size} is not a version 1-9 QR code")
    error, mask = _format(dark)
    bits = _data_bits(dark, size, mask)
    codewords = [int("".join(map(str, bits[i : i + 8])), 2) for i in range(0, len(bits) - 7, 8)]
    ecc: Any = consts.ECC  # segno's table: version -> error level -> block groups
    blocks = [info.num_data for info in ecc[version][error] for _ in range(info.num_blocks)]
    data: list[list[int]] = [[] for _ in blocks]
    order = zip_longest(*[range(n) for n in blocks])
    index = 0
    for column in order:
        for block, position in enumerate(column):
            if position is not None:
                data[block].append(codewords[index])
                index += 1
    stream = "".join(f"{byte:08b}" for byte in chain.from_iterable(data))
    if stream[:4] != "0100":
        raise QrError(f"not a byte segment (mode {stream[:4]})")
    length = int(stream[4:12], 2)
    payload = stream[12 : 12 + 8 * length]
    if len(payload) != 8 * length:
        raise QrError("segment longer than the symbol")
    return bytes(int(payload[i : i + 8], 2) for i in range(0, len(payload), 8)).decode("utf-8")
