"""The main flow end to end: fake upstream -> DuckDB -> checks -> catalog.sqlite, for real.

A real Prefect flow run (temporary API), the real fake upstream on loopback, real DuckDB
and SQLite. One module-scoped sync is shared by the assertions that only read its result.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.last_sync import read_last_sync, read_sync_history
from sandbox.catalogue import SyntheticCatalogue
from sandbox.fake_upstream import RunningUpstream, start_fake_upstream
from warehouse.db import connect_warehouse
from warehouse.encryption import warehouse_key

SECRET = "pipeline-test-secret-key-0123456789abcdefghijklmnop"


@pytest.fixture(scope="module")
def upstream() -> Iterator[RunningUpstream]:
    catalogue = SyntheticCatalogue(60, seed=7)
    catalogue.change_rate = 0.0  # nothing changes upstream unless a test touches it
    with start_fake_upstream(catalogue) as running:
        yield running


@pytest.fixture(scope="module")
def pipeline_env(
    upstream: RunningUpstream, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path]:
    data_dir = tmp_path_factory.mktemp("pipeline") / "data"
    patch = pytest.MonkeyPatch()
    patch.setenv("MIAUFLIX_DATA_DIR", str(data_dir))
    patch.setenv("MIAUFLIX_TMDB_URL", upstream.tmdb_url)
    patch.setenv("MIAUFLIX_YTS_URLS", ",".join(upstream.yts_urls))
    patch.setenv("MIAUFLIX_EZTV_URLS", ",".join(upstream.eztv_urls))
    patch.setenv("MIAUFLIX_TRAKT_URL", upstream.trakt_url)
    patch.setenv("MIAUFLIX_SECRET_KEY", SECRET)
    patch.setenv("MIAUFLIX_TMDB_RATE_LIMIT", "500")
    patch.setenv("MIAUFLIX_YTS_RATE_LIMIT", "500")
    patch.setenv("MIAUFLIX_EZTV_RATE_LIMIT", "500")
    yield data_dir
    patch.undo()


@pytest.fixture(scope="module")
def first_sync(pipeline_env: Path, prefect_harness: None) -> dict[str, Any]:
    from flows.pipeline import sync_flow

    return sync_flow(scope="all")


def _catalog(data_dir: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{data_dir / 'catalog.sqlite'}?mode=ro", uri=True)


def test_a_sync_publishes_a_catalog_with_its_version_row(
    first_sync: dict[str, Any], pipeline_env: Path, upstream: RunningUpstream
) -> None:
    assert first_sync["status"] == "succeeded"
    with _catalog(pipeline_env) as con:
        run_id, counts = con.execute("SELECT run_id, counts FROM catalog_version").fetchone()
        movies = con.execute("SELECT count(*) FROM movies").fetchone()[0]
        ranked = con.execute("SELECT count(*) FROM sources WHERE rank_web = 1").fetchone()[0]
    assert run_id == first_sync["run_id"]
    assert json.loads(counts)["movies"] == movies
    # Every movie the fake serves and lists is in the catalog (within the listed pages).
    existing = set(upstream.catalogue.tmdb_ids)
    assert 0 < movies <= len(existing)
    assert ranked > 0


def test_the_run_is_recorded_for_the_api_and_for_analysts(
    first_sync: dict[str, Any], pipeline_env: Path
) -> None:
    record = read_last_sync(pipeline_env)
    assert record is not None
    assert record["run_id"] == first_sync["run_id"]
    assert record["status"] == "succeeded"
    assert record["dq"]["success"] is True
    with connect_warehouse(
        pipeline_env / "warehouse.duckdb", [warehouse_key(SECRET.encode())], read_only=True
    ) as con:
        status = con.execute(
            "SELECT status FROM sync_runs WHERE run_id = ?", [first_sync["run_id"]]
        ).fetchone()
        suites = con.execute(
            "SELECT count(*), bool_and(success) FROM dq_runs WHERE run_id = ?",
            [first_sync["run_id"]],
        ).fetchone()
    assert status == ("succeeded",)
    assert suites is not None and suites[0] > 0 and suites[1] is True


def test_the_run_is_appended_to_the_sync_history(
    first_sync: dict[str, Any], pipeline_env: Path
) -> None:
    runs = {run["run_id"]: run for run in read_sync_history(pipeline_env)}
    run = runs[first_sync["run_id"]]
    assert run["status"] == "succeeded" and run["scope"] == "all"
    assert run["seconds"] is not None and run["seconds"] > 0
    assert set(run["phases"]) == {"ingest", "transform", "checks", "publish"}
    suites = run["dq"]["suites"]
    assert run["dq"]["success"] is True and suites
    assert all(s["success"] and s["passed"] == s["evaluated"] for s in suites)
    assert run["catalog"]["published"] is True
    assert run["catalog"]["run_id"] == first_sync["run_id"]
    assert run["catalog"]["counts"]["movies"] == first_sync["publish"]["counts"]["movies"]
    assert SECRET not in (pipeline_env / "sync_history.jsonl").read_text()


def test_an_unchanged_resync_fetches_nothing_fresh_and_keeps_the_catalog(
    first_sync: dict[str, Any], upstream: RunningUpstream, pipeline_env: Path
) -> None:
    from flows.pipeline import sync_flow

    before = dict(upstream.stats.requests)
    second = sync_flow(scope="all")
    after = dict(upstream.stats.requests)
    assert second["status"] == "succeeded"
    assert "skipped" in second["publish"]
    with _catalog(pipeline_env) as con:
        assert con.execute("SELECT run_id FROM catalog_version").fetchone() == (
            first_sync["run_id"],
        )
    latest = read_sync_history(pipeline_env, 1)[0]
    assert latest["run_id"] == second["run_id"] and latest["catalog"]["published"] is False
    assert latest["catalog"]["run_id"] == first_sync["run_id"]  # the catalog still serving
    details = [route for route in after if route in ("tmdb.movie", "yts.list_movies")]
    assert details, f"unexpected route names: {sorted(after)}"
    for route in details:
        assert after[route] == before.get(route, 0), f"{route} was fetched again"
