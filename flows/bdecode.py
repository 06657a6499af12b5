"""A strict, bounded bencode decoder (BEP 3) for tracker answers, which are untrusted.

Refuses anything a correct encoder would not write: leading zeros, ``-0``, unsorted or
duplicate dict keys, trailing bytes, and nesting deeper than ``MAX_DEPTH``. The caller
bounds the input size (a scrape answer is read up to a limit before it gets here).
"""

from __future__ import annotations

from flows.errors import FlowsError

Value = int | bytes | list["Value"] | dict[bytes, "Value"]
MAX_DEPTH = 32
MAX_INT_DIGITS = 20


class BencodeError(FlowsError):
    """The bytes are not one well-formed bencoded value."""


def bdecode(data: bytes) -> Value:
    """Decode exactly one value spanning all of ``data``."""
    value, end = _decode(data, 0, 0)
    if end != len(data):
        raise BencodeError(f"trailing bytes after offset {end}")
    return value


def _decode(data: bytes, pos: int, depth: int) -> tuple[Value, int]:
    if depth > MAX_DEPTH:
        raise BencodeError("nested too deeply")
    if pos >= len(data):
        raise BencodeError("truncated")
    lead = data[pos : pos + 1]
    if lead == b"i":
        end = data.find(b"e", pos + 1)
        if end < 0 or end - pos - 1 > MAX_INT_DIGITS:
            raise BencodeError(f"bad integer at offset {pos}")
        return _integer(data[pos + 1 : end], pos), end + 1
    if lead == b"l":
        items: list[Value] = []
        pos += 1
        while data[pos : pos + 1] != b"e":
            item, pos = _decode(data, pos, depth + 1)
            items.append(item)
        return items, pos + 1
    if lead == b"d":
        result: dict[bytes, Value] = {}
        last: bytes | None = None
        pos += 1
        while data[pos : pos + 1] != b"e":
            key, pos = _string(data, pos)
            if last is not None and key <= last:
                raise BencodeError(f"dict keys unsorted or repeated at offset {pos}")
            result[key], pos = _decode(data, pos, depth + 1)
            last = key
        return result, pos + 1
    return _string(data, pos)


def _integer(digits: bytes, pos: int) -> int:
    body = digits[1:] if digits.startswith(b"-") else digits
    if not body.isdigit() or (body.startswith(b"0") and len(digits) > 1):
        raise BencodeError(f"bad integer at offset {pos}")
    return int(digits)


def _string(data: bytes, pos: int) -> tuple[bytes, int]:
    colon = data.find(b":", pos)
    length = data[pos:colon] if colon > 0 else b""
    if (
        not length.isdigit()
        or len(length) > MAX_INT_DIGITS
        or (length.startswith(b"0") and length != b"0")
    ):
        raise BencodeError(f"bad string length at offset {pos}")
    start = colon + 1
    end = start + int(length)
    if end > len(data):
        raise BencodeError(f"string at offset {pos} runs past the end")
    return data[start:end], end
