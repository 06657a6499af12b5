"""Ingest over real HTTP against the sandbox's fake upstream, with and without faults.

Reconciles what landed with the synthetic catalogue: every movie the fake serves is
landed with status 200 (details and YTS), every missing id with TMDB's 404.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import SecretStr

from core.settings import Settings
from flows.ingest import IngestSummary, ingest_async
from flows.tmdb import details_request
from flows.yts import yts_request
from sandbox.catalogue import SyntheticCatalogue
from sandbox.fake_upstream import RunningUpstream, UpstreamConfig, start_fake_upstream
from sandbox.faults import FaultConfig
from warehouse.db import open_warehouse

KEY = "0123456789abcdef0123456789abcdef"


def configure(settings: Settings, upstream: RunningUpstream, **extra: Any) -> Settings:
    return settings.model_copy(
        update={
            "tmdb_url": upstream.tmdb_url,
            "yts_urls": upstream.yts_urls,
            "tmdb_rate_limit": 5000.0,
            "yts_rate_limit": 5000.0,
            "tmdb_list_pages": 500,
            **extra,
        }
    )


@pytest.fixture
def faulty(settings: Settings) -> Iterator[tuple[Settings, RunningUpstream]]:
    catalogue = SyntheticCatalogue(150, seed=7)
    catalogue.change_rate = 0.0  # the changes feed names nothing unless a test touches titles
    faults = FaultConfig(
        error_rate=0.2,
        rate_limit_burst_every=60,
        rate_limit_burst_len=3,
        retry_after_s=1,
        malformed_rate=0.05,
        slow_rate=0.01,
        slow_seconds=2.0,
        dead_mirrors=frozenset({"yts"}),
        seed=3,
    )
    config = UpstreamConfig(catalogue=catalogue, tmdb_api_key=KEY, faults=faults)
    with start_fake_upstream(config) as upstream:
        yield (
            configure(
                settings,
                upstream,
                tmdb_api_key=SecretStr(KEY),
                http_retries=10,
                http_timeout=1.0,
            ),
            upstream,
        )


def latest(cfg: Settings, table: str) -> dict[str, tuple[int, str]]:
    """request_key -> (status, payload) of each key's latest row."""
    sql = (
        f"SELECT request_key, arg_max(status, fetched_at), arg_max(payload, fetched_at) "
        f"FROM {table} GROUP BY request_key"
    )
    with open_warehouse(cfg, read_only=True) as con:
        return {k: (s, p) for k, s, p in con.execute(sql).fetchall()}


def run(cfg: Settings, run_id: str) -> IngestSummary:
    return asyncio.run(ingest_async(cfg, run_id))


def assert_catalogue_landed(cfg: Settings, catalogue: SyntheticCatalogue) -> None:
    details = latest(cfg, "raw_tmdb_movies")
    for tmdb_id in catalogue.tmdb_ids:
        status, payload = details[details_request(tmdb_id, "en").key]
        assert status == 200, tmdb_id
        assert json.loads(payload) == catalogue.movie(tmdb_id, "en")
    for tmdb_id in catalogue.missing_ids:
        assert details[details_request(tmdb_id, "en").key][0] == 404
    yts = latest(cfg, "raw_yts_movies")
    with_imdb = [i for i in map(catalogue.imdb_id_of, catalogue.tmdb_ids) if i]
    assert len(yts) == len(with_imdb)
    for imdb in with_imdb:
        status, payload = yts[yts_request(imdb).key]
        assert status == 200, imdb
        movies = json.loads(payload)["data"].get("movies", [])
        hashes = {t["hash"] for m in movies for t in m["torrents"]}
        assert hashes == {t["hash"] for t in catalogue.yts_torrents(imdb)}


def test_faults_are_survived_and_every_served_movie_lands_with_200(
    faulty: tuple[Settings, RunningUpstream],
) -> None:
    cfg, upstream = faulty
    summary = run(cfg, "run-faults")

    assert summary.failed == 0
    assert summary.movies == len(upstream.catalogue.tmdb_ids) + len(upstream.catalogue.missing_ids)
    assert_catalogue_landed(cfg, upstream.catalogue)
    injected = upstream.stats.snapshot()["faults"]
    # The run really went through the faults it was meant to survive.
    assert injected.get("server_error", 0) > 20
    assert injected.get("rate_limited", 0) >= 3
    assert injected.get("dead_mirror", 0) >= 1
    assert injected.get("malformed", 0) >= 1
    attempts = sum(c.attempts for c in summary.tables.values())
    assert attempts > summary.landed

    # Nothing changed upstream: the next run asks the changes feed, nothing else.
    upstream.stats.reset()
    second = run(cfg, "run-2")
    assert set(upstream.stats.snapshot()["requests"]) == {"tmdb.changes"}
    assert second.changes["mode"] == "incremental" and second.changes["changed"] == 0
    assert second.landed == 0 and second.skipped_fresh == summary.landed


def test_clean_upstream_with_two_languages(settings: Settings) -> None:
    catalogue = SyntheticCatalogue(40, seed=11)
    with start_fake_upstream(UpstreamConfig(catalogue=catalogue)) as upstream:
        cfg = configure(settings, upstream, tmdb_languages=["en", "es"])
        summary = run(cfg, "run-1")
    assert summary.failed == 0
    genres = latest(cfg, "raw_tmdb_genres")
    assert {k: v[0] for k, v in genres.items()} == {
        "GET /3/genre/movie/list?language=en": 200,
        "GET /3/genre/movie/list?language=es": 200,
    }
    details = latest(cfg, "raw_tmdb_movies")
    assert len(details) == 2 * (len(catalogue.tmdb_ids) + len(catalogue.missing_ids))
    assert_catalogue_landed(cfg, catalogue)
