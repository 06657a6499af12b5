"""Marts: exactly the MART_DDL columns, magnets, source counts, runtime fallback, config."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import duckdb

from tests.warehouse.rawdata import (
    CONFIGURATION,
    RawWriter,
    imdb_of,
    list_page,
    tmdb_movie,
    yts_envelope,
    yts_torrent,
)
from warehouse.marts import PUBLIC_TRACKERS, magnet_link
from warehouse.schema import MART_DDL, MART_TABLES, TV_MART_DDL
from warehouse.transform import transform

H1, H2 = "a1" * 20, "b2" * 20


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in con.execute(f"DESCRIBE {table}").fetchall()]


def test_marts_have_exactly_the_contract_columns(sampled: RawWriter) -> None:
    transform(sampled.con, "run-1")
    reference = duckdb.connect()
    reference.execute(MART_DDL + TV_MART_DDL)
    for table in MART_TABLES:
        assert _columns(sampled.con, table) == _columns(reference, table), table
        assert sampled.con.execute(f"SELECT count(*) FROM {table}").fetchone() != (0,), table


def test_magnet_carries_hash_title_and_public_trackers(raw: RawWriter) -> None:
    raw.movie(tmdb_movie(7, imdb_of(7), title="Amélie & Co: 2/3 #1"), 7)
    raw.yts(yts_envelope(imdb_of(7), [yts_torrent(H1.upper())]), imdb_of(7))
    raw.flush()
    transform(raw.con, "run-1")
    ((magnet,),) = raw.con.execute("SELECT magnet FROM mart_sources").fetchall()
    assert magnet == magnet_link(H1, "Amélie & Co: 2/3 #1")
    assert magnet.startswith(f"magnet:?xt=urn:btih:{H1}&dn=")
    query = parse_qs(urlsplit(magnet).query)
    assert query["dn"] == ["Amélie & Co: 2/3 #1"]
    assert query["tr"] == list(PUBLIC_TRACKERS)
    assert query["xt"] == [f"urn:btih:{H1}"]


def test_source_count_and_movies_without_sources(raw: RawWriter) -> None:
    for tmdb_id in (1, 2):
        raw.movie(tmdb_movie(tmdb_id, imdb_of(tmdb_id)), tmdb_id)
    raw.yts(yts_envelope(imdb_of(1), [yts_torrent(H1), yts_torrent(H2, "720p")]), imdb_of(1))
    raw.flush()
    transform(raw.con, "run-1")
    assert raw.con.execute(
        "SELECT tmdb_id, source_count FROM mart_movies ORDER BY tmdb_id"
    ).fetchall() == [(1, 2), (2, 0)]


def test_runtime_falls_back_to_yts_then_to_neutral(raw: RawWriter) -> None:
    raw.movie(tmdb_movie(1, imdb_of(1), runtime=0), 1)
    raw.movie(tmdb_movie(2, imdb_of(2), runtime=None), 2)
    raw.yts(yts_envelope(imdb_of(1), [yts_torrent(H1)], runtime=100), imdb_of(1))
    raw.yts(yts_envelope(imdb_of(2), [yts_torrent(H2)], runtime=0), imdb_of(2))
    raw.flush()
    transform(raw.con, "run-1")
    rows = raw.con.execute(
        "SELECT tmdb_id, bitrate_mbps, c_bitrate FROM mart_sources ORDER BY tmdb_id"
    ).fetchall()
    assert rows[0][1] is not None and abs(rows[0][1] - 2e9 * 8 / 6000 / 1e6) < 1e-9
    assert rows[1][1:] == (None, 0.0)


def test_only_existing_movies_reach_the_list_mart(raw: RawWriter) -> None:
    raw.movie(tmdb_movie(1, None), 1)
    raw.movie({"status_code": 34}, 2, status=404)
    raw.list_page(list_page(1, [2, 1, 3]), "trending", 1)
    raw.flush()
    transform(raw.con, "run-1")
    assert raw.con.execute("SELECT * FROM mart_list_members").fetchall() == [("trending", 2, 1)]


def test_config_mart_is_key_value_with_json_sizes(raw: RawWriter) -> None:
    raw.configuration(CONFIGURATION)
    raw.flush()
    transform(raw.con, "run-1")
    config = dict(raw.con.execute("SELECT key, value FROM mart_config").fetchall())
    assert config["image_base_url"] == "https://image.tmdb.org/t/p/"
    assert json.loads(config["poster_sizes"]) == ["w92", "w500", "original"]
    assert json.loads(config["backdrop_sizes"]) == ["w300", "original"]


def test_ranks_in_the_mart_are_contiguous_per_movie(sampled: RawWriter) -> None:
    transform(sampled.con, "run-1")
    bad = sampled.con.execute(
        """
        SELECT tmdb_id FROM mart_sources GROUP BY tmdb_id
        HAVING max(rank_tv) <> count(*) OR count(DISTINCT rank_tv) <> count(*)
            OR coalesce(max(rank_web), 0) <> count(rank_web)
        """
    ).fetchall()
    assert bad == []
