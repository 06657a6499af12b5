"""The writer's connection waits for a read-only connection in another process (an old
notebook on the working warehouse), then fails naming the lock holder."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from tests.conftest import REPO_ROOT
from tests.helpers.catalog import TEST_KEYS
from warehouse.db import WarehouseLocked, connect_warehouse

HOLD = (
    "import sys;from tests.helpers.catalog import TEST_KEYS;"
    "from warehouse.db import connect_warehouse;"
    "c=connect_warehouse(sys.argv[1],TEST_KEYS,read_only=True);"
    "c.execute('select count(*) from t').fetchall();print('holding',flush=True);"
    "sys.stdin.readline();c.close();print('released',flush=True);sys.stdin.readline()"
)


def connect_writer(path: Path, wait: float) -> duckdb.DuckDBPyConnection:
    return connect_warehouse(path, TEST_KEYS, wait=wait)


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    path = tmp_path / "warehouse.duckdb"
    with connect_warehouse(path, TEST_KEYS) as con:
        con.execute("CREATE TABLE t AS SELECT 1 AS x")
    return path


@pytest.fixture
def analyst(warehouse: Path) -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(warehouse)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=REPO_ROOT,
    )  # fmt: skip
    assert proc.stdout is not None and proc.stdout.readline().strip() == "holding"
    yield proc
    proc.kill()
    proc.communicate()  # reaps it and closes the pipes


def test_without_a_holder_the_writer_connects_at_once(warehouse: Path) -> None:
    with connect_writer(warehouse, wait=0) as con:
        con.execute("INSERT INTO t VALUES (2)")


def test_the_writer_waits_for_the_analyst_to_close_and_then_writes(
    warehouse: Path, analyst: subprocess.Popen[str]
) -> None:
    with pytest.raises(WarehouseLocked):  # the analyst does hold the lock
        connect_writer(warehouse, wait=0)
    connected = threading.Event()
    result: list[duckdb.DuckDBPyConnection] = []

    def write() -> None:
        result.append(connect_writer(warehouse, wait=120))
        connected.set()

    thread = threading.Thread(target=write)
    thread.start()
    assert not connected.is_set()  # still waiting: the analyst has not let go
    assert analyst.stdin is not None and analyst.stdout is not None
    analyst.stdin.write("close\n")
    analyst.stdin.flush()
    assert analyst.stdout.readline().strip() == "released"
    thread.join(timeout=120)
    assert connected.is_set()
    with result[0] as con:
        con.execute("INSERT INTO t VALUES (3)")
        assert con.execute("SELECT count(*) FROM t").fetchone() == (2,)


def test_after_the_bounded_wait_the_error_names_the_holder(
    warehouse: Path, analyst: subprocess.Popen[str]
) -> None:
    with pytest.raises(WarehouseLocked) as caught:
        connect_writer(warehouse, wait=0.5)
    assert f"process {analyst.pid}" in str(caught.value)
    assert str(warehouse) in str(caught.value)
    assert caught.value.holder_pid == analyst.pid


def test_an_error_other_than_the_lock_is_not_retried(tmp_path: Path) -> None:
    broken = tmp_path / "warehouse.duckdb"
    broken.write_bytes(b"this is not a DuckDB file" * 1000)
    with pytest.raises(duckdb.Error) as caught:
        connect_writer(broken, wait=600)  # would hang for 10 minutes if it were retried
    assert not isinstance(caught.value, WarehouseLocked)
