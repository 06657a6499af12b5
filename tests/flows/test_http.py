"""UpstreamClient against httpx.MockTransport: retries, Retry-After, 404 answers, key hygiene."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from email.utils import format_datetime
from typing import Any, TypeVar

import httpx
import pytest

from flows.errors import (
    UpstreamAuthError,
    UpstreamBadResponse,
    UpstreamError,
    UpstreamUnavailable,
)
from flows.http import Fetched, UpstreamClient
from flows.ratelimit import TokenBucket
from flows.retry import RetryPolicy
from tests.flows.fakes import TMDB, FakeClock

T = TypeVar("T")
V3_KEY = "0123456789abcdef0123456789abcdef"
V4_TOKEN = "eyJhbGciOiJIUzI1NiJ9." + "a" * 120 + ".signature_part-XYZ"
DETAILS = "/3/movie/550"


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def make_client(
    handler: Callable[[httpx.Request], httpx.Response],
    *,
    clock: FakeClock | None = None,
    retries: int = 3,
    bases: tuple[str, ...] = (TMDB,),
    service: str = "tmdb",
    not_found_is_answer: bool = True,
    auth_params: dict[str, str] | None = None,
    max_body_bytes: int = 1 << 20,
) -> tuple[UpstreamClient, FakeClock]:
    clock = clock or FakeClock()
    client = UpstreamClient(
        service,
        bases,
        httpx.AsyncClient(transport=httpx.MockTransport(handler), follow_redirects=True),
        limiter=TokenBucket(1000, clock=clock, sleep=clock.sleep),
        policy=RetryPolicy(retries=retries, base_delay=0.5, max_delay=4.0, rng=lambda: 1.0),
        auth_params=auth_params,
        not_found_is_answer=not_found_is_answer,
        max_body_bytes=max_body_bytes,
        sleep=clock.sleep,
    )
    return client, clock


def scripted(*answers: httpx.Response | Exception) -> Callable[[httpx.Request], httpx.Response]:
    """A handler that serves ``answers`` in order, then 200 {"ok": true}."""
    queue = list(answers)

    def handler(request: httpx.Request) -> httpx.Response:
        if queue:
            answer = queue.pop(0)
            if isinstance(answer, Exception):
                raise answer
            return answer
        return httpx.Response(200, json={"ok": True})

    return handler


def fetch(client: UpstreamClient, path: str = DETAILS, **params: str) -> Fetched:
    return run(client.fetch(path, params, entity_key="550"))


def test_5xx_is_retried_with_backoff_until_success() -> None:
    client, clock = make_client(scripted(httpx.Response(503), httpx.Response(502)))
    result = fetch(client)
    assert result.ok and result.status == 200 and result.attempts == 3
    assert result.data == {"ok": True}
    assert clock.sleeps == [0.5, 1.0]


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
        httpx.RemoteProtocolError("peer closed"),
    ],
)
def test_transport_errors_are_retried(failure: Exception) -> None:
    client, _ = make_client(scripted(failure, failure))
    assert fetch(client).ok


@pytest.mark.parametrize("body", ['{"id": 550', "<html>oops</html>", "[1, 2]", ""])
def test_unparseable_or_non_object_json_is_retried(body: str) -> None:
    client, _ = make_client(scripted(httpx.Response(200, text=body)))
    result = fetch(client)
    assert result.ok and result.attempts == 2


def test_exhausted_retries_keep_last_status_and_body() -> None:
    client, clock = make_client(lambda r: httpx.Response(503, text="maintenance"), retries=2)
    result = fetch(client)
    assert not result.ok and result.attempts == 3
    assert result.status == 503 and result.payload == "maintenance"
    assert isinstance(result.error, UpstreamUnavailable)
    assert len(clock.sleeps) == 2  # no sleep after the last attempt
    with pytest.raises(UpstreamUnavailable):
        result.raise_for_error()


def test_no_response_lands_status_zero_with_error_text() -> None:
    client, _ = make_client(scripted(*[httpx.ConnectError("refused")] * 5), retries=2)
    result = fetch(client)
    assert result.status == 0 and not result.ok
    assert result.payload and "ConnectError" in result.payload and "refused" in result.payload


def test_error_message_names_service_url_and_status() -> None:
    client, _ = make_client(lambda r: httpx.Response(500), retries=0)
    error = fetch(client, language="en").error
    assert isinstance(error, UpstreamError)
    assert (error.service, error.status) == ("tmdb", 500)
    assert error.url == f"{TMDB}{DETAILS}?language=en"
    assert "tmdb" in str(error) and error.url in str(error) and "500" in str(error)


def test_tmdb_404_is_an_answer_and_not_retried() -> None:
    body = {"success": False, "status_code": 34, "status_message": "not found"}
    client, clock = make_client(lambda r: httpx.Response(404, json=body))
    result = fetch(client)
    assert result.ok and result.status == 404 and result.attempts == 1
    assert result.data == body and result.error is None
    assert clock.sleeps == []


@pytest.mark.parametrize(
    "body", ["<html>Not Found</html>", '{"status_code": 7}', '{"success": false}', ""]
)
def test_404_without_tmdb_not_found_body_is_a_failure(body: str) -> None:
    client, _ = make_client(lambda r: httpx.Response(404, text=body))
    result = fetch(client)
    assert not result.ok and result.status == 404 and result.attempts == 1
    assert isinstance(result.error, UpstreamBadResponse)


def test_redirected_request_lands_the_final_url() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "tmdb.test":
            return httpx.Response(301, headers={"Location": "http://moved.test/3/movie/550"})
        return httpx.Response(200, json={"id": 550})

    client, _ = make_client(handler, auth_params={"api_key": V3_KEY})
    result = fetch(client)
    assert result.ok and result.url == "http://moved.test/3/movie/550"


def test_404_is_a_failure_where_it_is_not_an_answer() -> None:
    client, _ = make_client(lambda r: httpx.Response(404), not_found_is_answer=False)
    result = fetch(client)
    assert not result.ok and result.attempts == 1
    assert isinstance(result.error, UpstreamBadResponse)


@pytest.mark.parametrize("status", [400, 410, 422])
def test_other_4xx_are_final_failures(status: int) -> None:
    client, _ = make_client(lambda r: httpx.Response(status, text="bad"))
    result = fetch(client)
    assert (result.ok, result.status, result.attempts, result.payload) == (
        False,
        status,
        1,
        "bad",
    )


@pytest.mark.parametrize("status", [401, 403])
def test_rejected_credentials_raise_an_auth_error(status: int) -> None:
    client, _ = make_client(lambda r: httpx.Response(status))
    result = fetch(client)
    assert isinstance(result.error, UpstreamAuthError) and result.attempts == 1
    assert result.payload  # empty body: the error text is landed instead


def test_429_pauses_the_bucket_for_retry_after_seconds() -> None:
    client, clock = make_client(
        scripted(httpx.Response(429, headers={"Retry-After": "7"}, json={"status_code": 25}))
    )
    result = fetch(client)
    assert result.ok and result.attempts == 2
    assert client.limiter.pauses == 1
    assert clock.now == pytest.approx(7.0)


def test_429_with_http_date_retry_after() -> None:
    clock = FakeClock()
    # The header is an absolute date; the client compares it with the real wall clock.
    from datetime import UTC, datetime, timedelta

    when = format_datetime(datetime.now(UTC) + timedelta(seconds=20), usegmt=True)
    client, _ = make_client(
        scripted(httpx.Response(429, headers={"Retry-After": when})), clock=clock
    )
    assert fetch(client).ok
    assert 15.0 <= clock.now <= 20.0


@pytest.mark.parametrize(("header", "expected"), [("garbage", 0.5), ("-3", 0.5)])
def test_429_with_garbage_retry_after_falls_back_to_backoff(header: str, expected: float) -> None:
    client, clock = make_client(scripted(httpx.Response(429, headers={"Retry-After": header})))
    assert fetch(client).ok
    assert clock.now == pytest.approx(2 * expected)  # backoff(1) with rng=1: 2 * base


def test_hostile_huge_retry_after_is_capped_and_does_not_hang() -> None:
    client, clock = make_client(
        scripted(httpx.Response(429, headers={"Retry-After": "999999999999"}))
    )
    assert fetch(client).ok
    assert clock.now == pytest.approx(RetryPolicy().max_retry_after)


def test_retry_after_on_503_is_honoured() -> None:
    client, clock = make_client(scripted(httpx.Response(503, headers={"Retry-After": "3"})))
    assert fetch(client).ok
    assert clock.sleeps == [3.0]


def test_429_has_its_own_budget_but_gives_up_eventually() -> None:
    client, _ = make_client(lambda r: httpx.Response(429, headers={"Retry-After": "1"}), retries=2)
    result = fetch(client)
    assert not result.ok and result.status == 429 and result.attempts == 3
    assert isinstance(result.error, UpstreamUnavailable)


def test_oversized_body_is_refused_without_reading_it_all() -> None:
    big = b'{"x": "' + b"a" * 5000 + b'"}'
    client, _ = make_client(lambda r: httpx.Response(200, content=big), max_body_bytes=1000)
    result = fetch(client)
    assert not result.ok and result.status == 200
    assert result.payload and "exceeds 1000" in result.payload


def test_invalid_charset_header_does_not_crash() -> None:
    client, _ = make_client(
        lambda r: httpx.Response(
            200, content=b'{"a": 1}', headers={"content-type": "application/json; charset=nope"}
        )
    )
    assert fetch(client).data == {"a": 1}


def test_invalid_utf8_body_is_landed_with_replacement_characters() -> None:
    client, _ = make_client(lambda r: httpx.Response(200, content=b'{"a": "\xff\xfe"}'))
    result = fetch(client)
    assert result.ok and result.payload == '{"a": "\ufffd\ufffd"}'


def test_keep_data_false_validates_but_drops_the_parsed_body() -> None:
    client, _ = make_client(scripted())
    result = run(client.fetch(DETAILS, {}, entity_key="550", keep_data=False))
    assert result.ok and result.data is None and result.payload == '{"ok":true}'


def test_request_key_is_canonical_and_params_reach_the_server() -> None:
    seen: list[httpx.URL] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        return httpx.Response(200, json={})

    client, _ = make_client(handler, auth_params={"api_key": V3_KEY})
    result = run(
        client.fetch(
            DETAILS,
            {"language": "en", "append_to_response": "external_ids,images,translations"},
            entity_key="550",
        )
    )
    assert result.request_key == (
        "GET /3/movie/550?append_to_response=external_ids,images,translations&language=en"
    )
    assert seen[0].params["api_key"] == V3_KEY
    assert V3_KEY not in result.url and "api_key" not in result.url
