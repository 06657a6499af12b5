"""Data-quality checks: pass on clean data, fail (and are recorded) on bad data."""

from __future__ import annotations

import json
from dataclasses import asdict

import duckdb
import pytest

from tests.warehouse.rawdata import RawWriter, synthetic_catalogue
from warehouse.checks import DQResult, all_suites, format_dq_summary, run_checks
from warehouse.transform import transform


@pytest.fixture
def clean(raw: RawWriter) -> duckdb.DuckDBPyConnection:
    synthetic_catalogue(raw, movies=60, torrents_per_movie=3, seed=5)
    raw.flush()
    transform(raw.con, "run-1")
    return raw.con


def _recorded(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, tuple[bool, int, list]]:
    rows = con.execute(
        "SELECT suite, success, failed, failures FROM dq_runs WHERE run_id = ?", [run_id]
    ).fetchall()
    return {suite: (ok, failed, json.loads(failures)) for suite, ok, failed, failures in rows}


def _suite(result: DQResult, name: str):  # type: ignore[no-untyped-def]
    return next(s for s in result.suites if s.suite == name)


def test_clean_warehouse_passes_every_suite_and_records_them(
    clean: duckdb.DuckDBPyConnection,
) -> None:
    result = run_checks(clean, "run-1")
    assert result.success, format_dq_summary(result)
    recorded = _recorded(clean, "run-1")
    assert set(recorded) == {*all_suites(), "reconciliation", "quarantine_share"}
    assert all(ok and failed == 0 for ok, failed, _ in recorded.values())
    assert _suite(result, "mart_sources").evaluated == len(all_suites()["mart_sources"])
    json.dumps(asdict(result))  # the pipeline stores it


def test_duplicate_id_in_a_mart_fails_its_suite_and_is_recorded(
    clean: duckdb.DuckDBPyConnection,
) -> None:
    clean.execute("INSERT INTO mart_sources SELECT * FROM mart_sources LIMIT 1")
    clean.execute("INSERT INTO mart_list_members SELECT * FROM mart_list_members LIMIT 1")
    result = run_checks(clean, "run-2")
    assert not result.success
    sources = _suite(result, "mart_sources")
    assert [(f.expectation, f.column) for f in sources.failures] == [
        ("expect_column_values_to_be_unique", "info_hash")
    ]
    assert sources.failures[0].details.startswith("2 unexpected value(s)")
    members = _suite(result, "mart_list_members")
    assert [(f.expectation, f.column) for f in members.failures] == [
        ("expect_compound_columns_to_be_unique", "list_name,position")
    ]
    recorded = _recorded(clean, "run-2")
    ok, failed, failures = recorded["mart_sources"]
    assert (ok, failed) == (False, 1)
    assert failures[0]["expectation"] == "expect_column_values_to_be_unique"
    assert failures[0]["column"] == "info_hash"
    assert recorded["mart_movies"][0] is True
    summary = format_dq_summary(result)
    assert "FAILED" in summary and "FAIL mart_sources" in summary and "[info_hash]" in summary


def test_orphans_and_non_finite_points_fail_the_sources_suite(
    clean: duckdb.DuckDBPyConnection,
) -> None:
    clean.execute(
        "INSERT INTO mart_sources SELECT * REPLACE (tmdb_id + 10_000_000 AS tmdb_id, "
        "'ff' || info_hash[3:] AS info_hash) FROM mart_sources LIMIT 1"
    )
    clean.execute("UPDATE mart_sources SET c_health = 'NaN'::DOUBLE WHERE rank_tv = 2")
    result = run_checks(clean, "run-2")
    failures = {
        (f.expectation, f.column): f.details for f in _suite(result, "mart_sources").failures
    }
    orphan = ("expect_column_values_to_be_null", "tmdb_id not in mart_movies.tmdb_id")
    assert set(failures) == {orphan, ("expect_column_values_to_not_be_null", "c_health")}
    assert failures[orphan].startswith("1 unexpected value(s), e.g. ['100000")


def test_bad_staging_values_fail_their_suite(clean: duckdb.DuckDBPyConnection) -> None:
    clean.execute(
        "UPDATE stg_yts__torrents SET seeds = -1, imdb_id = 'nm123', quality = '4K' "
        "WHERE position = 0"
    )
    result = run_checks(clean, "run-3")
    failed = {(f.expectation, f.column) for f in _suite(result, "stg_yts__torrents").failures}
    assert failed == {
        ("expect_column_values_to_be_between", "seeds"),
        ("expect_column_values_to_match_regex", "imdb_id"),
        ("expect_column_values_to_be_in_set", "quality"),
    }


def test_reconciliation_failure_blocks_like_a_suite(clean: duckdb.DuckDBPyConnection) -> None:
    clean.execute("DELETE FROM stg_tmdb__movies WHERE tmdb_id = 1")
    result = run_checks(clean, "run-1")
    recon = _suite(result, "reconciliation")
    assert not result.success and not recon.success
    assert [f.column for f in recon.failures] == ["raw_tmdb_movies"]


def test_checks_before_any_transform_fail_instead_of_raising() -> None:
    con = duckdb.connect()
    result = run_checks(con, "run-0")
    assert not result.success
    assert _suite(result, "mart_movies").failures[0].details == "table mart_movies does not exist"
    assert con.execute("SELECT count(*) FROM dq_runs").fetchone() == (len(result.suites),)
