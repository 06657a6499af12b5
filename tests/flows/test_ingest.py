"""The whole ingest (without Prefect) against a scripted upstream and a real DuckDB file."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from core.settings import Settings
from flows.errors import UpstreamAuthError
from flows.ingest import IngestSummary, chunk_size, ingest_async
from flows.retry import RetryPolicy
from tests.flows.fakes import TMDB, YTS_MIRRORS, FakeUpstream
from warehouse.db import open_warehouse
from warehouse.schema import RAW_TABLES

FAST = RetryPolicy(retries=3, base_delay=0.0, max_delay=0.0)
KEY = "fedcba9876543210fedcba9876543210"


@pytest.fixture
def cfg(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "tmdb_url": TMDB,
            "yts_urls": list(YTS_MIRRORS[:2]),
            "tmdb_rate_limit": 10_000.0,
            "yts_rate_limit": 10_000.0,
            "tmdb_list_pages": 3,
            "tmdb_languages": ["en", "es"],
            "tmdb_api_key": SecretStr(KEY),
        }
    )


def ingest(cfg: Settings, fake: FakeUpstream, run_id: str = "run-1", **kw: Any) -> IngestSummary:
    return asyncio.run(
        ingest_async(cfg, run_id, transport=fake.transport(), policy=kw.pop("policy", FAST), **kw)
    )


def rows(cfg: Settings, sql: str) -> list[tuple[Any, ...]]:
    with open_warehouse(cfg, read_only=True) as con:
        return con.execute(sql).fetchall()


def statuses(cfg: Settings, table: str) -> dict[str, int]:
    return {str(k): int(s) for k, s in rows(cfg, f"SELECT entity_key, status FROM {table}")}


def test_first_run_lands_every_kind_of_response(cfg: Settings) -> None:
    fake = FakeUpstream(range(1, 51), per_page=20, missing=[7], without_imdb=[8])
    summary = ingest(cfg, fake, details_chunk=16)

    assert statuses(cfg, "raw_tmdb_configuration") == {"configuration": 200}
    assert statuses(cfg, "raw_tmdb_genres") == {"en": 200, "es": 200}
    # 50 movies, 20 a page: 3 pages per list (the configured maximum is also 3).
    lists = statuses(cfg, "raw_tmdb_lists")
    assert sorted(lists) == sorted(
        f"{name}:{page}" for name in ("popular", "top_rated", "trending") for page in (1, 2, 3)
    )
    details = rows(cfg, "SELECT entity_key, status, request_key FROM raw_tmdb_movies")
    assert len(details) == 50 * 2  # two languages
    assert {r[0] for r in details if r[1] == 404} == {"7"}
    assert {r[1] for r in details if r[0] != "7"} == {200}
    yts = statuses(cfg, "raw_yts_movies")
    expected_imdb = {FakeUpstream.imdb_of(m) for m in range(1, 51) if m not in (7, 8)}
    assert set(yts) == expected_imdb and set(yts.values()) == {200}

    assert summary.movies == 50 and summary.imdb_ids == 48
    assert summary.failed == 0 and summary.skipped_fresh == 0
    assert summary.tables["raw_tmdb_movies"].fetched == 100
    assert summary.tables["raw_yts_movies"].landed == 48
    assert summary.landed == sum(len(statuses(cfg, t)) for t in RAW_TABLES[:4]) + 48 + 50


def test_every_row_has_a_canonical_key_a_clean_url_and_the_run_id(cfg: Settings) -> None:
    fake = FakeUpstream(range(1, 6), dead_mirrors=[YTS_MIRRORS[0]])
    ingest(cfg, fake)
    assert all(str(r.url).count("api_key=" + KEY) == 1 for r in fake.requests if TMDB in str(r.url))
    for table in RAW_TABLES:
        for key, url, payload, run_id in rows(
            cfg, f"SELECT request_key, url, payload, run_id FROM {table}"
        ):
            assert KEY not in key + url + (payload or "")
            assert "api_key" not in key + url
            assert key.startswith("GET /") and run_id == "run-1"
    yts_urls = [u for (u,) in rows(cfg, "SELECT url FROM raw_yts_movies")]
    assert yts_urls and all(u.startswith(YTS_MIRRORS[1]) for u in yts_urls)
    assert rows(cfg, "SELECT request_key FROM raw_yts_movies WHERE entity_key = 'tt0000001'") == [
        ("GET /api/v2/list_movies.json?query_term=tt0000001",)
    ]


def test_second_run_fetches_nothing_and_lands_nothing(cfg: Settings) -> None:
    fake = FakeUpstream(range(1, 41), missing=[3])
    first = ingest(cfg, fake)
    before = {t: rows(cfg, f"SELECT count(*) FROM {t}")[0][0] for t in RAW_TABLES}
    fake.requests.clear()

    second = ingest(cfg, fake, run_id="run-2")
    assert fake.content_requests() == []  # only the changes feed was asked: nothing changed
    assert second.changes["mode"] == "incremental" and second.changes["changed"] == 0
    assert {t: rows(cfg, f"SELECT count(*) FROM {t}")[0][0] for t in RAW_TABLES} == before
    assert second.landed == 0 and second.fetched == 0
    assert second.skipped_fresh == first.landed
    assert second.movies == first.movies and second.imdb_ids == first.imdb_ids


def test_yts_answers_have_their_own_shorter_freshness_window(cfg: Settings) -> None:
    fake = FakeUpstream(range(1, 21))
    first = ingest(cfg, fake)
    fake.requests.clear()
    stale_sources = cfg.model_copy(update={"yts_freshness_hours": 0.0})

    second = ingest(stale_sources, fake, run_id="run-2")
    assert fake.requests, "YTS answers past their window must be fetched again"
    assert all("list_movies" in str(request.url) for request in fake.content_requests())
    assert second.tables["raw_yts_movies"].fetched == first.tables["raw_yts_movies"].fetched
    assert second.tables["raw_tmdb_movies"].fetched == 0


def test_failed_requests_are_landed_counted_and_refetched_next_run(cfg: Settings) -> None:
    fake = FakeUpstream(range(1, 11))
    fake.fail("/3/movie/5?", *[503] * 8)  # both languages, all attempts
    fake.fail("query_term=tt0000006", *[httpx.ConnectError("down")] * 8)
    summary = ingest(cfg, fake)

    failed = rows(cfg, "SELECT entity_key, status FROM raw_tmdb_movies WHERE status <> 200")
    assert sorted(failed) == [("5", 503), ("5", 503)]
    assert summary.tables["raw_tmdb_movies"].failed == 2
    assert "tt0000005" not in statuses(cfg, "raw_yts_movies")  # no details, no IMDb id
    yts_fail = rows(cfg, "SELECT status, payload FROM raw_yts_movies WHERE status <> 200")
    assert len(yts_fail) == 1 and yts_fail[0][0] == 0 and "ConnectError" in yts_fail[0][1]
    assert summary.tables["raw_yts_movies"].failed == 1

    fake.requests.clear()
    second = ingest(cfg, fake, run_id="run-2")
    refetched = sorted(
        r.url.path + "?" + r.url.params.get("query_term", "") for r in fake.content_requests()
    )
    assert refetched == [
        "/tmdb/3/movie/5?",
        "/tmdb/3/movie/5?",
        "/yts/api/v2/list_movies.json?tt0000005",
        "/yts/api/v2/list_movies.json?tt0000006",
    ]
    assert second.failed == 0


def test_404_answers_are_landed_once_and_not_retried(cfg: Settings) -> None:
    fake = FakeUpstream(range(1, 4), missing=[2])
    ingest(cfg, fake)
    hits = [u for u in fake.urls("/3/movie/2?")]
    assert len(hits) == 2  # one per language, no retry
    fake.requests.clear()
    ingest(cfg, fake, run_id="run-2")
    assert fake.urls("/3/movie/2?") == []  # a fresh 404 is an answer


def test_list_stops_at_total_pages(cfg: Settings) -> None:
    fake = FakeUpstream(range(1, 6))  # one page
    ingest(cfg, fake)
    pages = [r.url.params["page"] for r in fake.requests if r.url.path.endswith("/popular")]
    assert pages == ["1"]


def test_transient_faults_are_retried_to_success(cfg: Settings) -> None:
    fake = FakeUpstream(range(1, 21))
    fake.fail("/3/movie/popular", 500, "<html>", httpx.ReadTimeout("slow"))
    fake.fail("/3/movie/9?", lambda r: httpx.Response(429, headers={"Retry-After": "0"}))
    fake.fail("tt0000004", '{"status": "ok", "data": {"movie_co')
    summary = ingest(cfg, fake)
    assert summary.failed == 0
    assert summary.tables["raw_tmdb_lists"].attempts > summary.tables["raw_tmdb_lists"].landed


def test_scope_lists_stops_before_details(cfg: Settings) -> None:
    fake = FakeUpstream(range(1, 6))
    summary = ingest(cfg, fake, scope="lists")
    assert fake.urls("/3/movie/1?") == [] and fake.urls("/yts/") == []
    assert summary.movies == 5 and summary.tables["raw_tmdb_lists"].landed == 3


def test_scope_movies_fetches_details_but_not_sources(cfg: Settings) -> None:
    fake = FakeUpstream(range(1, 6))
    ingest(cfg, fake, scope="movies")
    assert len(fake.urls("/3/movie/1?")) == 2 and fake.urls("/yts/") == []
    fake.requests.clear()
    summary = ingest(cfg, fake, run_id="run-2", scope="sources")
    assert [r for r in fake.content_requests() if "/tmdb/" in str(r.url)] == []  # all fresh
    assert len(fake.urls("/yts/")) == 5 and summary.imdb_ids == 5


def test_unknown_scope_is_refused(cfg: Settings) -> None:
    with pytest.raises(ValueError, match="unknown ingest scope"):
        ingest(cfg, FakeUpstream(), scope="everything")


def test_rejected_api_key_stops_the_run_with_a_clear_error(cfg: Settings) -> None:
    fake = FakeUpstream()
    fake.fail("/3/configuration", 401)
    with pytest.raises(UpstreamAuthError) as caught:
        ingest(cfg, fake)
    assert caught.value.status == 401 and KEY not in str(caught.value)
    assert "/3/configuration" in str(caught.value)


def test_hostile_list_ids_are_not_fetched(cfg: Settings) -> None:
    fake = FakeUpstream([1, 2])

    def hostile_page(request: httpx.Request) -> httpx.Response:
        results = [{"id": 1}, {"id": "2; DROP"}, {"id": -5}, {"id": 1.5}, {"id": True}, {"id": 2}]
        return httpx.Response(200, json={"page": 1, "results": results, "total_pages": 1})

    fake.fail("/3/movie/popular", hostile_page)
    summary = ingest(cfg, fake)
    assert summary.movies == 2
    assert {k for k, _ in statuses(cfg, "raw_tmdb_movies").items()} == {"1", "2"}


def test_connection_is_closed_after_the_run(cfg: Settings) -> None:
    ingest(cfg, FakeUpstream(range(1, 3)))
    # A second writer can open the file at once: no lock is held after the run.
    with open_warehouse(cfg) as con:
        assert con.execute("SELECT count(*) FROM raw_tmdb_configuration").fetchone() == (1,)


def test_imdb_id_comes_from_a_fresh_language_when_the_new_one_fails(cfg: Settings) -> None:
    fake = FakeUpstream(range(1, 6))
    ingest(cfg.model_copy(update={"tmdb_languages": ["en"]}), fake, scope="movies")
    fake.requests.clear()
    spanish_3 = "/3/movie/3?append_to_response=external_ids,images,translations&language=es"
    fake.fail(spanish_3, *[503] * 8)
    summary = ingest(cfg, fake, run_id="run-2")
    assert len(fake.urls(spanish_3)) == 1 + FAST.retries  # it did fail, every attempt
    assert fake.urls("language=en") == []  # the fresh English details are not refetched
    assert summary.tables["raw_tmdb_movies"].failed == 1
    # Its IMDb id still comes from the fresh English row, so YTS is asked anyway.
    assert "tt0000003" in statuses(cfg, "raw_yts_movies")
    assert summary.imdb_ids == 5


@pytest.mark.parametrize(
    ("total", "expected"), [(0, 250), (10, 250), (4000, 250), (4001, 251), (10_000, 625)]
)
def test_chunks_grow_so_a_run_has_at_most_sixteen(total: int, expected: int) -> None:
    assert chunk_size(total) == expected
