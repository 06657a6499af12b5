"""The working warehouse at rest: encrypted by DuckDB with a key derived from the master,
upgraded from plaintext and re-keyed after a rotation without losing a row."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from warehouse.encryption import (
    WarehouseKeyError,
    open_encrypted,
    rekey,
    warehouse_key,
)

HASH = "c12fe1c06bba254a9dc9f519b335aa7c1367a88a"
MAGNET = f"magnet:?xt=urn:btih:{HASH}&dn=Film"
OLD, NEW = warehouse_key(b"o" * 32), warehouse_key(b"n" * 32)


def _fill(con: duckdb.DuckDBPyConnection, rows: int = 2000) -> None:
    con.execute(
        "CREATE TABLE raw_yts__movies AS SELECT range AS id, ? AS info_hash, ? AS magnet,"
        " repeat('x', 200) AS payload FROM range(?)",
        [HASH, MAGNET, rows],
    )


def _files(path: Path) -> list[Path]:
    return [p for p in path.parent.iterdir() if p.name.startswith((path.name, f".{path.name}"))]


def _plaintext_anywhere(path: Path) -> bool:
    needles = (HASH.encode(), HASH.upper().encode(), b"magnet:?xt")
    return any(n in f.read_bytes() for f in _files(path) for n in needles)


def test_the_file_and_its_log_hold_no_info_hash_or_magnet(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    con = open_encrypted(path, [NEW])
    _fill(con)
    con.execute("INSERT INTO raw_yts__movies VALUES (99999, ?, ?, 'after the checkpoint')",
                [HASH, MAGNET])  # fmt: skip
    assert _plaintext_anywhere(path) is False  # the WAL too, before any checkpoint
    con.close()
    assert _plaintext_anywhere(path) is False
    again = open_encrypted(path, [NEW], read_only=True)
    assert again.execute("SELECT count(*), min(info_hash) FROM raw_yts__movies").fetchone() == (
        2001,
        HASH,
    )
    again.close()


def test_without_the_key_or_with_another_the_warehouse_stays_shut(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    open_encrypted(path, [NEW]).close()
    with pytest.raises(duckdb.Error, match="without a key"):
        duckdb.connect(str(path))
    with pytest.raises(WarehouseKeyError, match="none of the 1"):
        open_encrypted(path, [OLD])
    with pytest.raises(WarehouseKeyError):
        open_encrypted(path, [])


def test_a_plaintext_warehouse_is_encrypted_in_place_by_the_first_writer(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as plain:
        _fill(plain)
    assert _plaintext_anywhere(path)
    reader = open_encrypted(path, [NEW], read_only=True)  # readers never rewrite
    assert reader.execute("SELECT count(*) FROM raw_yts__movies").fetchone() == (2000,)
    reader.close()
    con = open_encrypted(path, [NEW])
    assert con.execute("SELECT count(*) FROM raw_yts__movies").fetchone() == (2000,)
    con.close()
    assert not _plaintext_anywhere(path)
    assert [p.name for p in _files(path)] == ["warehouse.duckdb"]


def test_after_a_rotation_the_old_key_opens_it_and_a_writer_rekeys(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    con = open_encrypted(path, [OLD])
    _fill(con)
    con.close()
    reader = open_encrypted(path, [NEW, OLD], read_only=True)
    assert reader.execute("SELECT count(*) FROM raw_yts__movies").fetchone() == (2000,)
    reader.close()
    open_encrypted(path, [NEW, OLD]).close()  # the writer re-encrypts under NEW
    only_new = open_encrypted(path, [NEW], read_only=True)
    assert only_new.execute("SELECT count(*) FROM raw_yts__movies").fetchone() == (2000,)
    only_new.close()


def test_a_rekey_that_dies_before_the_swap_leaves_the_old_file_whole(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    con = open_encrypted(path, [OLD])
    _fill(con)
    con.close()
    script = (
        "import os, sys\n"
        "import warehouse.encryption as e\n"
        "e.os.replace = lambda *a: os._exit(9)\n"  # killed between the copy and the swap
        f"e.rekey(e.Path({str(path)!r}), {OLD!r}, {NEW!r})\n"
    )
    root = Path(__file__).parents[2]
    died = subprocess.run(
        [sys.executable, "-c", script], cwd=root, env={**os.environ, "PYTHONPATH": str(root)}
    )
    assert died.returncode == 9
    survivor = open_encrypted(path, [OLD], read_only=True)
    assert survivor.execute("SELECT count(*) FROM raw_yts__movies").fetchone() == (2000,)
    survivor.close()
    rekey(path, OLD, NEW)  # the next attempt starts over and completes
    assert open_encrypted(path, [NEW], read_only=True).execute(
        "SELECT count(*) FROM raw_yts__movies"
    ).fetchone() == (2000,)


def test_a_path_with_quotes_is_attached_literally(tmp_path: Path) -> None:
    path = tmp_path / "it's; DROP TABLE x; --.duckdb"
    con = open_encrypted(path, [NEW])
    _fill(con, rows=3)
    con.close()
    assert path.is_file()
    assert open_encrypted(path, [NEW], read_only=True).execute(
        "SELECT count(*) FROM raw_yts__movies"
    ).fetchone() == (3,)
