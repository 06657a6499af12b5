"""The Trakt client: headers, Retry-After, retries, paging, per-user limits, and errors that
never carry a token (httpx.MockTransport answers as Trakt documents)."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from core.trakt import (
    TokenSet,
    TraktAuthError,
    TraktClient,
    TraktError,
    TraktUnavailable,
    UserLimits,
)

Handler = Callable[[httpx.Request], httpx.Response]
SECRET_TOKEN = "access-0123456789abcdef"


def _client(handler: Handler, sleeps: list[float] | None = None, **kw: object) -> TraktClient:
    slept = sleeps if sleeps is not None else []
    return TraktClient(
        "https://api.trakt.example", "cid", "csecret",
        transport=httpx.MockTransport(handler), sleep=slept.append,
        limits=UserLimits(post_interval_s=0.0, sleep=slept.append), **kw,  # type: ignore[arg-type]
    )  # fmt: skip


def test_requests_carry_the_api_version_key_and_bearer() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={})

    _client(handler).get("/sync/last_activities", SECRET_TOKEN, "user:1")
    headers = seen[0].headers
    assert headers["trakt-api-version"] == "2" and headers["trakt-api-key"] == "cid"
    assert headers["authorization"] == f"Bearer {SECRET_TOKEN}"


def test_a_429_waits_retry_after_then_succeeds() -> None:
    answers = iter(
        [httpx.Response(429, headers={"Retry-After": "2"}), httpx.Response(200, json=[])]
    )
    sleeps: list[float] = []
    data, _ = _client(lambda _r: next(answers), sleeps).get("/sync/ratings", SECRET_TOKEN, "u")
    assert data == [] and 2.0 in sleeps


def test_a_retry_after_beyond_patience_is_unavailable_not_a_long_sleep() -> None:
    def handler(_r: httpx.Request) -> httpx.Response:
        return httpx.Response(429, headers={"Retry-After": "3600"})

    sleeps: list[float] = []
    with pytest.raises(TraktUnavailable) as caught:
        _client(handler, sleeps).post("/scrobble/start", SECRET_TOKEN, "u", {"progress": 1})
    assert caught.value.status == 429 and max(sleeps, default=0) < 3600


def test_server_errors_are_retried_then_reported_without_the_token() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(502, text="<html>bad gateway</html>")

    with pytest.raises(TraktUnavailable) as caught:
        _client(handler, retries=2).get("/sync/history", SECRET_TOKEN, "u")
    assert len(calls) == 3 and SECRET_TOKEN not in str(caught.value)
    assert "/sync/history" in str(caught.value) and caught.value.status == 502


def test_a_refused_token_is_an_auth_error() -> None:
    with pytest.raises(TraktAuthError):
        _client(lambda _r: httpx.Response(401, json={"error": "invalid_token"})).get(
            "/sync/watchlist", SECRET_TOKEN, "u"
        )


def test_get_all_follows_the_page_count() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        return httpx.Response(200, json=[page], headers={"X-Pagination-Page-Count": "3"})

    assert _client(handler).get_all("/sync/history", SECRET_TOKEN, "u") == [1, 2, 3]


@pytest.mark.parametrize(
    "body",
    [{}, {"access_token": "a", "refresh_token": "", "created_at": 1, "expires_in": 5},
     {"access_token": 5, "refresh_token": "r", "created_at": 1, "expires_in": 5},
     {"access_token": "a", "refresh_token": "r", "created_at": "x", "expires_in": 5}],
)  # fmt: skip
def test_malformed_token_answers_are_refused(body: dict[str, object]) -> None:
    with pytest.raises(TraktError):
        TokenSet.from_answer(body, "/oauth/token")


def test_token_sets_never_show_their_tokens() -> None:
    tokens = TokenSet(SECRET_TOKEN, "refresh-secret", 10)
    assert SECRET_TOKEN not in repr(tokens) and "refresh-secret" not in repr(tokens)


@pytest.mark.parametrize(
    ("status", "state"),
    [(400, "pending"), (404, "invalid"), (409, "used"), (410, "expired"), (418, "denied"),
     (429, "slow_down")],
)  # fmt: skip
def test_every_poll_answer_has_its_state(status: int, state: str) -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(json.loads(request.content))
        return httpx.Response(status)

    assert _client(handler).poll_device("dev") == (state, None)
    assert len(calls) == 1  # a poll is never retried: the interval decides the next one


def test_an_unexpected_poll_status_is_an_error() -> None:
    with pytest.raises(TraktError):
        _client(lambda _r: httpx.Response(451)).poll_device("dev")


def test_posts_per_user_are_spaced_and_users_do_not_share_a_slot() -> None:
    now = [100.0]
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds

    limits = UserLimits(post_interval_s=1.0, clock=lambda: now[0], sleep=sleep)
    assert limits.acquire("a", "POST", 5) and limits.acquire("b", "POST", 5)
    assert sleeps == []
    assert limits.acquire("a", "POST", 5) and sleeps == [1.0]
    assert not limits.acquire("a", "POST", 0.5)  # would wait past the caller's patience


def test_gets_are_capped_per_five_minute_window() -> None:
    now = [0.0]
    limits = UserLimits(get_limit=2, clock=lambda: now[0], sleep=lambda s: None)
    assert limits.wait_for("a", "GET") == 0 and limits.wait_for("a", "GET") == 0
    assert limits.wait_for("a", "GET") == pytest.approx(300)
    now[0] = 300.5
    assert limits.wait_for("a", "GET") == 0
