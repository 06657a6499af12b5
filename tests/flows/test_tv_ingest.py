"""TV ingest: request building refuses hostile ids; against the fake upstream with faults
(20 % 5xx, 429 bursts, malformed bodies, a dead first EZTV mirror) every show, season and
EZTV page the fake serves lands with status 200, and an unchanged rerun asks for nothing."""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from core.settings import Settings
from flows.clients import open_clients
from flows.context import IngestContext, TableCounts
from flows.eztv import EZTV, PAGE_LIMIT, eztv_request, page_count, split_entity_key
from flows.ingest import _caller
from flows.tv import season_numbers, season_request, show_request
from flows.tv_ingest import TvSummary, fetch_show_async, run_tv_ingest
from sandbox.catalogue import SyntheticCatalogue
from sandbox.fake_upstream import RunningUpstream, UpstreamConfig, start_fake_upstream
from sandbox.faults import FaultConfig
from sandbox.tv_records import layout
from warehouse.db import open_warehouse
from warehouse.schema import ensure_base_schema
from warehouse.sync_state import read_state

FAULTS = FaultConfig(
    error_rate=0.2,
    rate_limit_burst_every=40,
    rate_limit_burst_len=3,
    retry_after_s=0,
    malformed_rate=0.05,
    dead_mirrors=frozenset({"eztv"}),
    seed=17,
)


@pytest.mark.parametrize(
    ("show", "season"),
    [(0, 1), (-1, 1), (True, 1), (1, -1), (1, 1001), (1, "2"), (2**63, 1), (1, 1.0)],
)
def test_season_requests_refuse_hostile_ids(show: Any, season: Any) -> None:
    with pytest.raises(ValueError):
        season_request(show, season, "en")


def test_show_and_season_request_keys_are_canonical() -> None:
    assert show_request(1399, "en").key == (
        "GET /3/tv/1399?append_to_response=external_ids,translations,images&language=en"
    )
    assert season_request(1399, 0, "es").key == "GET /3/tv/1399/season/0?language=es"
    assert season_request(1399, 2, "en").entity_key == "1399:2"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("[1, 2, 2, 0]", (0, 1, 2)),
        ('[null, -1, 1001, "3", 2.0, true, 4]', (4,)),
        ('{"a": 1}', ()),
        ("not json", ()),
        (None, ()),
        (json.dumps(list(range(500))), tuple(range(100))),
    ],
)
def test_season_numbers_keep_only_sane_values(raw: object, expected: tuple[int, ...]) -> None:
    assert season_numbers(raw) == expected


def test_eztv_requests_strip_tt_and_bound_the_pages() -> None:
    request = eztv_request("tt0944947", 2)
    assert request.key == "GET /api/get-torrents?imdb_id=0944947&limit=100&page=2"
    assert split_entity_key(request.entity_key) == ("tt0944947", 2)
    for bad in ("0944947", "tt1&page=9", "", "TT0944947"):
        with pytest.raises(ValueError):
            eztv_request(bad)
    for page in (0, 31):
        with pytest.raises(ValueError):
            eztv_request("tt0944947", page)


@pytest.mark.parametrize(
    ("count", "pages"),
    [(0, 0), (1, 1), (100, 1), (101, 2), (10**9, 30), (-5, 0), ("250", 0), (None, 0), (True, 0)],
)
def test_page_count_follows_torrents_count_within_bounds(count: Any, pages: int) -> None:
    assert page_count(count) == pages


def test_only_a_first_page_announces_more_pages() -> None:
    assert [r.entity_key for r in EZTV.more_requests("tt0944947:1", 250)] == [
        "tt0944947:2",
        "tt0944947:3",
    ]
    assert EZTV.more_requests("tt0944947:2", 250) == []
    assert EZTV.more_requests("junk", 250) == []


