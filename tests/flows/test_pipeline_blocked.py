"""A failed data-quality suite blocks the publish: `miauflix sync` exits 2 with a readable
summary, the run is recorded as blocked, and the previous catalog keeps serving."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import duckdb
import pytest

from miauflix.last_sync import read_last_sync
from miauflix.settings import load_settings
from miauflix.sync_command import run_sync
from sandbox.catalogue import SyntheticCatalogue
from sandbox.fake_upstream import RunningUpstream, start_fake_upstream


def _point_at(monkeypatch: pytest.MonkeyPatch, upstream: RunningUpstream, data_dir: Path) -> None:
    monkeypatch.setenv("MIAUFLIX_DATA_DIR", str(data_dir))
    monkeypatch.setenv("MIAUFLIX_TMDB_URL", upstream.tmdb_url)
    monkeypatch.setenv("MIAUFLIX_YTS_URLS", ",".join(upstream.yts_urls))
    monkeypatch.setenv("MIAUFLIX_SECRET_KEY", "blocked-test-secret-0123456789abcdefghijklmnopq")
    monkeypatch.setenv("MIAUFLIX_TMDB_RATE_LIMIT", "500")
    monkeypatch.setenv("MIAUFLIX_YTS_RATE_LIMIT", "500")
    monkeypatch.setenv("MIAUFLIX_FRESHNESS_HOURS", "0")


def _catalog_run_id(data_dir: Path) -> str:
    con = sqlite3.connect(f"file:{data_dir / 'catalog.sqlite'}?mode=ro", uri=True)
    try:
        return str(con.execute("SELECT run_id FROM catalog_version").fetchone()[0])
    finally:
        con.close()


def test_garbage_upstream_blocks_publish_and_keeps_the_previous_catalog(
    prefect_harness: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data_dir = tmp_path / "data"
    with start_fake_upstream(SyntheticCatalogue(40, seed=3)) as clean:
        _point_at(monkeypatch, clean, data_dir)
        assert run_sync(load_settings(), quiet=True) == 0
    published = _catalog_run_id(data_dir)

    with start_fake_upstream(SyntheticCatalogue(40, seed=3, dirty_rate=0.9)) as dirty:
        _point_at(monkeypatch, dirty, data_dir)
        capsys.readouterr()
        assert run_sync(load_settings(), quiet=True) == 2

    assert "data quality FAILED" in capsys.readouterr().err
    assert _catalog_run_id(data_dir) == published
    record = read_last_sync(data_dir)
    assert record is not None and record["status"] == "blocked"
    assert record["dq"]["success"] is False
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        failed = con.execute(
            "SELECT suite FROM dq_runs WHERE run_id = ? AND NOT success", [record["run_id"]]
        ).fetchall()
        status = con.execute(
            "SELECT status FROM sync_runs WHERE run_id = ?", [record["run_id"]]
        ).fetchone()
    assert ("quarantine_share",) in failed
    assert status == ("blocked",)
