"""Bencoding round trips, strict rejection of broken input, info-hash of raw bytes."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.bencode import bdecode, bencode, info_hash_v1
from engine.errors import BencodeError

values = st.recursive(
    st.integers(min_value=-(10**12), max_value=10**12) | st.binary(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.binary(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(values)
def test_encode_then_decode_gives_the_value_back(value: object) -> None:
    assert bdecode(bencode(value)) == value  # type: ignore[arg-type]


def test_known_encodings() -> None:
    assert bencode({"b": 1, "a": [b"x", -3]}) == b"d1:al1:xi-3ee1:bi1ee"
    assert bencode("spam") == b"4:spam"


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"i",
        b"i01e",
        b"i-0e",
        b"ie",
        b"i1x2e",
        b"5:abc",
        b"l",
        b"d1:a",
        b"di1ei2ee",
        b"01:a",
        b"x",
        b"i1ei2e",
        b"99999999999999:a",
        b"l" * 100 + b"e" * 100,
    ],
)
def test_broken_input_raises_bencode_error(data: bytes) -> None:
    with pytest.raises(BencodeError):
        bdecode(data)


def test_booleans_are_refused() -> None:
    with pytest.raises(BencodeError):
        bencode(True)


def test_info_hash_is_sha1_of_the_raw_info_dictionary() -> None:
    info = b"d6:lengthi5e4:name1:a12:piece lengthi16384e6:pieces20:" + b"\x01" * 20 + b"e"
    torrent = b"d8:announce3:url4:info" + info + b"e"
    assert info_hash_v1(torrent) == hashlib.sha1(info).hexdigest()  # noqa: S324


@pytest.mark.parametrize("data", [b"le", b"d8:announce3:urle", b"not a torrent", b"d4:info"])
def test_info_hash_of_a_non_torrent_raises(data: bytes) -> None:
    with pytest.raises(BencodeError):
        info_hash_v1(data)