@pytest.fixture
def faulty(settings: Settings) -> Iterator[tuple[Settings, RunningUpstream]]:
    catalogue = SyntheticCatalogue(200, seed=21)
    catalogue.change_rate = 0.0  # the TV changes feed names only what a test touches
    config = UpstreamConfig(catalogue=catalogue, faults=FAULTS)
    with start_fake_upstream(config) as upstream:
        cfg = settings.model_copy(
            update={
                "tmdb_url": upstream.tmdb_url,
                "yts_urls": upstream.yts_urls,
                "eztv_urls": upstream.eztv_urls,  # the dead one first
                "tmdb_rate_limit": 5000.0,
                "yts_rate_limit": 5000.0,
                "eztv_rate_limit": 5000.0,
                "tmdb_list_pages": 2,
                "http_retries": 10,
                "http_timeout": 2.0,
            }
        )
        yield cfg, upstream


def _latest(cfg: Settings, table: str) -> dict[str, tuple[int, str]]:
    sql = (
        f"SELECT request_key, arg_max(status, fetched_at), arg_max(payload, fetched_at) "
        f"FROM {table} GROUP BY request_key"
    )
    with open_warehouse(cfg, read_only=True) as con:
        return {k: (s, p) for k, s, p in con.execute(sql).fetchall()}


def _run(cfg: Settings, run_id: str, scope: str = "all") -> TvRun:
    """The TV part alone, as the ingest flow runs it (one loop, shared clients)."""

    async def main() -> TvRun:
        with open_warehouse(cfg) as con:
            ensure_base_schema(con)
            async with open_clients(cfg) as clients:
                ctx = IngestContext(con, clients, cfg, run_id)
                summary = await run_tv_ingest(ctx, _caller(False), scope=scope)
                return TvRun(summary, ctx.counts)

    return asyncio.run(main())


@dataclass
class TvRun:
    summary: TvSummary
    tables: dict[str, TableCounts]

    @property
    def failed(self) -> int:
        return sum(c.failed for c in self.tables.values())

    def landed(self, table: str) -> int:
        return self.tables.get(table, TableCounts()).landed


def test_every_show_season_and_eztv_page_the_fake_serves_lands_despite_faults(
    faulty: tuple[Settings, RunningUpstream],
) -> None:
    cfg, upstream = faulty
    catalogue = upstream.catalogue
    summary = _run(cfg, "run-tv")
    assert summary.failed == 0
    assert summary.summary.shows == len(catalogue.tv_ids)

    shows = _latest(cfg, "raw_tmdb_shows")
    seasons = _latest(cfg, "raw_tmdb_seasons")
    eztv = _latest(cfg, "raw_eztv_torrents")
    expected_pages = 0
    for show_id in catalogue.tv_ids:
        status, payload = shows[show_request(show_id, "en").key]
        assert status == 200 and json.loads(payload) == catalogue.tv_show(show_id, "en")
        for number in range(1, len(layout(catalogue.seed, show_id)[1]) + 1):
            status, payload = seasons[season_request(show_id, number, "en").key]
            assert status == 200 and json.loads(payload) == catalogue.tv_season(show_id, number)
        imdb = catalogue.show_imdb_id(show_id)
        if imdb is None:
            continue
        torrents = catalogue.eztv_torrents(imdb)
        pages = math.ceil(len(torrents) / PAGE_LIMIT)
        expected_pages += pages
        landed = []
        for page in range(1, pages + 1):
            status, payload = eztv[eztv_request(imdb, page).key]
            assert status == 200
            landed += [t["hash"] for t in json.loads(payload).get("torrents", [])]
        assert landed == [t["hash"] for t in torrents]
    assert len(eztv) == expected_pages > len(catalogue.tv_ids)  # some shows needed paging
    injected = upstream.stats.snapshot()["faults"]
    for kind in ("server_error", "rate_limited", "dead_mirror", "malformed"):
        assert injected.get(kind, 0) > 0, kind

    upstream.stats.reset()
    second = _run(cfg, "run-tv-2")
    tv_requests = {
        route: n
        for route, n in upstream.stats.snapshot()["requests"].items()
        if ("tv" in route or "eztv" in route or "season" in route) and "changes" not in route
    }
    assert tv_requests == {}  # only the TV changes feed was asked (it names nothing)
    assert second.landed("raw_tmdb_shows") == 0
    assert second.summary.refresh["mode"] == "incremental"
    assert second.summary.refresh["changed"] == 0


