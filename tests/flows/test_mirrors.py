"""YTS mirror fallback: order, triggers (connection error, 5xx, HTML), stickiness."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from flows.errors import AllMirrorsFailed
from flows.http import Fetched, UpstreamClient
from flows.ratelimit import TokenBucket
from flows.retry import RetryPolicy
from tests.flows.fakes import YTS_MIRRORS, FakeClock, FakeUpstream

A, B, C = YTS_MIRRORS
PATH = "/api/v2/list_movies.json"


def yts_client(fake: FakeUpstream, retries: int = 2) -> tuple[UpstreamClient, FakeClock]:
    clock = FakeClock()
    client = UpstreamClient(
        "yts",
        YTS_MIRRORS,
        httpx.AsyncClient(transport=fake.transport()),
        limiter=TokenBucket(1000, clock=clock, sleep=clock.sleep),
        policy=RetryPolicy(retries=retries, base_delay=0.5, rng=lambda: 1.0),
        sleep=clock.sleep,
    )
    return client, clock


def get(client: UpstreamClient, imdb: str = "tt0000001") -> Fetched:
    return asyncio.run(client.fetch(PATH, {"query_term": imdb}, entity_key=imdb))


def mirrors_hit(fake: FakeUpstream) -> list[str]:
    return [next(m for m in YTS_MIRRORS if url.startswith(m)) for url in fake.urls()]


@pytest.mark.parametrize(
    ("setup", "label"),
    [
        (lambda f: f.dead_mirrors.add(A), "connection error"),
        (lambda f: f.fail(A, 503), "5xx"),
        (lambda f: f.html_mirrors.add(A), "HTML body"),
        (lambda f: f.fail(A, httpx.ReadTimeout("slow")), "timeout"),
    ],
)
def test_next_mirror_is_tried_on_failure(setup, label: str) -> None:  # type: ignore[no-untyped-def]
    fake = FakeUpstream([1])
    setup(fake)
    client, clock = yts_client(fake)
    result = get(client)
    assert result.ok, label
    assert mirrors_hit(fake) == [A, B]
    assert result.url.startswith(B)
    assert clock.sleeps == []  # failover is immediate, no backoff


def test_mirrors_are_tried_in_configured_order() -> None:
    fake = FakeUpstream([1], dead_mirrors=[A])
    fake.fail(B, 502)
    client, _ = yts_client(fake)
    assert get(client).url.startswith(C)
    assert mirrors_hit(fake) == [A, B, C]


def test_working_mirror_becomes_sticky_for_later_requests() -> None:
    fake = FakeUpstream([1, 2, 3], dead_mirrors=[A])
    client, _ = yts_client(fake)
    get(client, "tt0000001")
    assert client.sticky_base == B
    fake.requests.clear()
    get(client, "tt0000002")
    get(client, "tt0000003")
    assert mirrors_hit(fake) == [B, B]


def test_sticky_mirror_still_falls_back_to_the_others_in_order() -> None:
    fake = FakeUpstream([1, 2], dead_mirrors=[A])
    client, _ = yts_client(fake)
    get(client, "tt0000001")  # sticky: B
    fake.dead_mirrors = {B}  # B dies, A is back
    fake.requests.clear()
    result = get(client, "tt0000002")
    assert result.ok and mirrors_hit(fake) == [B, A]
    assert client.sticky_base == A


def test_request_key_does_not_depend_on_the_mirror() -> None:
    fake = FakeUpstream([1], dead_mirrors=[A])
    first = get(yts_client(fake)[0])
    fake.dead_mirrors = set()
    second = get(yts_client(fake)[0])
    assert first.url != second.url
    assert first.request_key == second.request_key == f"GET {PATH}?query_term=tt0000001"


def test_all_mirrors_failing_lands_a_failure_naming_every_mirror() -> None:
    fake = FakeUpstream([1], dead_mirrors=[A, C], html_mirrors=[B])
    client, clock = yts_client(fake, retries=1)
    result = get(client)
    assert not result.ok and result.attempts == 6  # 2 rounds x 3 mirrors
    assert isinstance(result.error, AllMirrorsFailed)
    assert list(result.error.failures) == [A, B, C]
    assert "not a JSON object" in result.error.failures[B]
    assert "ConnectError" in result.error.failures[A]
    assert "yts" in str(result.error)
    assert clock.sleeps == [0.5]  # one backoff between the two rounds


def test_rate_limit_on_a_mirror_is_waited_out_not_failed_over() -> None:
    fake = FakeUpstream([1])
    fake.fail(A, lambda r: httpx.Response(429, headers={"Retry-After": "2"}))
    client, clock = yts_client(fake)
    assert get(client).ok
    assert mirrors_hit(fake) == [A, A]
    assert clock.now == pytest.approx(2.0)
