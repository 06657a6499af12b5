"""An analyst's open snapshot never blocks the next one: the swap is one rename, an open
connection keeps reading what it opened, and a crash mid-snapshot leaves the old one."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from tests.helpers.catalog import TEST_KEYS, TEST_SECRET, cipher, fill_sample_marts
from warehouse.analytics import ANALYTICS_FILE, write_snapshot
from warehouse.db import connect_warehouse
from warehouse.schema import ensure_base_schema

# An analyst's notebook: opens the snapshot read-only and answers one query per line read.
ANALYST = textwrap.dedent(
    """
    import duckdb, sys
    con = duckdb.connect(sys.argv[1], read_only=True)
    for line in sys.stdin:
        row = con.execute("SELECT min(title) FROM movies").fetchone()
        print(row[0], flush=True)
    """
)

# A sync that dies (SIGKILL-like: no cleanup runs) after copying the first table.
CRASHING_SNAPSHOT = textwrap.dedent(
    """
    import os, sys
    from core.crypto import FieldCipher
    from warehouse.analytics import write_snapshot
    from warehouse.db import connect_warehouse
    from warehouse.encryption import warehouse_key
    key = warehouse_key(sys.argv[2].encode())
    con = connect_warehouse(sys.argv[1] + "/warehouse.duckdb", [key])
    write_snapshot(con, sys.argv[1], FieldCipher(sys.argv[2].encode()),
                   on_table=lambda table: os._exit(9))
    """
)


def _fill(data_dir: Path, suffix: str) -> None:
    with connect_warehouse(data_dir / "warehouse.duckdb", TEST_KEYS) as con:
        ensure_base_schema(con)
        fill_sample_marts(con, title_suffix=suffix)
        write_snapshot(con, data_dir, cipher())


def _title(data_dir: Path) -> str:
    with duckdb.connect(str(data_dir / ANALYTICS_FILE), read_only=True) as con:
        row = con.execute("SELECT min(title) FROM movies").fetchone()
    assert row is not None
    return str(row[0])


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    _fill(folder, " (old)")
    return folder


@pytest.fixture
def analyst(data_dir: Path) -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-c", ANALYST, str(data_dir / ANALYTICS_FILE)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    yield proc
    proc.kill()
    proc.communicate()


def _ask(analyst: subprocess.Popen[str]) -> str:
    assert analyst.stdin is not None and analyst.stdout is not None
    analyst.stdin.write("?\n")
    analyst.stdin.flush()
    return analyst.stdout.readline().strip()


def test_an_open_analyst_connection_blocks_neither_the_warehouse_nor_the_next_snapshot(
    data_dir: Path, analyst: subprocess.Popen[str]
) -> None:
    assert _ask(analyst).endswith("(old)")  # the analyst holds the snapshot open
    with connect_warehouse(data_dir / "warehouse.duckdb", TEST_KEYS, wait=0) as con:  # no waiting
        fill_sample_marts(con, title_suffix=" (new)")
        write_snapshot(con, data_dir, cipher())
    assert _ask(analyst).endswith("(old)")  # keeps reading what it opened
    assert _title(data_dir).endswith("(new)")  # a new connection sees the new snapshot


def test_a_crash_mid_snapshot_leaves_the_previous_snapshot_and_the_next_one_cleans_up(
    data_dir: Path,
) -> None:
    crashed = subprocess.run(
        [sys.executable, "-c", CRASHING_SNAPSHOT, str(data_dir), TEST_SECRET.decode()],
        capture_output=True, text=True, timeout=300,
        cwd=Path(__file__).resolve().parents[2],
    )  # fmt: skip
    assert crashed.returncode == 9, crashed.stderr
    leftovers = [p for p in data_dir.iterdir() if p.name.startswith(".analytics-")]
    assert leftovers  # the half-written file is there...
    assert _title(data_dir).endswith("(old)")  # ...but the live snapshot is the old one
    _fill(data_dir, " (new)")
    assert _title(data_dir).endswith("(new)")
    assert not [p for p in data_dir.iterdir() if p.name.startswith(".analytics-")]
