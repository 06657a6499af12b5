"""Engine outcomes: landing -> stg_engine__outcomes (+ quarantine) -> 7-day aggregates ->
scores: a stalled source is demoted with an explanation, a dead unseen one is unavailable."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import duckdb

from core.settings import Settings
from core.source_outcomes import OutcomeEvent, OutcomeWriter, outcomes_path
from flows.engine_outcomes import land_engine_outcomes
from tests.warehouse.rawdata import T0, RawWriter, tmdb_movie, yts_envelope, yts_torrent
from warehouse.checks import run_checks
from warehouse.transform import transform

IMDB = "tt0137523"
STALLING, RELIABLE, DEAD, DEAD_SEEN = "a" * 40, "b" * 40, "c" * 40, "d" * 40


def sid(info_hash: str) -> str:
    """Stand-in for source_id_for(keyring, info_hash) (not an info hash itself)."""
    return "sid-" + info_hash[:8]


def land_movie(raw: RawWriter) -> None:
    raw.movie(tmdb_movie(550, IMDB), 550)
    raw.yts(
        yts_envelope(
            IMDB,
            [
                yts_torrent(STALLING, "1080p", type="bluray"),
                yts_torrent(RELIABLE, "1080p", type="web"),
                yts_torrent(DEAD, "2160p", seeds=0, peers=0),
                yts_torrent(DEAD_SEEN, "720p", seeds=0, peers=0),
            ],
        ),
        IMDB,
    )
    raw.flush()


def write_events(data_dir: Path) -> None:
    writer = OutcomeWriter(outcomes_path(data_dir))
    day = timedelta(days=1)
    writer.append(
        [
            OutcomeEvent(sid(STALLING), "opened", ms=900.0, peers=12, at=T0 - 3 * day),
            OutcomeEvent(sid(STALLING), "stalled", peers=2, at=T0 - 2 * day),
            OutcomeEvent(sid(STALLING), "stalled", peers=1, at=T0 - day),
            OutcomeEvent(sid(STALLING), "stalled", at=T0 - 12 * day),  # older than a week
            OutcomeEvent(sid(RELIABLE), "first_byte", ms=120.0, peers=30, at=T0 - day),
            OutcomeEvent(sid(DEAD), "metadata_timeout", peers=0, at=T0 - day),
            OutcomeEvent(sid(DEAD_SEEN), "opened", ms=4000.0, peers=3, at=T0 - day),
            OutcomeEvent(sid(RELIABLE), "exploded", at=T0 - day),  # malformed: quarantined
            OutcomeEvent(sid(RELIABLE), "first_byte", ms=-5.0, at=T0 - day),  # malformed
        ]
    )
    writer.close()


def sources(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, Any]]:
    cursor = con.execute("SELECT * FROM mart_sources")
    names = [d[0] for d in cursor.description]
    return {row[0]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}


def test_outcomes_land_stage_aggregate_and_move_the_ranking(raw: RawWriter, tmp_path: Path) -> None:
    land_movie(raw)
    write_events(tmp_path)
    settings = cast(Settings, SimpleNamespace(data_dir=tmp_path))
    landed = land_engine_outcomes(raw.con, settings, "run-1")
    assert landed.landed == 9 and landed.error is None
    assert land_engine_outcomes(raw.con, settings, "run-2").landed == 0  # watermark

    transform(raw.con, "run-1", source_key=sid)
    con = raw.con

    staged = con.execute("SELECT count(*) FROM stg_engine__outcomes").fetchone()
    assert staged == (7,)
    refused = con.execute(
        "SELECT reason FROM quarantine WHERE source_table = 'raw_engine_outcomes' ORDER BY reason"
    ).fetchall()
    assert refused == [("bad outcome kind: 'exploded'",), ("ms < 0",)]

    agg = {
        r[0]: r[1:]
        for r in con.execute(
            "SELECT source_id, stalls_7d, failures_7d, engine_peers_7d, reliability_note "
            "FROM stg_engine__source_outcomes_7d"
        ).fetchall()
    }
    assert agg[sid(STALLING)] == (2, 0, 12, "stalled twice this week")
    assert agg[sid(DEAD)] == (0, 1, 0, "failed to start once this week")

    got = sources(con)
    stalling, reliable = got[STALLING], got[RELIABLE]
    assert stalling["c_reliability"] == -20.0 and reliable["c_reliability"] == 0.0
    assert stalling["reliability_note"] == "stalled twice this week"
    # bluray (+10) would beat web (+6); two stalls (-20) put it behind
    assert (reliable["rank_web"], stalling["rank_web"]) == (1, 2)

    dead = got[DEAD]
    assert dead["available"] is False and dead["rank_tv"] is None and dead["rank_web"] is None
    assert dead["unavailable_reason"] == "no seeders, and the engine found no peer this week"
    seen = got[DEAD_SEEN]  # 0 seeders in the counts, but the engine had 3 peers: offered last
    assert seen["available"] is True and seen["rank_tv"] == 3 and seen["unavailable_reason"] is None

    dq = run_checks(con, "run-1")
    suites = {suite.suite: suite for suite in dq.suites}
    for name in ("stg_engine__outcomes", "stg_engine__source_outcomes_7d", "mart_sources"):
        assert suites[name].success, suites[name]


def test_without_outcomes_a_zero_seed_source_is_unavailable_with_the_reason(
    raw: RawWriter,
) -> None:
    land_movie(raw)
    transform(raw.con, "run-1")
    got = sources(raw.con)
    assert got[DEAD]["available"] is False
    assert got[DEAD]["unavailable_reason"] == "no seeders"
    assert got[DEAD_SEEN]["rank_tv"] is None
    assert {got[STALLING]["rank_web"], got[RELIABLE]["rank_web"]} == {1, 2}
    assert all(s["c_reliability"] == 0.0 and s["reliability_note"] is None for s in got.values())
