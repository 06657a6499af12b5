"""Scraped counts in the warehouse: the history analysts chart, and the counts scoring uses
(the newest scrape replaces the provider's seeds/peers when it is newer)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import duckdb
import polars as pl

from tests.warehouse.rawdata import T0, RawWriter, tmdb_movie, yts_envelope, yts_torrent
from warehouse import source_stats
from warehouse.source_stats import StatRow, apply_scraped_counts, stage_history
from warehouse.transform import transform

IMDB = "tt0137523"
SCRAPED, STALE, UNSCRAPED = "a" * 40, "b" * 40, "c" * 40


def sid(info_hash: str) -> str:
    """Stand-in for source_id_for(keyring, info_hash)."""
    return "sid-" + info_hash[:8]


def land_round(
    con: duckdb.DuckDBPyConnection, when: datetime, run_id: str, rows: list[StatRow]
) -> None:
    source_stats.land(con, rows, when, run_id)


def test_history_keeps_one_row_per_source_and_round_with_the_best_tracker() -> None:
    con = duckdb.connect()
    land_round(
        con,
        T0,
        "r1",
        [
            StatRow("s1", "udp://a:1", "ok", 10, 4, 100),
            StatRow("s1", "http://b:2", "ok", 12, 3, 90),
            StatRow("s1", "udp://c:3", "error", error="no answer"),
            StatRow("s2", "udp://a:1", "missing"),
            StatRow("s3", "udp://a:1", "ok", -5, 1, 0),  # a lying tracker: not counted
            StatRow("s3", "http://b:2", "ok", 10**9, 1, 0),
        ],
    )
    land_round(con, T0 + timedelta(hours=1), "r2", [StatRow("s1", "udp://a:1", "ok", 20, 5, 101)])
    history = stage_history(con)
    assert history.select(
        "source_id", "seeders", "leechers", "trackers_ok", "trackers_asked"
    ).rows() == [
        ("s1", 12, 4, 2, 3),
        ("s1", 20, 5, 1, 1),
    ]


def _torrents(fetched: datetime) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "info_hash": [SCRAPED, STALE, UNSCRAPED],
            "seeds": [1, 1, 1],
            "peers": [2, 2, 2],
            "fetched_at": [fetched] * 3,
        },
        schema={"info_hash": pl.String, "seeds": pl.Int32, "peers": pl.Int32,
                "fetched_at": pl.Datetime("us")},
    )  # fmt: skip


def _history(rows: list[tuple[str, datetime, int, int]]) -> pl.DataFrame:
    return pl.DataFrame(
        [(s, at, se, le, 0, 1, 1, "r") for s, at, se, le in rows],
        schema=source_stats.STG_SCHEMA,
        orient="row",
    )


def test_newer_scrapes_replace_the_provider_counts_and_older_ones_do_not() -> None:
    tables = {
        "stg_yts__torrents": _torrents(T0),
        source_stats.STG: _history(
            [
                (sid(SCRAPED), T0 - timedelta(hours=2), 99, 99),
                (sid(SCRAPED), T0 + timedelta(hours=1), 40, 7),  # newest, after YTS answered
                (sid(STALE), T0 - timedelta(hours=1), 50, 50),  # before YTS answered
            ]
        ),
    }
    out = apply_scraped_counts(tables, sid)["stg_yts__torrents"]
    assert out.columns == tables["stg_yts__torrents"].columns
    assert out.schema == tables["stg_yts__torrents"].schema
    assert out.select("info_hash", "seeds", "peers").rows() == [
        (SCRAPED, 40, 7),
        (STALE, 1, 2),
        (UNSCRAPED, 1, 2),
    ]
    assert apply_scraped_counts(tables, None)["stg_yts__torrents"].equals(
        tables["stg_yts__torrents"]
    )


def sources(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, Any]]:
    cursor = con.execute("SELECT * FROM mart_sources")
    names = [d[0] for d in cursor.description]
    return {row[0]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}


def test_a_scrape_that_finds_seeders_makes_a_dead_source_available_and_ranked(
    raw: RawWriter,
) -> None:
    raw.movie(tmdb_movie(550, IMDB), 550)
    raw.yts(
        yts_envelope(
            IMDB,
            [
                yts_torrent(SCRAPED, "1080p", seeds=0, peers=0),
                yts_torrent(UNSCRAPED, "720p", seeds=0, peers=0),
            ],
        ),
        IMDB,
    )
    raw.flush()
    later = raw.clock + timedelta(hours=1)
    land_round(raw.con, later, "scrape-1", [StatRow(sid(SCRAPED), "udp://a:1", "ok", 30, 4, 9)])

    transform(raw.con, "run-1", source_key=sid)
    got = sources(raw.con)
    assert (got[SCRAPED]["seeds"], got[SCRAPED]["peers"]) == (30, 4)
    assert got[SCRAPED]["available"] and got[SCRAPED]["rank_web"] == 1
    assert not got[UNSCRAPED]["available"] and got[UNSCRAPED]["rank_web"] is None
    charted = raw.con.execute("SELECT source_id, seeders FROM stg_source_stats_history").fetchall()
    assert charted == [(sid(SCRAPED), 30)]
