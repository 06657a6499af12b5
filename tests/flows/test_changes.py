"""TMDB changes feeds: planning from sync_state, walking the feed, and the resync it drives.

End to end over real HTTP against the sandbox's fake upstream (its catalogue "changes"
titles on demand) and a real DuckDB file.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import duckdb
import httpx
import pytest

from core.clock import utcnow
from core.settings import Settings
from flows.changes import (
    ChangesFeedError,
    changed_ids,
    changes_request,
    days_between,
    full_refresh_reason,
    ids_of_page,
)
from flows.clients import open_clients
from flows.ingest import IngestSummary, ingest_async
from flows.retry import RetryPolicy
from sandbox.catalogue import SyntheticCatalogue
from sandbox.fake_upstream import RunningUpstream, UpstreamConfig, start_fake_upstream
from warehouse.db import open_warehouse
from warehouse.sync_state import FeedState, advance_state, read_state

FAST = RetryPolicy(retries=1, base_delay=0.0, max_delay=0.0)
NOW = datetime(2026, 5, 20, 12, 0)


@pytest.fixture
def fake() -> Iterator[RunningUpstream]:
    catalogue = SyntheticCatalogue(200, seed=5)
    catalogue.change_rate = 0.0  # only what a test touches changes
    with start_fake_upstream(UpstreamConfig(catalogue=catalogue)) as running:
        yield running


def configure(settings: Settings, upstream: RunningUpstream) -> Settings:
    return settings.model_copy(
        update={
            "tmdb_url": upstream.tmdb_url,
            "yts_urls": upstream.yts_urls,
            "tmdb_rate_limit": 5000.0,
            "yts_rate_limit": 5000.0,
            "tmdb_list_pages": 500,
        }
    )


def run(cfg: Settings, run_id: str, scope: str = "movies") -> IngestSummary:
    return asyncio.run(ingest_async(cfg, run_id, scope=scope, policy=FAST))


def details_landed_by(cfg: Settings, run_id: str) -> set[int]:
    with open_warehouse(cfg, read_only=True) as con:
        rows = con.execute(
            "SELECT DISTINCT entity_key FROM raw_tmdb_movies WHERE run_id = ?", [run_id]
        ).fetchall()
    return {int(r[0]) for r in rows}


def state(cfg: Settings) -> FeedState | None:
    with open_warehouse(cfg) as con:
        return read_state(con, "tmdb_movie_changes")


# --- end to end -----------------------------------------------------------------------------
def test_a_resync_touching_one_percent_of_titles_refetches_exactly_those(
    settings: Settings, fake: RunningUpstream
) -> None:
    cfg = configure(settings, fake)
    first = run(cfg, "run-1")
    assert first.changes["mode"] == "full"
    listed = details_landed_by(cfg, "run-1")
    assert len(listed) > 150
    after_first = state(cfg)
    assert after_first is not None and after_first.run_id == "run-1"

    touched = sorted(listed)[::100]  # 1 % of the titles
    fake.catalogue.touch(touched)
    second = run(cfg, "run-2")

    assert second.changes["mode"] == "incremental"
    assert details_landed_by(cfg, "run-2") == set(touched)
    assert second.tables["raw_tmdb_movies"].fetched == len(touched)
    with open_warehouse(cfg, read_only=True) as con:
        payloads = con.execute(
            "SELECT payload FROM raw_tmdb_movies WHERE run_id = 'run-2'"
        ).fetchall()
    assert all("(revision 1)" in p[0] for p in payloads)  # the new version landed
    after_second = state(cfg)
    assert after_second is not None and after_second.run_id == "run-2"
    assert after_second.window_end >= after_first.window_end


def test_a_gap_longer_than_the_window_falls_back_to_a_full_refresh(
    settings: Settings, fake: RunningUpstream
) -> None:
    cfg = configure(settings, fake)
    run(cfg, "run-1")
    with open_warehouse(cfg) as con:
        con.execute("UPDATE sync_state SET window_end = window_end - INTERVAL 15 DAY").fetchall()
    second = run(cfg, "run-2")
    assert second.changes["mode"] == "full"
    assert "longer than the 14-day window" in second.changes["reason"]
    assert details_landed_by(cfg, "run-2") == details_landed_by(cfg, "run-1")


def test_a_broken_feed_leaves_freshness_in_charge_and_the_state_where_it_was(
    settings: Settings, fake: RunningUpstream
) -> None:
    cfg = configure(settings, fake)
    run(cfg, "run-1")
    before = state(cfg)
    broken = cfg.model_copy(update={"tmdb_url": fake.base_url + "/nowhere"})
    # Same warehouse, a TMDB that 404s everything: lists stay fresh, the feed fails.
    second = run(broken, "run-2")
    assert second.changes["mode"] == "unavailable"
    assert details_landed_by(cfg, "run-2") == set()
    assert state(cfg) == before


def test_the_hourly_lists_run_refreshes_lists_but_not_details(
    settings: Settings, fake: RunningUpstream
) -> None:
    cfg = configure(settings, fake)
    run(cfg, "run-1")
    with open_warehouse(cfg) as con:  # an hour passes
        for table in ("raw_tmdb_lists", "raw_tmdb_movies"):
            con.execute(f"UPDATE {table} SET fetched_at = fetched_at - INTERVAL 61 MINUTE")
    lists = run(cfg, "run-lists", scope="lists")
    assert lists.tables["raw_tmdb_lists"].fetched > 0
    assert lists.tables["raw_tmdb_lists"].skipped_fresh == 0
    movies = run(cfg, "run-movies", scope="movies")
    assert movies.tables["raw_tmdb_movies"].fetched == 0  # details: a longer window


# --- walking the feed -------------------------------------------------------------------------
def _walk(upstream: RunningUpstream, settings: Settings, start: date, end: date) -> Any:
    async def go() -> Any:
        async with open_clients(configure(settings, upstream), policy=FAST) as clients:
            return await changed_ids(clients.tmdb, "movie", start, end)

    return asyncio.run(go())


def test_every_page_of_every_day_is_walked(settings: Settings, fake: RunningUpstream) -> None:
    catalogue = fake.catalogue
    catalogue.change_rate = 0.6  # > 100 ids a day: several pages
    start, end = date(2026, 3, 1), date(2026, 3, 3)
    ids, requests = _walk(fake, settings, start, end)
    expected: set[int] = set()
    for day in days_between(start, end):
        page, total = 1, 1
        while page <= total:
            body = catalogue.changes(day, day + timedelta(days=1), page)
            expected.update(item["id"] for item in body["results"])
            total, page = body["total_pages"], page + 1
    assert ids == expected and requests > 3


def test_the_tv_feed_is_served_and_walked_the_same_way(
    settings: Settings, fake: RunningUpstream
) -> None:
    show = fake.catalogue.tv_ids[0]
    fake.catalogue.touch([show], kind="tv", on=date(2026, 3, 2))

    async def go() -> Any:
        async with open_clients(configure(settings, fake), policy=FAST) as clients:
            return await changed_ids(clients.tmdb, "tv", date(2026, 3, 2), date(2026, 3, 2))

    assert asyncio.run(go()) == ({show}, 1)
    assert fake.catalogue.tv_show(show)["overview"].endswith("(revision 1)")  # type: ignore[index]


def test_a_window_longer_than_fourteen_days_is_refused_before_any_request() -> None:
    with pytest.raises(ChangesFeedError, match="14-day"):
        asyncio.run(changed_ids(None, "movie", date(2026, 1, 1), date(2026, 1, 16)))  # type: ignore[arg-type]


def test_a_failed_page_fails_the_whole_walk(settings: Settings) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("page") == "2":
            return httpx.Response(500, text="boom")
        body = {"results": [{"id": 1}], "page": 1, "total_pages": 2, "total_results": 101}
        return httpx.Response(200, json=body)

    async def go() -> Any:
        cfg = settings.model_copy(update={"tmdb_url": "http://tmdb.test/tmdb"})
        transport = httpx.MockTransport(handler)
        async with open_clients(cfg, transport=transport, policy=FAST) as clients:
            return await changed_ids(clients.tmdb, "movie", date(2026, 1, 1), date(2026, 1, 1))

    with pytest.raises(ChangesFeedError, match="500"):
        asyncio.run(go())


# --- pure parts ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "body",
    [None, [], "results", {"results": None}, {"results": {}}, {"results": [], "total_pages": -1},
     {"results": [], "total_pages": "3"}, {"results": [], "total_pages": True}],
)  # fmt: skip
def test_a_body_that_is_not_a_changes_page_is_refused(body: object) -> None:
    with pytest.raises(ChangesFeedError):
        ids_of_page(body, "movie:2026-01-01:1")


def test_malformed_items_are_skipped_and_pages_are_capped() -> None:
    items = [{"id": 5}, {"id": True}, {"id": -1}, {"id": 0}, {"id": "7"}, {"id": 2**63}, "x", {}]
    ids, pages = ids_of_page({"results": items, "total_pages": 10**9}, "k")
    assert ids == [5] and pages == 500


def test_requests_cover_one_day_each_and_refuse_unknown_feeds() -> None:
    request = changes_request("movie", date(2026, 2, 28), 3)
    assert request.path == "/3/movie/changes"
    assert dict(request.params) == {"start_date": "2026-02-28", "end_date": "2026-03-01", "page": 3}
    assert changes_request("tv", date(2026, 2, 28), 1).path == "/3/tv/changes"
    with pytest.raises(ValueError):
        changes_request("person", date(2026, 2, 28), 1)
    assert days_between(date(2026, 1, 2), date(2026, 1, 1)) == []


def _state(end: datetime) -> FeedState:
    return FeedState("tmdb_movie_changes", end, "r", "full", 0, end)


@pytest.mark.parametrize(
    ("end", "full"),
    [
        (None, True),
        (NOW - timedelta(days=14), False),
        (NOW - timedelta(days=14, seconds=1), True),
        (NOW - timedelta(minutes=5), False),
        (NOW + timedelta(days=2), True),
    ],
)
def test_full_refresh_when_there_is_no_state_or_the_gap_is_too_long(
    end: datetime | None, full: bool
) -> None:
    reason = full_refresh_reason(None if end is None else _state(end), NOW)
    assert (reason is not None) is full


def test_the_state_never_moves_backwards() -> None:
    con = duckdb.connect()
    now = utcnow()
    advance_state(con, "tmdb_movie_changes", now, "new", mode="incremental", changed=3, now=now)
    advance_state(
        con, "tmdb_movie_changes", now - timedelta(hours=1), "old", mode="full", changed=0, now=now
    )
    current = read_state(con, "tmdb_movie_changes")
    assert current is not None and current.run_id == "new" and current.changed == 3
