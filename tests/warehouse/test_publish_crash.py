"""A publish killed with SIGKILL mid-write leaves the previous catalog intact and served;
the next publish cleans the leftover and goes live without restarting the API."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from flask import Flask

from core.settings import Settings
from serve.app import create_app
from serve.extensions import app_db
from serve.tokens import issue_access_token
from tests.conftest import REPO_ROOT
from tests.helpers.catalog import TEST_KEYS, cipher, fill_synthetic_marts, publish_sample
from warehouse.db import connect_warehouse
from warehouse.publish import BATCH_ROWS, publish_catalog

MOVIES = 3_000
SOURCES_PER_MOVIE = 4


def _token(app: Flask, settings: Settings) -> dict[str, str]:
    with app.test_request_context():
        admin = app_db().user_by_email(settings.admin_email)
        assert admin is not None
        return {"Authorization": f"Bearer {issue_access_token(admin, 5)['access_token']}"}


def _served_version(app: Flask, headers: dict[str, str]) -> tuple[str, int]:
    client = app.test_client()
    status = client.get("/api/status", headers=headers).get_json()
    movies = client.get("/api/movies?per_page=1", headers=headers).get_json()
    return status["catalog"]["run_id"], movies["total_results"]


def test_sigkill_during_publish_keeps_the_previous_catalog_live(
    settings: Settings, tmp_path: Path
) -> None:
    catalog = settings.catalog_path
    old_marts, old_summary = publish_sample(catalog, run_id="old-run")
    app = create_app(settings)
    headers = _token(app, settings)
    assert _served_version(app, headers) == ("old-run", len(old_marts.movies))

    warehouse_path = tmp_path / "warehouse.duckdb"
    con = connect_warehouse(warehouse_path, TEST_KEYS)
    fill_synthetic_marts(con, MOVIES, SOURCES_PER_MOVIE)
    con.close()
    assert MOVIES * SOURCES_PER_MOVIE > BATCH_ROWS  # the pause lands mid-table

    marker = tmp_path / "paused"
    tmp_file = catalog.with_name("catalog.sqlite.new-run.tmp")
    worker = subprocess.Popen(
        [
            sys.executable, "-m", "tests.helpers.publish_worker",
            str(warehouse_path), str(catalog), str(marker), "new-run",
        ],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert worker.poll() is None, worker.stdout.read() if worker.stdout else ""
            assert time.monotonic() < deadline, "publish worker never reached the sources"
            time.sleep(0.05)
        assert marker.read_text() == f"sources:{BATCH_ROWS}"
        assert tmp_file.exists() and tmp_file.stat().st_size > 0
        # While the new file is half written, the API serves the old catalog.
        assert _served_version(app, headers) == ("old-run", len(old_marts.movies))
        os.kill(worker.pid, signal.SIGKILL)
        assert worker.wait(timeout=30) == -signal.SIGKILL
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()

    # The old catalog is untouched, complete and still served.
    assert tmp_file.exists()  # the crash left its leftover behind
    ro = sqlite3.connect(f"file:{catalog}?mode=ro", uri=True)
    assert ro.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert ro.execute("SELECT run_id FROM catalog_version").fetchone()[0] == "old-run"
    assert ro.execute("SELECT COUNT(*) FROM movies").fetchone()[0] == old_summary.counts["movies"]
    assert (
        ro.execute("SELECT COUNT(*) FROM sources").fetchone()[0] == (old_summary.counts["sources"])
    )
    ro.close()
    assert _served_version(app, headers) == ("old-run", len(old_marts.movies))

    # The next publish removes the leftover and goes live in the running app.
    con = connect_warehouse(warehouse_path, TEST_KEYS, read_only=True)
    summary = publish_catalog(con, catalog, cipher(), "next-run")
    con.close()
    assert not tmp_file.exists()
    assert summary.counts["sources"] == MOVIES * SOURCES_PER_MOVIE
    assert _served_version(app, headers) == ("next-run", MOVIES)
