"""A failed data-quality suite blocks the publish: `miauflix sync` exits 2 with a readable
summary, the run is recorded as blocked, and the previous catalog keeps serving."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from core.last_sync import read_last_sync
from core.settings import load_settings
from miauflix.sync_command import run_sync
from sandbox.catalogue import SyntheticCatalogue
from sandbox.fake_upstream import RunningUpstream, start_fake_upstream
from warehouse.db import open_warehouse


def _point_at(monkeypatch: pytest.MonkeyPatch, upstream: RunningUpstream, data_dir: Path) -> None:
    monkeypatch.setenv("MIAUFLIX_DATA_DIR", str(data_dir))
    monkeypatch.setenv("MIAUFLIX_TMDB_URL", upstream.tmdb_url)
    monkeypatch.setenv("MIAUFLIX_YTS_URLS", ",".join(upstream.yts_urls))
    monkeypatch.setenv("MIAUFLIX_EZTV_URLS", ",".join(upstream.eztv_urls))
    monkeypatch.setenv("MIAUFLIX_SECRET_KEY", "blocked-test-secret-0123456789abcdefghijklmnopq")
    monkeypatch.setenv("MIAUFLIX_TMDB_RATE_LIMIT", "500")
    monkeypatch.setenv("MIAUFLIX_YTS_RATE_LIMIT", "500")
    monkeypatch.setenv("MIAUFLIX_EZTV_RATE_LIMIT", "500")
    monkeypatch.setenv("MIAUFLIX_FRESHNESS_HOURS", "0")
    monkeypatch.setenv("MIAUFLIX_DETAILS_FRESHNESS_HOURS", "0")


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
    with open_warehouse(load_settings(), read_only=True) as con:
        failed = con.execute(
            "SELECT suite FROM dq_runs WHERE run_id = ? AND NOT success", [record["run_id"]]
        ).fetchall()
        status = con.execute(
            "SELECT status FROM sync_runs WHERE run_id = ?", [record["run_id"]]
        ).fetchone()
    assert ("quarantine_share",) in failed
    assert status == ("blocked",)


def test_unreachable_upstreams_fail_the_sync_with_a_clear_message(
    prefect_harness: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from miauflix.processes import free_port

    closed = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    data_dir = tmp_path / "data"
    monkeypatch.setenv("MIAUFLIX_DATA_DIR", str(data_dir))
    monkeypatch.setenv("MIAUFLIX_TMDB_URL", f"{closed}/tmdb")
    monkeypatch.setenv("MIAUFLIX_YTS_URLS", f"{closed}/yts")
    monkeypatch.setenv("MIAUFLIX_SECRET_KEY", "unreachable-test-secret-0123456789abcdefghij")
    monkeypatch.setenv("MIAUFLIX_HTTP_RETRIES", "0")

    assert run_sync(load_settings(), quiet=True) == 1

    err = capsys.readouterr().err
    assert "no upstream answered" in err and closed in err
    assert not (data_dir / "catalog.sqlite").exists()
    record = read_last_sync(data_dir)
    assert record is not None and record["status"] == "failed"
    with open_warehouse(load_settings(), read_only=True) as con:
        landed = con.execute("SELECT count(*), max(status) FROM raw_tmdb_lists").fetchone()
    assert landed is not None and landed[0] > 0 and landed[1] == 0  # failures are kept