def test_a_show_the_changes_feed_names_is_refetched_and_no_other(
    faulty: tuple[Settings, RunningUpstream],
) -> None:
    cfg, upstream = faulty
    upstream.set_faults(FaultConfig())
    catalogue = upstream.catalogue
    first = _run(cfg, "run-full")
    assert first.summary.refresh["mode"] == "full"  # no sync_state yet
    touched = catalogue.tv_ids[3]
    catalogue.touch([touched], kind="tv")
    second = _run(cfg, "run-changed")
    assert second.summary.refresh == {
        "feed": "tv", "mode": "incremental", "reason": second.summary.refresh["reason"],
        "changed": 1, "requests": 1,
    }  # fmt: skip
    seasons = len(layout(catalogue.seed, touched)[1])
    assert second.landed("raw_tmdb_shows") == len(cfg.tmdb_languages)
    assert second.landed("raw_tmdb_seasons") == seasons
    status, payload = _latest(cfg, "raw_tmdb_shows")[show_request(touched, "en").key]
    assert status == 200 and json.loads(payload) == catalogue.tv_show(touched, "en")
    assert "(revision 1)" in json.loads(payload)["overview"]
    with open_warehouse(cfg) as con:
        state = read_state(con, "tmdb_tv_changes")
    assert state is not None and (state.run_id, state.mode) == ("run-changed", "incremental")


def test_scopes_stop_where_the_movie_scopes_stop(
    faulty: tuple[Settings, RunningUpstream],
) -> None:
    cfg, upstream = faulty
    upstream.set_faults(FaultConfig())
    lists = _run(cfg, "run-lists", "lists")
    assert lists.landed("raw_tmdb_tv_lists") > 0
    assert lists.landed("raw_tmdb_shows") == 0
    movies = _run(cfg, "run-movies", "movies")
    assert movies.landed("raw_tmdb_seasons") > 0
    assert movies.landed("raw_eztv_torrents") == 0
    sources = _run(cfg, "run-sources", "sources")
    assert sources.landed("raw_tmdb_shows") == 0  # fresh
    assert sources.landed("raw_eztv_torrents") > 0


def test_one_show_can_be_fetched_on_demand(faulty: tuple[Settings, RunningUpstream]) -> None:
    cfg, upstream = faulty
    show_id = upstream.catalogue.tv_ids[-1]
    summary = asyncio.run(fetch_show_async(cfg, "run-show", show_id))
    assert summary.seasons == len(layout(upstream.catalogue.seed, show_id)[1])
    assert show_request(show_id, "en").key in _latest(cfg, "raw_tmdb_shows")
    with pytest.raises(ValueError):
        asyncio.run(fetch_show_async(cfg, "run-show", 0))


@pytest.mark.usefixtures("prefect_harness")
def test_the_fetch_show_flow_lands_one_show_as_prefect_tasks(settings: Settings) -> None:
    from flows.show_flow import show_flow

    catalogue = SyntheticCatalogue(50, seed=4)
    with start_fake_upstream(UpstreamConfig(catalogue=catalogue)) as upstream:
        cfg = settings.model_copy(
            update={"tmdb_url": upstream.tmdb_url, "eztv_urls": upstream.eztv_urls}
        )
        show_id = catalogue.tv_ids[0]
        state = show_flow(show_id, settings=cfg, return_state=True)
    assert state.is_completed()
    summary = state.result()
    assert summary.seasons == len(layout(catalogue.seed, show_id)[1])
    assert show_request(show_id, "en").key in _latest(cfg, "raw_tmdb_shows")
