"""The per-snapshot response cache: bounded LRU, emptied by a new publish, keyed by every
validated parameter, and always behind authentication and the session check."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from core.settings import Settings
from serve.extensions import response_cache
from serve.response_cache import CachedBody, ResponseCache
from tests.helpers.catalog import SampleMarts, publish_sample
from tests.serve.conftest import assert_error


def _body(size: int, fill: bytes = b"x") -> CachedBody:
    return CachedBody(fill * size, "application/json")


def _cache(app: Flask) -> ResponseCache:
    with app.app_context():
        return response_cache()


def _json(client: FlaskClient, auth: dict[str, str], url: str) -> Any:
    response = client.get(url, headers=auth)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


# --- the cache itself -----------------------------------------------------------------------
def test_least_recently_used_entry_is_evicted_at_the_entry_bound() -> None:
    cache = ResponseCache(max_entries=2, max_bytes=1_000)
    cache.put("g", "a", _body(1, b"a"))
    cache.put("g", "b", _body(1, b"b"))
    assert cache.get("g", "a") is not None  # a is now the most recent
    cache.put("g", "c", _body(1, b"c"))
    assert cache.get("g", "b") is None
    assert cache.get("g", "a") == _body(1, b"a") and cache.get("g", "c") == _body(1, b"c")


def test_byte_budget_evicts_until_the_bodies_fit() -> None:
    cache = ResponseCache(max_entries=100, max_bytes=800)
    for key in "abcd":
        cache.put("g", key, _body(100))
    cache.put("g", "e", _body(100))
    cache.put("g", "f", _body(100))
    assert cache.stats().bytes <= 800
    cache.put("g", "big", _body(100))
    stats = cache.stats()
    assert stats.bytes <= 800 and stats.entries == 7
    for _ in range(3):
        cache.put("g", f"more-{_}", _body(100))
    assert cache.stats().bytes <= 800
    assert cache.get("g", "a") is None  # the oldest went first


def test_a_body_larger_than_its_share_of_the_budget_is_not_kept() -> None:
    cache = ResponseCache(max_entries=10, max_bytes=800)
    cache.put("g", "huge", _body(101))
    assert cache.get("g", "huge") is None
    cache.put("g", "fits", _body(100))
    assert cache.get("g", "fits") is not None


def test_replacing_a_key_keeps_the_byte_count_exact() -> None:
    cache = ResponseCache(max_entries=10, max_bytes=1_000)
    cache.put("g", "k", _body(50))
    cache.put("g", "k", _body(20))
    assert cache.stats().bytes == 20 and cache.stats().entries == 1


def test_another_generation_empties_the_cache() -> None:
    cache = ResponseCache()
    cache.put("old", "k", _body(3))
    assert cache.get("new", "k") is None
    assert cache.stats().entries == 0
    assert cache.get("old", "k") is None  # never served across generations, either way


@pytest.mark.parametrize(("entries", "size"), [(0, 1_000), (10, 0)])
def test_zero_bounds_disable_the_cache(entries: int, size: int) -> None:
    cache = ResponseCache(max_entries=entries, max_bytes=size)
    cache.put("g", "k", _body(1))
    assert cache.get("g", "k") is None and cache.stats().entries == 0


@pytest.mark.parametrize(("entries", "size"), [(-1, 10), (10, -1)])
def test_negative_bounds_are_refused(entries: int, size: int) -> None:
    with pytest.raises(ValueError, match="-1"):
        ResponseCache(max_entries=entries, max_bytes=size)


# --- through the API -------------------------------------------------------------------------
def test_repeated_catalogue_requests_are_served_from_the_cache_unchanged(
    app: Flask, client: FlaskClient, auth: dict[str, str], published: SampleMarts
) -> None:
    urls = ["/api/movies/550", "/api/movies?list=popular", "/api/genres", "/api/lists"]
    first = [client.get(url, headers=auth) for url in urls]
    hits_before = _cache(app).stats().hits
    again = [client.get(url, headers=auth) for url in urls]
    assert _cache(app).stats().hits == hits_before + len(urls)
    for one, two in zip(first, again, strict=True):
        assert two.status_code == 200
        assert two.get_data() == one.get_data()
        assert two.mimetype == "application/json"
        # Security headers are added to every answer, cached or not.
        assert two.headers["Cache-Control"] == "no-store"
        assert two.headers["Content-Security-Policy"] == one.headers["Content-Security-Policy"]


def test_a_new_publish_replaces_cached_answers(
    app: Flask, client: FlaskClient, auth: dict[str, str], settings: Settings
) -> None:
    publish_sample(settings.catalog_path, run_id="run-a")
    assert _json(client, auth, "/api/movies/550")["title"] == "Fight Club"
    listing = _json(client, auth, "/api/movies?list=popular&per_page=100")
    assert "Fight Club" in {m["title"] for m in listing["results"]}
    assert _json(client, auth, "/api/movies/550")["title"] == "Fight Club"  # a hit

    publish_sample(settings.catalog_path, run_id="run-b", title_suffix=" (Remastered)")
    assert _json(client, auth, "/api/movies/550")["title"] == "Fight Club (Remastered)"
    listing = _json(client, auth, "/api/movies?list=popular&per_page=100")
    assert "Fight Club (Remastered)" in {m["title"] for m in listing["results"]}
    assert "Fight Club" not in {m["title"] for m in listing["results"]}


@pytest.mark.parametrize(
    ("url_a", "url_b", "field"),
    [
        ("/api/movies/550?language=en", "/api/movies/550?language=es", "title"),
        ("/api/movies/550?language=es-MX", "/api/movies/550?language=es-ES", "title"),
        ("/api/movies/550?profile=web", "/api/movies/550?profile=tv", "profile"),
        ("/api/movies/550", "/api/movies/155", "tmdb_id"),
        ("/api/movies?per_page=2&page=1", "/api/movies?per_page=2&page=2", "results"),
        ("/api/movies?per_page=2", "/api/movies?per_page=3", "per_page"),
        ("/api/movies?list=popular", "/api/movies?list=top_rated", "results"),
        ("/api/movies?sort=title", "/api/movies?sort=release_date", "results"),
        ("/api/movies?q=fight", "/api/movies?q=dark", "results"),
        ("/api/movies?q=fight", "/api/movies?q=zzzz", "results"),
        ("/api/movies?sort=title&language=es", "/api/movies?sort=title", "results"),
        ("/api/genres?language=es", "/api/genres?language=en", "language"),
    ],
)
def test_answers_are_never_shared_across_different_parameters(
    client: FlaskClient,
    auth: dict[str, str],
    published: SampleMarts,
    url_a: str,
    url_b: str,
    field: str,
) -> None:
    # Whichever is cached first must not be what the other one gets.
    alone_a = _json(client, auth, url_a)
    alone_b = _json(client, auth, url_b)
    assert alone_a[field] != alone_b[field]
    assert _json(client, auth, url_a) == alone_a
    assert _json(client, auth, url_b) == alone_b


def test_equivalent_spellings_of_the_same_parameters_get_the_same_answer(
    client: FlaskClient, auth: dict[str, str], published: SampleMarts
) -> None:
    canonical = _json(client, auth, "/api/movies/550?language=es-MX&profile=web")
    assert _json(client, auth, "/api/movies/550?language=es_mx") == canonical
    assert _json(client, auth, "/api/movies/00550?language=ES-mx&profile=%20web") == canonical


def test_invalid_parameters_are_still_refused_after_a_valid_answer_was_cached(
    client: FlaskClient, auth: dict[str, str], published: SampleMarts
) -> None:
    _json(client, auth, "/api/movies/550")
    _json(client, auth, "/api/movies?page=1")
    assert_error(client.get("/api/movies/550?profile=xbox", headers=auth), 400)
    assert_error(client.get("/api/movies/550?language=english", headers=auth), 400)
    assert_error(client.get("/api/movies?page=0", headers=auth), 400)
    assert_error(client.get("/api/movies/999999", headers=auth), 404, "movie_not_found")
    assert_error(client.get("/api/movies/999999", headers=auth), 404, "movie_not_found")


@pytest.mark.parametrize("url", ["/api/movies/550", "/api/movies?list=popular", "/api/genres"])
def test_a_cached_answer_still_requires_a_valid_token(
    client: FlaskClient, auth: dict[str, str], published: SampleMarts, url: str
) -> None:
    _json(client, auth, url)
    _json(client, auth, url)
    assert_error(client.get(url), 401, "authorization_required")
    assert_error(client.get(url, headers={"Authorization": "Bearer not.a.token"}), 401)
    token = auth["Authorization"].removeprefix("Bearer ")
    head, payload, signature = token.split(".")
    forged = f"{head}.{payload}.{signature[:-4]}{'AAAA' if signature[-4:] != 'AAAA' else 'BBBB'}"
    assert_error(client.get(url, headers={"Authorization": f"Bearer {forged}"}), 401)


def test_a_cached_answer_is_refused_once_the_session_is_logged_out(
    client: FlaskClient, auth: dict[str, str], published: SampleMarts
) -> None:
    _json(client, auth, "/api/movies/550")
    _json(client, auth, "/api/movies/550")
    assert client.post("/api/auth/logout", headers=auth).status_code in (200, 204)
    assert_error(client.get("/api/movies/550", headers=auth), 401, "invalid_token")
    assert_error(client.get("/api/movies?list=popular", headers=auth), 401, "invalid_token")
