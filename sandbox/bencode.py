"""A strict bencoder (BEP 3) for what the sandbox writes: tracker answers and test torrents.

Encoding only; reading .torrent files is libtorrent's job (``engine.lt``). Dict keys are
sorted as bytes, ``str`` is UTF-8, and anything without a bencoding (``bool``, ``float``,
``None``...) is a :class:`TypeError` rather than a silently wrong answer.
"""

from __future__ import annotations

Bencodable = int | bytes | str | list["Bencodable"] | dict[bytes | str, "Bencodable"]


def bencode(value: Bencodable) -> bytes:
    """Encode ``value``."""
    out: list[bytes] = []
    _encode(value, out)
    return b"".join(out)


def _encode(value: Bencodable, out: list[bytes]) -> None:
    if isinstance(value, bool):
        raise TypeError("booleans have no bencoding")
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
            if not isinstance(key, bytes):
                raise TypeError(f"dictionary key {key!r} is not a string")
            _encode(key, out)
            _encode(item, out)
        out.append(b"e")
    else:
        raise TypeError(f"cannot bencode {type(value).__name__}")
