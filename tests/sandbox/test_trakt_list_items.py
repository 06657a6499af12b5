"""The fake Trakt's ``/lists/{id}/items/{type}``: the movies of the public lists it serves in
``/lists/trending`` and ``/lists/popular``, with Trakt's item shape and paging headers."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from sandbox.fake_upstream import RunningUpstream, UpstreamConfig, start_fake_upstream
from sandbox.trakt_media import UNMATCHED_IMDB

CLIENT_ID = "sandbox-client"
HEADERS = {"trakt-api-version": "2", "trakt-api-key": CLIENT_ID}


@pytest.fixture(scope="module")
def upstream() -> Iterator[RunningUpstream]:
    with start_fake_upstream(UpstreamConfig(movies=120, trakt_client_id=CLIENT_ID)) as running:
        yield running


@pytest.fixture
def http(upstream: RunningUpstream) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{upstream.base_url}/trakt", headers=HEADERS) as client:
        yield client


def _first_list_id(http: httpx.Client, kind: str = "trending") -> int:
    answer = http.get(f"/lists/{kind}", params={"limit": 1})
    assert answer.status_code == 200
    return int(answer.json()[0]["list"]["ids"]["trakt"])


def test_items_of_a_listed_list_are_ranked_movies_with_ids(
    http: httpx.Client, upstream: RunningUpstream
) -> None:
    list_id = _first_list_id(http)
    items = http.get(f"/lists/{list_id}/items/movie").json()
    assert [item["rank"] for item in items] == list(range(1, len(items) + 1))
    assert len(items) >= 9
    assert all(item["type"] == "movie" and set(item["movie"]["ids"]) >= {"trakt", "imdb"}
               for item in items)  # fmt: skip
    catalogue = upstream.upstream.context.catalogue
    known = set(catalogue.tmdb_ids)
    tmdb = [item["movie"]["ids"]["tmdb"] for item in items]
    assert sum(t is None for t in tmdb) == 2  # one IMDb-only, one the catalogue lacks
    assert [i["movie"]["ids"]["imdb"] for i in items].count(UNMATCHED_IMDB) == 1
    assert {t for t in tmdb if t is not None} <= known
    # Same list, same answer; popular lists have their own items.
    assert http.get(f"/lists/{list_id}/items/movies").json() == items
    other = _first_list_id(http, "popular")
    assert http.get(f"/lists/{other}/items/movie").json() != items


def test_items_page_with_trakt_pagination_headers(http: httpx.Client) -> None:
    list_id = _first_list_id(http)
    everything = http.get(f"/lists/{list_id}/items/movie").json()
    pages, page = [], 1
    while True:
        answer = http.get(f"/lists/{list_id}/items/movie", params={"page": page, "limit": 4})
        assert answer.headers["x-pagination-item-count"] == str(len(everything))
        assert answer.headers["x-pagination-limit"] == "4"
        pages += answer.json()
        if page >= int(answer.headers["x-pagination-page-count"]):
            break
        page += 1
    assert pages == everything
    beyond = http.get(f"/lists/{list_id}/items/movie", params={"page": page + 1, "limit": 4})
    assert beyond.status_code == 200 and beyond.json() == []


@pytest.mark.parametrize(
    "path",
    [
        "/lists/1/items/movie",  # no such list
        "/lists/{id}/items/show",  # only movies
        "/lists/{id}/items/person",
        "/lists/-5/items/movie",
        "/lists/abc/items/movie",
        "/lists/99999999999999999999/items/movie",
        "/lists/{id}/items/movie%00",
    ],
)
def test_unknown_lists_and_types_are_404(http: httpx.Client, path: str) -> None:
    answer = http.get(path.format(id=_first_list_id(http)))
    assert answer.status_code == 404


@pytest.mark.parametrize("query", [{"page": "0"}, {"limit": "x"}, {"page": "1e9", "limit": "-1"}])
def test_malformed_paging_falls_back_to_defaults(http: httpx.Client, query: dict[str, str]) -> None:
    answer = http.get(f"/lists/{_first_list_id(http)}/items/movie", params=query)
    assert answer.status_code == 200
    assert answer.headers["x-pagination-page"] == "1"


def test_items_refuse_a_wrong_api_key(upstream: RunningUpstream, http: httpx.Client) -> None:
    list_id = _first_list_id(http)
    answer = httpx.get(f"{upstream.base_url}/trakt/lists/{list_id}/items/movie",
                       headers={"trakt-api-version": "2", "trakt-api-key": "wrong"})  # fmt: skip
    assert answer.status_code == 401
