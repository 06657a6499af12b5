"""``miauflix sync`` end to end against the sandbox: documented upstream bases, a failed
run's output, and an analyst's open warehouse connection."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from sandbox.catalogue import SyntheticCatalogue
from sandbox.fake_upstream import RunningUpstream, start_fake_upstream

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def upstream() -> Iterator[RunningUpstream]:
    with start_fake_upstream(SyntheticCatalogue(30, seed=7)) as running:
        yield running


def _sync(
    data_dir: Path, upstream: RunningUpstream, **extra: str
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MIAUFLIX_", "PREFECT_API"))}
    env.update(
        MIAUFLIX_DATA_DIR=str(data_dir),
        MIAUFLIX_TMDB_URL=upstream.tmdb_url,
        MIAUFLIX_YTS_URLS=",".join(upstream.yts_urls),
        MIAUFLIX_EZTV_URLS=",".join(upstream.eztv_urls),
        MIAUFLIX_TRAKT_URL=upstream.trakt_url,
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return subprocess.run(
        [sys.executable, "-m", "miauflix.cli", "sync", "--quiet"],
        env=env, capture_output=True, text=True, timeout=600, cwd=data_dir.parent,
    )  # fmt: skip


@pytest.mark.slow
def test_tmdb_and_yts_bases_as_their_docs_write_them_sync_a_full_catalog(
    tmp_path: Path, upstream: RunningUpstream
) -> None:
    out = _sync(
        tmp_path / "data",
        upstream,
        MIAUFLIX_TMDB_URL=f"{upstream.tmdb_url}/3",
        MIAUFLIX_YTS_URLS=",".join(f"{url}/api/v2/" for url in upstream.yts_urls),
    )
    assert out.returncode == 0, out.stdout + out.stderr
    with sqlite3.connect(f"file:{tmp_path / 'data' / 'catalog.sqlite'}?mode=ro", uri=True) as con:
        assert con.execute("SELECT COUNT(*) FROM movies").fetchone()[0] > 0
    assert "nanobind" not in out.stderr


@pytest.mark.slow
def test_a_failed_sync_ends_with_its_summary_and_no_binding_noise(
    tmp_path: Path, upstream: RunningUpstream
) -> None:
    data_dir = tmp_path / "data"
    (data_dir / "catalog.sqlite").mkdir(parents=True)  # publishing cannot swap a directory
    out = _sync(data_dir, upstream)
    assert out.returncode != 0
    assert "nanobind" not in out.stderr
    last = [line for line in out.stderr.splitlines() if line.strip()][-1]
    assert "sync failed" in out.stderr and "leaked" not in last


@pytest.mark.slow
def test_an_analysts_open_connection_fails_the_sync_naming_the_holder(
    tmp_path: Path, upstream: RunningUpstream
) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    # A plaintext warehouse an older Miauflix left, held by an analyst's plain read-only
    # connection: the sync can neither encrypt it nor write, and says who holds it.
    with duckdb.connect(str(data_dir / "warehouse.duckdb")) as con:
        con.execute("CREATE TABLE notes AS SELECT 1 AS x")
    analyst = subprocess.Popen(
        [sys.executable, "-c",
         "import duckdb,sys;c=duckdb.connect(sys.argv[1],read_only=True);"
         "print('holding',flush=True);sys.stdin.read()",
         str(data_dir / "warehouse.duckdb")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert analyst.stdout is not None and analyst.stdout.readline().strip() == "holding"
        out = _sync(data_dir, upstream, MIAUFLIX_WAREHOUSE_LOCK_WAIT="1")
    finally:
        analyst.communicate("")
    assert out.returncode != 0
    assert f"process {analyst.pid}" in out.stderr, out.stderr
    assert "nanobind" not in out.stderr
