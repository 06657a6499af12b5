"""Staging reads the winning responses in bounded batches: same choice, same tables."""

from __future__ import annotations

from datetime import timedelta

import duckdb
import polars as pl
import pytest

from tests.warehouse.rawdata import T0, RawWriter, synthetic_catalogue, tmdb_movie
from warehouse import staging_responses
from warehouse.db import latest_responses
from warehouse.staging_responses import iter_latest_responses
from warehouse.transform import transform

STG_TABLES = ("stg_tmdb__movies", "stg_tmdb__translations", "stg_yts__torrents", "quarantine")


def _landed_with_retries(raw: RawWriter) -> None:
    """Movies with a newer failed attempt (stale), a tie on fetched_at, a 404 and garbage."""
    synthetic_catalogue(raw, 30, torrents_per_movie=2)
    raw.movie(None, 3, status=503)  # newer failure: the older 200 wins, marked stale
    tie = T0 + timedelta(days=1)
    raw.movie(tmdb_movie(4, "tt0000004", title="A"), 4, fetched_at=tie, run_id="run-2")
    raw.movie(tmdb_movie(4, "tt0000004", title="B"), 4, fetched_at=tie, run_id="run-2")
    raw.movie({"success": False, "status_code": 34}, 999, status=404)
    raw.movie("<html>not json</html>", 998)
    raw.flush()


@pytest.mark.parametrize("batch_rows", [1, 2, 7, 10_000])
def test_batches_hold_the_same_winners_as_one_query(raw: RawWriter, batch_rows: int) -> None:
    _landed_with_retries(raw)
    whole = latest_responses(raw.con, "raw_tmdb_movies", definitive=(200, 404))
    batches = list(
        iter_latest_responses(raw.con, "raw_tmdb_movies", (200, 404), batch_rows=batch_rows)
    )
    assert all(b.height <= batch_rows for b in batches)
    assert pl.concat(batches).equals(whole)
    stale = pl.concat(batches).filter(pl.col("stale"))["request_key"].to_list()
    assert stale == [
        "GET /3/movie/3?append_to_response=external_ids,images,translations&language=en"
    ]


def test_an_empty_raw_table_yields_no_batch(wh: duckdb.DuckDBPyConnection) -> None:
    assert list(iter_latest_responses(wh, "raw_eztv_torrents")) == []


@pytest.mark.parametrize(
    "table", ["stg_tmdb__movies", "raw_tmdb_movies; DROP TABLE dq_runs", "", "RAW_TMDB_MOVIES"]
)
def test_only_raw_tables_can_be_read(wh: duckdb.DuckDBPyConnection, table: str) -> None:
    with pytest.raises(ValueError, match="not a raw table"):
        next(iter_latest_responses(wh, table))
    assert wh.execute("SELECT count(*) FROM dq_runs").fetchone() == (0,)


@pytest.mark.parametrize("batch_rows", [0, -1])
def test_a_batch_size_below_one_is_refused(wh: duckdb.DuckDBPyConnection, batch_rows: int) -> None:
    with pytest.raises(ValueError, match="batch_rows"):
        next(iter_latest_responses(wh, "raw_tmdb_movies", batch_rows=batch_rows))


def _staged(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[object, ...]]]:
    transform(con, "run-x")
    out = {}
    for table in STG_TABLES:
        columns = "*" if table != "quarantine" else "source_table, record_key, reason"
        out[table] = sorted(con.execute(f"SELECT {columns} FROM {table}").fetchall(), key=repr)
    out["ledger"] = sorted(
        con.execute(
            "SELECT source_table, request_key, outcome, records, superseded, stale, reason "
            "FROM stg_raw_responses"
        ).fetchall(),
        key=repr,
    )
    return out


def test_staging_in_batches_of_one_builds_the_same_tables(
    raw: RawWriter, monkeypatch: pytest.MonkeyPatch
) -> None:
    _landed_with_retries(raw)
    whole = _staged(raw.con)
    monkeypatch.setattr(staging_responses, "BATCH_ROWS", 1)
    batched = _staged(raw.con)
    assert batched == whole
    assert len(whole["stg_tmdb__movies"]) == 30 and len(whole["stg_yts__torrents"]) == 60
    reasons = {r[2] for r in whole["quarantine"]}
    assert any("not found" in r or "JSON" in r or "json" in r for r in reasons)
