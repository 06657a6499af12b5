"""The bencode decoder takes tracker bytes, which are hostile until proven otherwise."""

from __future__ import annotations

import pytest

from flows.bdecode import MAX_DEPTH, BencodeError, bdecode


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        (b"i0e", 0),
        (b"i-42e", -42),
        (b"0:", b""),
        (b"4:spam", b"spam"),
        (b"le", []),
        (b"li1e3:abce", [1, b"abc"]),
        (b"d1:ai1e1:bli2eee", {b"a": 1, b"b": [2]}),
    ],
)
def test_well_formed_values_decode(raw: bytes, value: object) -> None:
    assert bdecode(raw) == value


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"i",
        b"ie",
        b"i-0e",
        b"i03e",
        b"i1.5e",
        b"i" + b"9" * 30 + b"e",
        b"5:abc",
        b"05:abcde",
        b"-1:a",
        b"99999999999999999999999:a",
        b"l",
        b"li1e",
        b"d1:ai1e",
        b"d1:bi1e1:ai2ee",  # unsorted keys
        b"d1:ai1e1:ai2ee",  # repeated key
        b"di1ei2ee",  # non-string key
        b"i1ei2e",  # trailing bytes
        b"x",
        b"\xff\xfe",
    ],
)
def test_malformed_bencode_is_refused(raw: bytes) -> None:
    with pytest.raises(BencodeError):
        bdecode(raw)


def test_nesting_is_bounded() -> None:
    assert bdecode(b"l" * MAX_DEPTH + b"e" * MAX_DEPTH) is not None
    with pytest.raises(BencodeError, match="deeply"):
        bdecode(b"l" * 10_000 + b"e" * 10_000)
