"""Multi-episode releases end to end: the double episodes the fake EZTV serves (every
spelling: S01E01E02, S01E01-E02, S01E01-02, 1x01-1x02) are ingested despite faults, staged
as one run each and ranked for both episodes they hold; none is quarantined."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator

import duckdb
import pytest

from core.settings import Settings
from flows.ingest import ingest_async
from sandbox.catalogue import SyntheticCatalogue
from sandbox.fake_upstream import RunningUpstream, UpstreamConfig, start_fake_upstream
from sandbox.faults import FaultConfig
from warehouse.db import open_warehouse
from warehouse.release_names import clean_title
from warehouse.transform import transform

FAULTS = FaultConfig(error_rate=0.2, rate_limit_burst_every=40, rate_limit_burst_len=3,
                     retry_after_s=0, dead_mirrors=frozenset({"eztv"}), seed=5)  # fmt: skip
DOUBLE = re.compile(r"(S\d{2}E01E02|S\d{2}E01-E?02|\d{1,2}x01-\d{1,2}x02)[. ]")


@pytest.fixture
def upstream(settings: Settings) -> Iterator[tuple[Settings, RunningUpstream]]:
    catalogue = SyntheticCatalogue(300, seed=8)
    with start_fake_upstream(UpstreamConfig(catalogue=catalogue, faults=FAULTS)) as running:
        cfg = settings.model_copy(
            update={
                "tmdb_url": running.tmdb_url,
                "yts_urls": running.yts_urls,
                "eztv_urls": running.eztv_urls,
                "tmdb_rate_limit": 5000.0,
                "yts_rate_limit": 5000.0,
                "eztv_rate_limit": 5000.0,
                "tmdb_list_pages": 2,
                "http_retries": 10,
                "http_timeout": 2.0,
            }
        )
        yield cfg, running


def _served_doubles(catalogue: SyntheticCatalogue) -> dict[str, str]:
    """hash -> release name of every double episode the fake lists for a listed show."""
    found: dict[str, str] = {}
    for show_id in catalogue.tv_ids:
        imdb = catalogue.show_imdb_id(show_id)
        for t in catalogue.eztv_torrents(imdb) if imdb else []:
            name = clean_title(t["title"])
            if DOUBLE.search(name):
                found[t["hash"]] = name
    return found


def test_double_episodes_the_fake_serves_rank_for_both_of_their_episodes(
    upstream: tuple[Settings, RunningUpstream],
) -> None:
    cfg, running = upstream
    doubles = _served_doubles(running.catalogue)
    spellings = {_spelling(n) for n in doubles.values()}
    assert len(doubles) >= 4 and len(spellings) >= 3, doubles
    summary = asyncio.run(ingest_async(cfg, "run-1", tv=True))
    assert summary.failed == 0
    con = open_warehouse(cfg, wait=5.0)
    try:
        transform(con, "run-1")
        rows = _fetch(
            con,
            "SELECT info_hash, season_number, list(episode_number ORDER BY episode_number) "
            "FROM mart_episode_sources GROUP BY 1, 2",
        )
        quarantined = {h for (h,) in _fetch(con, "SELECT record_key FROM quarantine")}
    finally:
        con.close()
    mapped = {str(h): (s, e) for h, s, e in rows}
    for info_hash, name in doubles.items():
        assert info_hash not in quarantined, name
        assert info_hash in mapped, name
        assert mapped[info_hash][1] == [1, 2], name


def _spelling(name: str) -> str:
    for marker in ("E01E02", "E01-E02", "E01-02", "x01-"):
        if marker in name:
            return marker
    return ""


def _fetch(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[object, ...]]:
    return con.execute(sql).fetchall()
