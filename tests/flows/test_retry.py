"""Retry policy: Retry-After parsing (seconds, HTTP dates, garbage) and bounded backoff."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flows.retry import RetryPolicy, is_retryable_status, parse_retry_after

NOW = datetime(2025, 6, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "expected"),
    [("0", 0.0), ("7", 7.0), (" 12 ", 12.0), ("1.5", 1.5), ("60", 60.0)],
)
def test_retry_after_delta_seconds_are_honoured(header: str, expected: float) -> None:
    assert parse_retry_after(header, now=NOW) == expected


def test_retry_after_http_date_gives_seconds_until_then() -> None:
    header = format_datetime(NOW + timedelta(seconds=30), usegmt=True)
    assert parse_retry_after(header, now=NOW) == pytest.approx(30.0)


def test_retry_after_http_date_in_the_past_means_now() -> None:
    header = format_datetime(NOW - timedelta(hours=3), usegmt=True)
    assert parse_retry_after(header, now=NOW) == 0.0


@pytest.mark.parametrize(
    "header",
    ["99999999", "9" * 60, "Fri, 31 Dec 9999 23:59:59 GMT", "86400.5"],
)
def test_hostile_huge_retry_after_is_capped(header: str) -> None:
    assert parse_retry_after(header, now=NOW, cap=60.0) == 60.0


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "   ",
        "-5",
        "-0.5",
        "soon",
        "NaN",
        "inf",
        "1e9",
        "0x10",
        "\u0663",  # ARABIC-INDIC DIGIT THREE
        "5 seconds",
        "9" * 65,
        "Mon, 99 Foo 2025 25:61:61 GMT",
        "\x00\x01",
    ],
)
def test_garbage_retry_after_is_ignored(header: str | None) -> None:
    assert parse_retry_after(header, now=NOW) is None


@given(st.text(max_size=80))
def test_retry_after_never_outside_zero_and_cap(header: str) -> None:
    value = parse_retry_after(header, now=NOW, cap=60.0)
    assert value is None or 0.0 <= value <= 60.0


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504, 599])
def test_server_errors_and_429_are_retryable(status: int) -> None:
    assert is_retryable_status(status)


@pytest.mark.parametrize("status", [200, 204, 301, 400, 401, 403, 404, 422])
def test_answers_are_not_retryable(status: int) -> None:
    assert not is_retryable_status(status)


def test_backoff_grows_exponentially_until_the_cap() -> None:
    top = RetryPolicy(base_delay=0.5, max_delay=4.0, rng=lambda: 1.0)
    assert [top.backoff(n) for n in range(6)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]


def test_backoff_jitter_stays_within_half_and_full_delay() -> None:
    low = RetryPolicy(base_delay=0.5, max_delay=4.0, rng=lambda: 0.0)
    assert [low.backoff(n) for n in range(4)] == [0.25, 0.5, 1.0, 2.0]


@given(
    retry=st.integers(min_value=-10, max_value=10_000),
    draw=st.floats(min_value=0.0, max_value=1.0),
    base=st.floats(min_value=0.0, max_value=5.0),
    cap=st.floats(min_value=0.0, max_value=30.0),
)
def test_backoff_is_bounded_for_any_retry_number(
    retry: int, draw: float, base: float, cap: float
) -> None:
    policy = RetryPolicy(base_delay=base, max_delay=cap, rng=lambda: draw)
    assert 0.0 <= policy.backoff(retry) <= cap


def test_policy_rejects_negative_values() -> None:
    with pytest.raises(ValueError, match="retries"):
        RetryPolicy(retries=-1)
    with pytest.raises(ValueError, match="non-negative"):
        RetryPolicy(base_delay=-1.0)


def test_policy_retry_after_uses_its_own_cap() -> None:
    policy = RetryPolicy(max_retry_after=5.0)
    assert policy.retry_after("3600") == 5.0
    assert policy.attempts == policy.retries + 1
