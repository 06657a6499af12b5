"""A sync publishes the analysts' snapshot: a real Prefect flow run against the fake
upstream, an analyst holding the previous snapshot open in another process throughout.

The sync must succeed, the analyst keep reading the snapshot it opened, a new connection
see the new one, and no DuckDB file in the data directory (the encrypted working warehouse
and its WAL included) carry an info hash, a magnet link or a torrent URL.
"""

from __future__ import annotations

import base64
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from sandbox.catalogue import SyntheticCatalogue
from sandbox.fake_upstream import RunningUpstream, start_fake_upstream
from warehouse.analytics import ANALYTICS_FILE
from warehouse.db import connect_warehouse
from warehouse.encryption import warehouse_key

SECRET = "analytics-test-secret-key-0123456789abcdefghijklmnop"
RUNS = "SELECT string_agg(run_id, ',' ORDER BY run_id) FROM sync_runs"
ANALYST = textwrap.dedent(
    f"""
    import duckdb, sys
    con = duckdb.connect(sys.argv[1], read_only=True)
    for line in sys.stdin:
        print(con.execute("{RUNS}").fetchone()[0], flush=True)
    """
)


@pytest.fixture(scope="module")
def upstream() -> Iterator[RunningUpstream]:
    catalogue = SyntheticCatalogue(60, seed=11)
    catalogue.change_rate = 0.0  # only what the test touches changes
    with start_fake_upstream(catalogue) as running:
        yield running


@pytest.fixture(scope="module")
def data_dir(upstream: RunningUpstream, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("analytics") / "data"
    patch = pytest.MonkeyPatch()
    patch.setenv("MIAUFLIX_DATA_DIR", str(folder))
    patch.setenv("MIAUFLIX_TMDB_URL", upstream.tmdb_url)
    patch.setenv("MIAUFLIX_YTS_URLS", ",".join(upstream.yts_urls))
    patch.setenv("MIAUFLIX_EZTV_URLS", ",".join(upstream.eztv_urls))
    patch.setenv("MIAUFLIX_TRAKT_URL", upstream.trakt_url)
    patch.setenv("MIAUFLIX_SECRET_KEY", SECRET)
    for name in ("TMDB", "YTS", "EZTV"):
        patch.setenv(f"MIAUFLIX_{name}_RATE_LIMIT", "500")
    yield folder
    patch.undo()


@pytest.fixture(scope="module")
def first_sync(data_dir: Path, prefect_harness: None) -> dict[str, Any]:
    from flows.pipeline import sync_flow

    return sync_flow(scope="all")


def _secrets(data_dir: Path) -> set[bytes]:
    """Every info hash (hex in both cases, base32), magnet and torrent URL the marts hold."""
    found: set[bytes] = set()
    with connect_warehouse(
        data_dir / "warehouse.duckdb", [warehouse_key(SECRET.encode())], read_only=True
    ) as con:
        rows = con.execute(
            "SELECT info_hash, magnet, torrent_url FROM mart_sources UNION ALL "
            "SELECT info_hash, magnet, torrent_url FROM mart_show_sources"
        ).fetchall()
    for info_hash, magnet, url in rows:
        raw = bytes.fromhex(info_hash)
        found |= {info_hash.lower().encode(), info_hash.upper().encode(), magnet.encode()}
        found |= {base64.b32encode(raw), base64.b32encode(raw).lower()}
        found |= {url.encode()} if url else set()
    return found


def test_a_sync_publishes_a_private_snapshot_of_the_marts(
    first_sync: dict[str, Any], data_dir: Path
) -> None:
    assert first_sync["status"] == "succeeded"
    tables = first_sync["publish"]["analytics"]["tables"]
    assert tables["movies"] == first_sync["publish"]["counts"]["movies"] > 0
    assert tables["sources"] > 0 and tables["show_sources"] > 0
    assert (data_dir / ANALYTICS_FILE).stat().st_mode & 0o077 == 0


def test_no_duckdb_file_in_the_data_directory_holds_a_hash_magnet_or_torrent_url(
    first_sync: dict[str, Any], data_dir: Path
) -> None:
    secrets = _secrets(data_dir)
    assert len(secrets) > 100  # the demo-sized sync did land sources
    checked = []
    for path in sorted(data_dir.rglob("*")):
        if not path.is_file():
            continue
        duck = path.suffix in (".duckdb", ".wal") or path.read_bytes()[8:12] == b"DUCK"
        if duck or path.parent.name.endswith(".duckdb.tmp"):  # spill files too
            blob = path.read_bytes()
            assert b"magnet:" not in blob, path
            leaked = [s for s in secrets if s in blob]
            assert not leaked, f"{path} holds {leaked[:3]}"
            checked.append(path.name)
    assert {ANALYTICS_FILE, "warehouse.duckdb"} <= set(checked)


def test_an_unchanged_sync_publishes_the_snapshot_a_data_directory_lacks(
    first_sync: dict[str, Any], data_dir: Path
) -> None:
    from flows.pipeline import sync_flow

    (data_dir / ANALYTICS_FILE).unlink()  # as after an upgrade from a version without it
    again = sync_flow(scope="all")
    assert again["status"] == "succeeded" and "skipped" in again["publish"]
    assert again["publish"]["analytics"]["tables"]["movies"] > 0
    with duckdb.connect(str(data_dir / ANALYTICS_FILE), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM movies").fetchone() == (
            again["publish"]["analytics"]["tables"]["movies"],
        )


def test_an_analyst_holding_the_snapshot_never_blocks_the_next_sync(
    first_sync: dict[str, Any], data_dir: Path, upstream: RunningUpstream
) -> None:
    from flows.pipeline import sync_flow

    analyst = subprocess.Popen(
        [sys.executable, "-c", ANALYST, str(data_dir / ANALYTICS_FILE)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert analyst.stdin is not None and analyst.stdout is not None
    try:
        analyst.stdin.write("?\n")
        analyst.stdin.flush()
        before = analyst.stdout.readline().strip()
        upstream.catalogue.touch(sorted(upstream.catalogue.tmdb_ids)[:3])
        second = sync_flow(scope="all")
        analyst.stdin.write("?\n")
        analyst.stdin.flush()
        still = analyst.stdout.readline().strip()
    finally:
        analyst.kill()
        analyst.communicate()
    assert second["status"] == "succeeded" and "counts" in second["publish"]
    assert "error" not in second["publish"]["analytics"]
    assert still == before and second["run_id"] not in before
    with duckdb.connect(str(data_dir / ANALYTICS_FILE), read_only=True) as con:
        row = con.execute(RUNS).fetchone()
    assert row is not None and second["run_id"] in row[0]
