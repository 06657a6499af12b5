"""The sandbox's bencoder: what it writes, libtorrent reads back; no silent wrong answers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine import lt
from sandbox.bencode import bencode

values = st.recursive(
    st.integers(min_value=-(10**12), max_value=10**12) | st.binary(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.binary(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(values)
def test_libtorrent_decodes_what_we_encode(value: object) -> None:
    assert lt.bdecode(bencode(value)) == value  # type: ignore[arg-type]


def test_known_encodings() -> None:
    assert bencode({"b": 1, "a": [b"x", -3]}) == b"d1:al1:xi-3ee1:bi1ee"
    assert bencode("spam") == b"4:spam"


@pytest.mark.parametrize("value", [True, 1.5, None, object(), {1: b"x"}, [False]])
def test_values_without_a_bencoding_are_refused(value: object) -> None:
    with pytest.raises(TypeError):
        bencode(value)  # type: ignore[arg-type]
