"""Bencoding (BEP 3), the wire format of .torrent files and HTTP tracker answers.

Small and strict: the decoder rejects leading zeros, unsorted input is accepted (real
torrents are not always canonical), and :func:`info_hash_v1` hashes the exact bytes of
the ``info`` dictionary as they appear in the file, which is what the info-hash is.
"""

from __future__ import annotations

import hashlib

from engine.errors import BencodeError

Bencodable = int | bytes | str | list["Bencodable"] | dict[bytes | str, "Bencodable"]

_MAX_DEPTH = 64


def bencode(value: Bencodable) -> bytes:
    """Encode ``value``; ``str`` is encoded as UTF-8, dict keys are sorted as bytes."""
    out: list[bytes] = []
    _encode(value, out)
    return b"".join(out)


def _encode(value: Bencodable, out: list[bytes]) -> None:
    if isinstance(value, bool):
        raise BencodeError("booleans have no bencoding")
    if isinstance(value, int):
        out.append(b"i%de" % value)
    elif isinstance(value, str):
        _encode(value.encode(), out)
    elif isinstance(value, bytes):
        out.append(b"%d:%s" % (len(value), value))
    elif isinstance(value, list):
        out.append(b"l")
        for item in value:
            _encode(item, out)
        out.append(b"e")
    elif isinstance(value, dict):
        out.append(b"d")
        items = [(k.encode() if isinstance(k, str) else k, v) for k, v in value.items()]
        for key, item in sorted(items, key=lambda kv: kv[0]):
            _encode(key, out)
            _encode(item, out)
        out.append(b"e")
    else:
        raise BencodeError(f"cannot bencode {type(value).__name__}")


def bdecode(data: bytes) -> Bencodable:
    """Decode one complete bencoded value; trailing bytes are an error."""
    value, end = _decode(data, 0, 0)
    if end != len(data):
        raise BencodeError(f"trailing data at offset {end}")
    return value


def _decode(data: bytes, pos: int, depth: int) -> tuple[Bencodable, int]:
    if depth > _MAX_DEPTH:
        raise BencodeError("nesting too deep")
    if pos >= len(data):
        raise BencodeError(f"unexpected end of data at offset {pos}")
    lead = data[pos : pos + 1]
    if lead == b"i":
        end = data.find(b"e", pos)
        if end < 0:
            raise BencodeError(f"unterminated integer at offset {pos}")
        text = data[pos + 1 : end]
        if not text or text in (b"-", b"-0") or (text[:1] == b"0" and len(text) > 1):
            raise BencodeError(f"bad integer {text!r} at offset {pos}")
        if text.startswith(b"-0"):
            raise BencodeError(f"bad integer {text!r} at offset {pos}")
        try:
            return int(text), end + 1
        except ValueError as exc:
            raise BencodeError(f"bad integer {text!r} at offset {pos}") from exc
    if lead == b"l":
        items: list[Bencodable] = []
        pos += 1
        while data[pos : pos + 1] != b"e":
            item, pos = _decode(data, pos, depth + 1)
            items.append(item)
        return items, pos + 1
    if lead == b"d":
        result: dict[bytes | str, Bencodable] = {}
        pos += 1
        while data[pos : pos + 1] != b"e":
            key, pos = _decode(data, pos, depth + 1)
            if not isinstance(key, bytes):
                raise BencodeError(f"dictionary key is not a string at offset {pos}")
            result[key], pos = _decode(data, pos, depth + 1)
        return result, pos + 1
    if lead.isdigit():
        colon = data.find(b":", pos)
        if colon < 0 or colon - pos > 12:
            raise BencodeError(f"bad string length at offset {pos}")
        text = data[pos:colon]
        if not text.isdigit() or (text[:1] == b"0" and len(text) > 1):
            raise BencodeError(f"bad string length {text!r} at offset {pos}")
        start = colon + 1
        end = start + int(text)
        if end > len(data):
            raise BencodeError(f"string at offset {pos} runs past the end")
        return data[start:end], end
    raise BencodeError(f"unexpected byte {lead!r} at offset {pos}")


def info_hash_v1(torrent: bytes) -> str:
    """SHA-1 (hex, lowercase) of the raw ``info`` dictionary of a .torrent file."""
    if torrent[:1] != b"d":
        raise BencodeError("a .torrent file is a bencoded dictionary")
    pos = 1
    while torrent[pos : pos + 1] != b"e":
        key, pos = _decode(torrent, pos, 1)
        start = pos
        _, pos = _decode(torrent, pos, 1)
        if key == b"info":
            return hashlib.sha1(torrent[start:pos]).hexdigest()  # noqa: S324 (BEP 3)
        if pos >= len(torrent):
            break
    raise BencodeError("no info dictionary in the torrent")
