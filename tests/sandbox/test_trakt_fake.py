"""The fake Trakt speaks Trakt: device codes with every poll answer, single-use refresh
tokens, revocation, authenticated sync endpoints with paging and rate limits, scrobbles."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sandbox.fake_upstream import RunningUpstream, UpstreamConfig, start_fake_upstream
from sandbox.faults import FaultConfig
from sandbox.trakt_routes import TraktRoutes

CLIENT_ID = "sandbox-client"
HEADERS = {"trakt-api-version": "2", "trakt-api-key": CLIENT_ID}


@pytest.fixture(scope="module")
def upstream() -> Iterator[RunningUpstream]:
    with start_fake_upstream(UpstreamConfig(movies=200, trakt_client_id=CLIENT_ID)) as running:
        yield running


@pytest.fixture
def trakt(upstream: RunningUpstream) -> TraktRoutes:
    routes = upstream.upstream.trakt
    assert routes is not None
    routes.auth.device_interval = 0
    routes.libraries.post_interval_s = 0.0
    routes.libraries.get_limit = 1000
    return routes


@pytest.fixture
def http(upstream: RunningUpstream) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{upstream.base_url}/trakt", headers=HEADERS) as client:
        yield client


def _device(http: httpx.Client) -> dict[str, Any]:
    answer = http.post("/oauth/device/code", json={"client_id": CLIENT_ID})
    assert answer.status_code == 200
    return dict(answer.json())


def _poll(http: httpx.Client, code: str) -> httpx.Response:
    return http.post(
        "/oauth/device/token", json={"code": code, "client_id": CLIENT_ID, "client_secret": "s"}
    )


def _link(http: httpx.Client, username: str) -> dict[str, Any]:
    device = _device(http)
    decided = http.post(
        "/_sandbox/device/approve", json={"user_code": device["user_code"], "username": username}
    )
    assert decided.status_code == 200
    answer = _poll(http, device["device_code"])
    assert answer.status_code == 200
    return dict(answer.json())


def _auth(tokens: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def test_device_code_answer_has_trakts_fields(http: httpx.Client, trakt: TraktRoutes) -> None:
    device = _device(http)
    assert set(device) == {"device_code", "user_code", "verification_url", "expires_in", "interval"}
    assert device["expires_in"] == 600 and len(device["user_code"]) == 8


def test_poll_is_pending_until_approved_then_tokens_then_used(
    http: httpx.Client, trakt: TraktRoutes
) -> None:
    device = _device(http)
    assert _poll(http, device["device_code"]).status_code == 400
    trakt.auth.decide(device["user_code"], "alice", approve=True)
    answer = _poll(http, device["device_code"])
    assert answer.status_code == 200
    body = answer.json()
    assert {"access_token", "refresh_token", "expires_in", "created_at", "scope",
            "token_type"} <= set(body)  # fmt: skip
    assert _poll(http, device["device_code"]).status_code == 409


def test_poll_answers_invalid_denied_and_expired(http: httpx.Client, trakt: TraktRoutes) -> None:
    assert _poll(http, "no-such-code").status_code == 404
    denied = _device(http)
    http.post("/_sandbox/device/deny", json={"user_code": denied["user_code"]})
    assert _poll(http, denied["device_code"]).status_code == 418
    expired = _device(http)
    trakt.auth.expire(expired["user_code"])
    assert _poll(http, expired["device_code"]).status_code == 410


def test_polling_faster_than_the_interval_is_slow_down(
    http: httpx.Client, trakt: TraktRoutes
) -> None:
    trakt.auth.device_interval = 60
    device = _device(http)
    assert _poll(http, device["device_code"]).status_code == 400
    answer = _poll(http, device["device_code"])
    assert answer.status_code == 429


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"code": 5}'])
def test_malformed_poll_bodies_are_400(http: httpx.Client, body: bytes) -> None:
    assert http.post("/oauth/device/token", content=body).status_code == 400


def test_approving_an_unknown_code_is_404(http: httpx.Client) -> None:
    answer = http.post("/_sandbox/device/approve", json={"user_code": "NOPE0000"})
    assert answer.status_code == 404


def test_refresh_tokens_are_single_use(http: httpx.Client, trakt: TraktRoutes) -> None:
    tokens = _link(http, "bob")
    body = {"refresh_token": tokens["refresh_token"], "client_id": CLIENT_ID,
            "client_secret": "s", "grant_type": "refresh_token"}  # fmt: skip
    first = http.post("/oauth/token", json=body)
    assert first.status_code == 200
    assert first.json()["refresh_token"] != tokens["refresh_token"]
    again = http.post("/oauth/token", json=body)
    assert again.status_code == 401 and again.json()["error"] == "invalid_grant"


def test_a_revoked_token_no_longer_reads(http: httpx.Client, trakt: TraktRoutes) -> None:
    tokens = _link(http, "carol")
    assert http.get("/sync/last_activities", headers=_auth(tokens)).status_code == 200
    assert http.post("/oauth/revoke", json={"token": tokens["access_token"]}).status_code == 200
    assert http.get("/sync/last_activities", headers=_auth(tokens)).status_code == 401


def test_sync_requires_the_api_headers_and_a_bearer(
    upstream: RunningUpstream, http: httpx.Client, trakt: TraktRoutes
) -> None:
    tokens = _link(http, "dave")
    url = f"{upstream.base_url}/trakt/sync/watchlist"
    assert httpx.get(url, headers=_auth(tokens)).status_code == 403
    assert httpx.get(url, headers=HEADERS).status_code == 401
    assert httpx.get(url, headers={**HEADERS, "Authorization": "Bearer x"}).status_code == 401


def test_history_pages_with_pagination_headers(http: httpx.Client, trakt: TraktRoutes) -> None:
    tokens = _link(http, "erin")
    first = http.get("/sync/history", params={"limit": 2}, headers=_auth(tokens))
    assert first.status_code == 200
    total = int(first.headers["x-pagination-item-count"])
    pages = int(first.headers["x-pagination-page-count"])
    assert pages == -(-total // 2) and first.headers["x-pagination-limit"] == "2"
    seen = list(first.json())
    for page in range(2, pages + 1):
        answer = http.get("/sync/history", params={"limit": 2, "page": page}, headers=_auth(tokens))
        seen += answer.json()
    assert len(seen) == total and len({item["id"] for item in seen}) == total
    assert {item["type"] for item in seen} == {"movie", "episode"}
    assert "x-ratelimit" in first.headers


def test_libraries_carry_trakt_and_tmdb_ids_and_differ_per_user(
    http: httpx.Client, trakt: TraktRoutes
) -> None:
    a, b = _link(http, "frank"), _link(http, "grace")
    wa = http.get("/sync/watchlist", params={"limit": 100}, headers=_auth(a)).json()
    wb = http.get("/sync/watchlist", params={"limit": 100}, headers=_auth(b)).json()
    ids = [w["movie"]["ids"] for w in wa]
    assert all({"trakt", "slug", "imdb", "tmdb"} <= set(i) for i in ids)
    assert any(i["tmdb"] is None and i["imdb"] for i in ids)  # an IMDb-only item
    assert all(i["trakt"] != i["tmdb"] for i in ids)
    assert [i["ids"] for i in (w["movie"] for w in wa)] != [w["movie"]["ids"] for w in wb]


def test_stop_at_80_percent_is_watched_and_a_repeat_is_409(
    http: httpx.Client, trakt: TraktRoutes
) -> None:
    tokens = _link(http, "heidi")
    tmdb_id = trakt.ctx.catalogue.tmdb_ids[3]
    body = {"movie": {"ids": {"tmdb": tmdb_id}}, "progress": 85.0}
    first = http.post("/scrobble/stop", json=body, headers=_auth(tokens))
    assert first.status_code == 201 and first.json()["action"] == "scrobble"
    again = http.post("/scrobble/stop", json=body, headers=_auth(tokens))
    assert again.status_code == 409 and {"watched_at", "expires_at"} <= set(again.json())
    history = http.get("/sync/history/movies", params={"limit": 100}, headers=_auth(tokens))
    assert any(h["movie"]["ids"]["tmdb"] == tmdb_id for h in history.json())


def test_pause_saves_playback_progress(http: httpx.Client, trakt: TraktRoutes) -> None:
    tokens = _link(http, "ivan")
    tmdb_id = trakt.ctx.catalogue.tmdb_ids[5]
    body = {"movie": {"ids": {"tmdb": tmdb_id}}, "progress": 33.3}
    assert http.post("/scrobble/pause", json=body, headers=_auth(tokens)).status_code == 201
    playback = http.get("/sync/playback/movies", headers=_auth(tokens)).json()
    assert any(p["movie"]["ids"]["tmdb"] == tmdb_id and p["progress"] == 33.3 for p in playback)


@pytest.mark.parametrize(
    "body",
    [
        {"movie": {"ids": {"tmdb": 1}}, "progress": 101},
        {"movie": {"ids": {"tmdb": 1}}, "progress": True},
        {"progress": 10},
        [],
    ],
)
def test_malformed_scrobbles_are_400(http: httpx.Client, trakt: TraktRoutes, body: Any) -> None:
    tokens = _link(http, "judy")
    assert http.post("/scrobble/start", json=body, headers=_auth(tokens)).status_code == 400


def test_unknown_title_scrobble_is_404(http: httpx.Client, trakt: TraktRoutes) -> None:
    tokens = _link(http, "kim")
    body = {"movie": {"ids": {"tmdb": 999_999_999}}, "progress": 5}
    assert http.post("/scrobble/start", json=body, headers=_auth(tokens)).status_code == 404


def test_posts_faster_than_once_a_second_are_429(http: httpx.Client, trakt: TraktRoutes) -> None:
    trakt.libraries.post_interval_s = 60.0
    tokens = _link(http, "leo")
    body = {"movie": {"ids": {"tmdb": trakt.ctx.catalogue.tmdb_ids[0]}}, "progress": 5}
    assert http.post("/scrobble/start", json=body, headers=_auth(tokens)).status_code == 201
    answer = http.post("/scrobble/start", json=body, headers=_auth(tokens))
    assert answer.status_code == 429 and int(answer.headers["retry-after"]) >= 1


def test_gets_past_the_window_limit_are_429(http: httpx.Client, trakt: TraktRoutes) -> None:
    trakt.libraries.get_limit = 2
    tokens = _link(http, "mia")
    for _ in range(2):
        assert http.get("/sync/ratings", headers=_auth(tokens)).status_code == 200
    answer = http.get("/sync/ratings", headers=_auth(tokens))
    assert answer.status_code == 429 and "retry-after" in answer.headers
    assert '"remaining":0' in answer.headers["x-ratelimit"]


def test_fault_knobs_apply_to_trakt(upstream: RunningUpstream, http: httpx.Client) -> None:
    upstream.upstream.set_faults(FaultConfig(error_rate=1.0))
    try:
        assert http.get("/sync/last_activities").status_code >= 500
    finally:
        upstream.upstream.set_faults(FaultConfig())


def test_device_codes_point_at_the_sandbox_activation_page(
    http: httpx.Client, trakt: TraktRoutes
) -> None:
    device = _device(http)
    assert device["verification_url"].endswith("/trakt/_sandbox/activate")
    page = httpx.get(device["verification_url"])
    assert page.status_code == 200 and 'name="user_code"' in page.text


def test_the_activation_page_approves_a_code(http: httpx.Client, trakt: TraktRoutes) -> None:
    device = _device(http)
    form = {"user_code": device["user_code"], "username": "paged", "decision": "approve"}
    answer = httpx.post(device["verification_url"], data=form)
    assert answer.status_code == 200 and "approved" in answer.text
    assert _poll(http, device["device_code"]).status_code == 200


@pytest.mark.parametrize(
    ("form", "status"),
    [
        ({"user_code": "<script>alert(1)</script>", "decision": "approve"}, 404),
        ({"user_code": "ABCD1234", "decision": "steal"}, 400),
        ({"user_code": "x" * 5000, "decision": "approve"}, 413),
    ],
)
def test_the_activation_page_refuses_hostile_forms_and_escapes_echoes(
    upstream: RunningUpstream, form: dict[str, str], status: int
) -> None:
    answer = httpx.post(f"{upstream.base_url}/trakt/_sandbox/activate", data=form)
    assert answer.status_code == status
    assert "<script>" not in answer.text
