"""The transform entry point: idempotent, JSON-friendly summary, survives a dirty upstream."""

from __future__ import annotations

import json
from dataclasses import asdict

import duckdb
import pytest

from tests.warehouse.rawdata import RawWriter, land_catalogue, synthetic_catalogue
from warehouse.errors import TransformError
from warehouse.schema import MART_TABLES
from warehouse.staging_schema import STAGING_TABLES
from warehouse.transform import transform


def _snapshot(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[object, ...]]]:
    return {
        table: sorted(con.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
        for table in (*STAGING_TABLES, *MART_TABLES)
    }


def test_transform_is_idempotent(raw: RawWriter) -> None:
    synthetic_catalogue(raw, movies=60, torrents_per_movie=3, seed=3)
    raw.movie("<html>", 999)
    raw.flush()
    first = transform(raw.con, "run-1")
    before = _snapshot(raw.con)
    second = transform(raw.con, "run-1")
    assert _snapshot(raw.con) == before
    assert first.rows == second.rows and first.quarantined == second.quarantined
    assert raw.con.execute("SELECT count(*) FROM quarantine").fetchone() == (1,)


def test_summary_counts_every_table_and_is_json_serialisable(raw: RawWriter) -> None:
    synthetic_catalogue(raw, movies=40, torrents_per_movie=2, seed=1)
    raw.flush()
    summary = transform(raw.con, "run-1")
    assert set(summary.rows) == {*STAGING_TABLES, *MART_TABLES}
    assert summary.rows["mart_movies"] == 40 and summary.rows["mart_sources"] == 80
    assert summary.reconciliation_ok and summary.quarantined == {}
    text = json.dumps(asdict(summary), default=str)
    assert json.loads(text)["reconciliation"][0]["ok"] is True


def test_empty_warehouse_transforms_to_empty_marts() -> None:
    con = duckdb.connect()
    summary = transform(con, "run-0")
    assert summary.reconciliation_ok
    assert all(summary.rows[t] == 0 for t in MART_TABLES)


def test_dirty_sandbox_catalogue_is_fully_accounted_for(raw: RawWriter) -> None:
    catalogue_module = pytest.importorskip("sandbox.catalogue")
    catalogue = catalogue_module.SyntheticCatalogue(300, seed=11, dirty_rate=0.2)
    land_catalogue(raw, catalogue)
    raw.flush()
    summary = transform(raw.con, "run-1")
    assert summary.reconciliation_ok
    assert summary.gone == len(catalogue.missing_ids)
    quarantined = raw.con.execute(
        "SELECT source_table, record_key, request_key, reason FROM quarantine"
    ).fetchall()
    for dirty in catalogue.dirty_ids():
        table = "raw_tmdb_movies" if dirty.service == "tmdb" else "raw_yts_movies"
        key = str(dirty.tmdb_id) if dirty.service == "tmdb" else dirty.imdb_id
        hits = [q for q in quarantined if q[0] == table and key in q[2]]
        assert hits, f"{dirty.kind} of movie {dirty.tmdb_id} was not quarantined"
    staged = {r[0] for r in raw.con.execute("SELECT tmdb_id FROM mart_movies").fetchall()}
    dirty_tmdb = {d.tmdb_id for d in catalogue.dirty_ids() if d.service == "tmdb"}
    assert staged == set(catalogue.tmdb_ids) - dirty_tmdb


def test_a_broken_warehouse_raises_transform_error_naming_the_run() -> None:
    con = duckdb.connect()
    con.close()
    with pytest.raises(TransformError, match="run run-9"):
        transform(con, "run-9")
