"""Every open of the working warehouse goes through warehouse.db: encrypted under the
settings' master, an old plaintext file encrypted on first open, shared within a process."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from core.crypto import Keyring
from core.settings import Settings
from tests.helpers.catalog import TEST_KEYS
from warehouse.db import connect_warehouse, cursor, open_warehouse
from warehouse.encryption import WarehouseKeyError, warehouse_key
from warehouse.errors import WarehouseError

HASH = "0123456789abcdef0123456789abcdef01234567"


def _grep(path: Path, needle: bytes) -> bool:
    return any(
        needle in p.read_bytes()
        for p in path.parent.iterdir()
        if p.is_file() and p.name.startswith(path.name)
    )


def test_the_settings_master_encrypts_the_warehouse_and_no_other_key_opens_it(
    settings: Settings,
) -> None:
    with open_warehouse(settings) as con:
        con.execute("CREATE TABLE mart_sources AS SELECT ? AS info_hash", [HASH])
        assert _grep(settings.warehouse_path, HASH.encode()) is False  # WAL included
    assert _grep(settings.warehouse_path, HASH.encode()) is False
    with pytest.raises(duckdb.Error):  # a plain DuckDB cannot read it
        duckdb.connect(str(settings.warehouse_path), read_only=True)
    with pytest.raises(WarehouseKeyError):
        connect_warehouse(settings.warehouse_path, [warehouse_key(b"x" * 32)], read_only=True)
    master = Keyring.load(settings.key_path, settings.secret_key.get_secret_value()).masters[0]
    with connect_warehouse(settings.warehouse_path, [warehouse_key(master)]) as con:
        assert con.execute("SELECT info_hash FROM mart_sources").fetchall() == [(HASH,)]


def test_a_plaintext_warehouse_of_an_older_version_is_encrypted_on_first_open(
    settings: Settings,
) -> None:
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(settings.warehouse_path)) as old:
        old.execute("CREATE TABLE raw_yts_movies AS SELECT ? AS payload FROM range(500)", [HASH])
    assert _grep(settings.warehouse_path, HASH.encode()) is True
    with open_warehouse(settings) as con:
        assert con.execute("SELECT count(*) FROM raw_yts_movies").fetchone() == (500,)
    assert _grep(settings.warehouse_path, HASH.encode()) is False
    with open_warehouse(settings, read_only=True) as con:
        assert con.execute("SELECT min(payload) FROM raw_yts_movies").fetchone() == (HASH,)


def test_a_second_open_in_the_same_process_shares_the_first(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    outer = connect_warehouse(path, TEST_KEYS)
    outer.execute("CREATE TABLE t AS SELECT 1 AS x")
    inner = connect_warehouse(path, TEST_KEYS, read_only=True)  # DuckDB refuses a 2nd attach
    assert inner.execute("SELECT x FROM t").fetchall() == [(1,)]
    inner.close()
    outer.execute("INSERT INTO t VALUES (2)")
    outer.close()
    with connect_warehouse(path, TEST_KEYS) as again:  # the first closed: a fresh session
        assert again.execute("SELECT count(*) FROM t").fetchone() == (2,)


def test_a_writer_is_refused_while_this_process_holds_it_read_only(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    connect_warehouse(path, TEST_KEYS).close()
    reader = connect_warehouse(path, TEST_KEYS, read_only=True)
    try:
        with pytest.raises(WarehouseError, match="open read-only in this process"):
            connect_warehouse(path, TEST_KEYS)
    finally:
        reader.close()


def test_a_cursor_keeps_the_warehouse_as_its_default_database(tmp_path: Path) -> None:
    with connect_warehouse(tmp_path / "warehouse.duckdb", TEST_KEYS) as con:
        con.execute("CREATE TABLE t AS SELECT 7 AS x")
        assert con.cursor().execute("SELECT current_database()").fetchone() == ("memory",)
        assert cursor(con).execute("SELECT x FROM t").fetchall() == [(7,)]
    memory = duckdb.connect()
    memory.execute("CREATE TABLE t AS SELECT 8 AS x")
    assert cursor(memory).execute("SELECT x FROM t").fetchall() == [(8,)]


def test_spill_files_go_beside_the_warehouse_not_into_the_working_directory(
    tmp_path: Path,
) -> None:
    path = tmp_path / "data" / "warehouse.duckdb"
    with connect_warehouse(path, TEST_KEYS) as con:
        row = con.execute("SELECT current_setting('temp_directory')").fetchone()
    assert row == (str(path.resolve()) + ".tmp",)
