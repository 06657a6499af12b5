"""Multi-episode releases through staging and the TV marts: a run maps to each episode it
holds (and only to episodes that exist), its first episode ranks like a pack and its later
ones below a pack, and its bitrate is its size over the run's runtime."""

from __future__ import annotations

from typing import Any

import duckdb

from tests.warehouse.rawdata import RawWriter
from tests.warehouse.tvdata import land_show, torrent
from warehouse.marts_tv import MULTI_LATER_POINTS, PACK_POINTS
from warehouse.reconcile import format_reconciliation
from warehouse.transform import transform

H = [f"{n:02x}" * 20 for n in range(1, 20)]
SAME: dict[str, Any] = {"seeds": 80, "peers": 10}
PER_EPISODE = 250_000_000  # bytes: equal bitrates for a single, a double and a 3-episode pack


def _sized(episodes: int) -> dict[str, Any]:
    return {**SAME, "size_bytes": str(PER_EPISODE * episodes)}


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[object, ...]]:
    return con.execute(sql).fetchall()


def _ranked(con: duckdb.DuckDBPyConnection, season: int, episode: int) -> list[str]:
    return [
        str(h)
        for (h,) in _rows(
            con,
            "SELECT info_hash FROM mart_episode_sources WHERE season_number = "
            f"{season} AND episode_number = {episode} AND rank_tv IS NOT NULL ORDER BY rank_tv",
        )
    ]


def test_a_double_episode_plays_both_episodes_the_second_below_a_pack(raw: RawWriter) -> None:
    land_show(raw, [torrent(H[0], "Show.1220.S01E01E02.720p.WEB-DL.x264-GRP")])
    raw.flush()
    summary = transform(raw.con, "run-1")
    assert summary.reconciliation_ok, format_reconciliation(summary.reconciliation)
    rows = _rows(
        raw.con,
        "SELECT season_number, episode_number, is_pack, c_pack FROM mart_episode_sources "
        "ORDER BY episode_number",
    )
    assert rows == [(1, 1, False, PACK_POINTS), (1, 2, False, MULTI_LATER_POINTS)]
    staged = _rows(
        raw.con,
        "SELECT season_number, episode_number, last_episode_number, is_pack "
        "FROM stg_eztv__torrents",
    )
    assert staged == [(1, 1, 2, False)]
    assert _rows(raw.con, "SELECT episode_number FROM mart_show_sources") == [(1,)]
    assert _rows(raw.con, "SELECT count(*) FROM quarantine") == [(0,)]


def test_every_spelling_of_a_run_maps_to_the_same_episodes(raw: RawWriter) -> None:
    names = [
        "Show 1220 S01E01-E02 720p HDTV x264-A",
        "Show.1220.S01E02-03.720p.WEB.H264-B",
        "Show 1220 1x01-1x03 HDTV x264-C",
    ]
    land_show(raw, [torrent(h, n) for h, n in zip(H, names, strict=False)])
    raw.flush()
    transform(raw.con, "run-1")
    rows = _rows(
        raw.con,
        "SELECT info_hash, list(episode_number ORDER BY episode_number) "
        "FROM mart_episode_sources GROUP BY 1 ORDER BY 1",
    )
    assert rows == [(H[0], [1, 2]), (H[1], [2, 3]), (H[2], [1, 2, 3])]


def test_a_run_past_the_seasons_end_maps_only_to_episodes_that_exist(raw: RawWriter) -> None:
    land_show(raw, [torrent(H[0], "Show 1220 S02E02-E04 720p HDTV x264-GRP")])
    raw.flush()
    transform(raw.con, "run-1")
    rows = _rows(raw.con, "SELECT season_number, episode_number FROM mart_episode_sources")
    assert rows == [(2, 2)]  # season 2 has two episodes


def test_at_equal_quality_single_beats_run_start_and_pack_beats_run_later(
    raw: RawWriter,
) -> None:
    land_show(
        raw,
        [
            torrent(H[0], "Show 1220 S01E01E02 1080p WEB-DL x264-A", **_sized(2)),
            torrent(H[1], "Show 1220 S01E01 1080p WEB-DL x264-A", **_sized(1)),
            torrent(H[2], "Show 1220 S01 COMPLETE 1080p WEB-DL x264-A", **_sized(3)),
        ],
    )
    raw.flush()
    transform(raw.con, "run-1")
    assert _ranked(raw.con, 1, 1)[0] == H[1]
    assert _ranked(raw.con, 1, 2) == [H[2], H[0]]


def test_a_runs_bitrate_is_its_size_over_the_runs_runtime(raw: RawWriter) -> None:
    land_show(
        raw,
        [
            torrent(H[0], "Show 1220 S01E01E02 1080p WEB-DL x264-GRP", **_sized(1)),
            torrent(H[1], "Show 1220 S01E03 1080p WEB-DL x264-GRP", **_sized(1)),
        ],
    )
    raw.flush()
    transform(raw.con, "run-1")
    sql = "SELECT info_hash, max(bitrate_mbps) FROM mart_episode_sources GROUP BY 1"
    rates = {str(h): float(str(r)) for h, r in _rows(raw.con, sql)}
    assert abs(rates[H[0]] * 2 - rates[H[1]]) < 1e-6
