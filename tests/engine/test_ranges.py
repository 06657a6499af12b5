"""Range header parsing per RFC 9110: every form, 416 cases, malformed input ignored."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.ranges import UNSATISFIABLE, ByteRange, parse_range

SIZE = 1000


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-99", ByteRange(0, 99)),
        ("bytes=100-", ByteRange(100, 999)),
        ("bytes=-100", ByteRange(900, 999)),
        ("bytes=-5000", ByteRange(0, 999)),
        ("bytes=990-5000", ByteRange(990, 999)),
        ("bytes=999-999", ByteRange(999, 999)),
        ("BYTES = 0-0", ByteRange(0, 0)),
        ("bytes=0-9, 10-19", ByteRange(0, 19)),
        ("bytes=5-9,0-4", ByteRange(0, 9)),
        ("bytes=0-9,2000-3000", ByteRange(0, 9)),
    ],
)
def test_satisfiable_forms_give_one_range(header: str, expected: ByteRange) -> None:
    assert parse_range(header, SIZE) == expected


@pytest.mark.parametrize(
    "header", ["bytes=1000-", "bytes=5000-6000", "bytes=-0", "bytes=1000-1000,2000-"]
)
def test_ranges_past_the_end_are_unsatisfiable(header: str) -> None:
    assert parse_range(header, SIZE) is UNSATISFIABLE


def test_any_range_of_an_empty_file_is_unsatisfiable() -> None:
    assert parse_range("bytes=0-", 0) is UNSATISFIABLE
    assert parse_range("bytes=-10", 0) is UNSATISFIABLE


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "bytes",
        "bytes=",
        "bytes=-",
        "bytes=a-b",
        "bytes=5-1",
        "items=0-10",
        "bytes=0-10,",
        "bytes=,0-10",
        "bytes=1-2-3",
        "bytes=0x10-20",
        "bytes= - ",
        "bytes=0-9,20-29",
        "bytes=" + "0-1," * 40 + "0-1",
        "bytes=" + "9" * 5000 + "-",
        "bytes=+1-2",
        "bytes=\uff11-\uff12",  # fullwidth digits are not DIGIT
    ],
)
def test_malformed_or_multipart_headers_are_ignored(header: str | None) -> None:
    assert parse_range(header, SIZE) is None


@given(
    size=st.integers(min_value=0, max_value=10**12),
    header=st.text(max_size=60),
)
def test_arbitrary_headers_never_raise(size: int, header: str) -> None:
    result = parse_range(header, size)
    if isinstance(result, ByteRange):
        assert 0 <= result.start <= result.end < size


@given(
    size=st.integers(min_value=1, max_value=10**9),
    first=st.integers(min_value=0, max_value=10**9),
    length=st.integers(min_value=0, max_value=10**9),
)
def test_valid_ranges_are_clipped_to_the_file(size: int, first: int, length: int) -> None:
    result = parse_range(f"bytes={first}-{first + length}", size)
    if first >= size:
        assert result is UNSATISFIABLE
    else:
        assert result == ByteRange(first, min(first + length, size - 1))
        assert result.content_range(size) == f"bytes {first}-{min(first + length, size - 1)}/{size}"
