"""`miauflix keys rotate` re-publishes the analysts' snapshot, so its source ids stay those
of the re-sealed catalog; a sync holding the warehouse makes it skip, saying why."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from core.crypto import Keyring
from core.settings import Settings, load_settings
from miauflix.key_rotation import KeyRotationError, prune_keys, rotate_keys
from tests.conftest import REPO_ROOT
from tests.helpers.catalog import fill_sample_marts
from warehouse.analytics import ANALYTICS_FILE, write_snapshot
from warehouse.db import connect_warehouse, open_warehouse, warehouse_keys
from warehouse.encryption import warehouse_key
from warehouse.publish import publish_catalog
from warehouse.schema import ensure_base_schema


@pytest.fixture
def synced(settings: Settings) -> Settings:
    """The master in the key file (rotation writes it), a catalog and a snapshot published."""
    file_settings = load_settings(**{**settings.model_dump(), "secret_key": ""})
    keyring = Keyring.load(file_settings.key_path)
    with open_warehouse(file_settings) as con:
        ensure_base_schema(con)
        fill_sample_marts(con)
        publish_catalog(con, file_settings.catalog_path, keyring, "run-1")
        write_snapshot(con, file_settings.data_dir, keyring)
    return file_settings


# A sync in another process: holds the warehouse (read-write) until told to stop.
HOLD = (
    "import sys; from core.crypto import Keyring; "
    "from warehouse.db import connect_warehouse, warehouse_keys; "
    "c = connect_warehouse(sys.argv[1], warehouse_keys(Keyring.load(sys.argv[2]))); "
    "print('holding', flush=True); sys.stdin.readline()"
)


def _holder(settings: Settings) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", HOLD, str(settings.warehouse_path), str(settings.key_path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=REPO_ROOT,
    )  # fmt: skip


def _catalog_ids(path: Path) -> set[str]:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {row[0] for row in con.execute("SELECT source_id FROM sources")}
    finally:
        con.close()


def _snapshot_ids(data_dir: Path) -> set[str]:
    with duckdb.connect(str(data_dir / ANALYTICS_FILE), read_only=True) as con:
        return {row[0] for row in con.execute("SELECT source_id FROM sources").fetchall()}


def test_rotation_republishes_the_snapshot_with_the_catalogs_new_source_ids(
    synced: Settings,
) -> None:
    before = _snapshot_ids(synced.data_dir)
    assert before == _catalog_ids(synced.catalog_path)
    summary = rotate_keys(synced)
    assert summary.warehouse == "re-keyed" and summary.analytics == "refreshed"
    after = _snapshot_ids(synced.data_dir)
    assert after == _catalog_ids(synced.catalog_path)
    assert after.isdisjoint(before)
    current = Keyring.load(synced.key_path).masters[0]
    with connect_warehouse(synced.warehouse_path, [warehouse_key(current)]) as con:  # new key only
        assert con.execute("SELECT count(*) FROM mart_movies").fetchone()[0] > 0


def test_pruning_after_rotation_leaves_a_warehouse_the_current_key_alone_opens(
    synced: Settings,
) -> None:
    proc = _holder(synced)
    try:  # the rotation cannot re-key the warehouse a sync holds...
        assert proc.stdout is not None and proc.stdout.readline().strip() == "holding"
        assert rotate_keys(synced).warehouse.startswith("skipped: ")
        with pytest.raises(KeyRotationError, match="in use"):
            prune_keys(synced)  # ...and pruning then would lock it out: refused
    finally:
        proc.kill()
        proc.communicate()
    assert prune_keys(synced)  # the sync is gone: prune re-keys it first, then prunes
    keyring = Keyring.load(synced.key_path)
    assert len(keyring.masters) == 1
    with connect_warehouse(synced.warehouse_path, warehouse_keys(keyring)) as con:
        assert con.execute("SELECT count(*) FROM mart_movies").fetchone()[0] > 0


def test_rotation_while_the_warehouse_is_locked_skips_the_snapshot_and_says_why(
    synced: Settings,
) -> None:
    proc = _holder(synced)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "holding"
        before = _snapshot_ids(synced.data_dir)
        summary = rotate_keys(synced)
    finally:
        proc.kill()
        proc.communicate()
    assert summary.analytics.startswith("skipped: ") and "locked" in summary.analytics
    assert summary.warehouse == summary.analytics
    assert _snapshot_ids(synced.data_dir) == before  # the old snapshot, still whole


def test_rotation_without_a_snapshot_creates_none(settings: Settings) -> None:
    file_settings = load_settings(**{**settings.model_dump(), "secret_key": ""})
    Keyring.load(file_settings.key_path)
    assert rotate_keys(file_settings).analytics == "none"
    assert not (file_settings.data_dir / ANALYTICS_FILE).exists()
