"""A transform bounds DuckDB's buffer pool while it runs, and gives the setting back."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.warehouse.rawdata import RawWriter, synthetic_catalogue
from warehouse import transform as transform_module
from warehouse.db import connect_warehouse, release_buffers
from warehouse.encryption import warehouse_key
from warehouse.schema import ensure_base_schema
from warehouse.transform import bounded_memory, transform


def _limit(con: duckdb.DuckDBPyConnection) -> str:
    row = con.execute("SELECT current_setting('memory_limit')").fetchone()
    assert row is not None
    return str(row[0])


def test_the_limit_holds_inside_the_block_and_is_restored_after(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    default = _limit(con)
    with bounded_memory(con, "64MB"):
        assert _limit(con) == "61.0 MiB"
    assert _limit(con) == default
    con.execute("SET memory_limit = '1GiB'")
    with bounded_memory(con, "64MB"):
        assert _limit(con) == "61.0 MiB"
    assert _limit(con) == "1.0 GiB"


def test_the_limit_is_restored_when_the_block_fails(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("SET memory_limit = '2GiB'")
    before = _limit(con)
    with pytest.raises(RuntimeError), bounded_memory(con, "64MB"):
        raise RuntimeError("boom")
    assert _limit(con) == before


@pytest.mark.parametrize(
    "limit", ["lots", "-1MB", "", "1MB'; DROP TABLE dq_runs; --", "9" * 40 + "GB", "1 MB "]
)
def test_a_malformed_limit_is_refused_and_changes_nothing(tmp_path: Path, limit: str) -> None:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    ensure_base_schema(con)
    before = _limit(con)
    with pytest.raises(ValueError, match="not a memory limit"), bounded_memory(con, limit):
        pass
    assert _limit(con) == before
    assert con.execute("SELECT count(*) FROM dq_runs").fetchone() == (0,)


def test_a_transform_under_a_small_limit_builds_the_same_tables(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    ensure_base_schema(con)
    raw = RawWriter(con)
    synthetic_catalogue(raw, 200)
    raw.flush()
    con.execute("SET memory_limit = '4GiB'")
    before = _limit(con)
    first = transform(con, "run-1")
    assert _limit(con) == before
    movies = con.execute("SELECT * FROM mart_movies ORDER BY tmdb_id").fetchall()
    sources = con.execute("SELECT * FROM mart_sources ORDER BY info_hash").fetchall()
    second = transform(con, "run-1")
    assert second.rows == first.rows and first.rows["mart_movies"] == 200
    assert con.execute("SELECT * FROM mart_movies ORDER BY tmdb_id").fetchall() == movies
    assert con.execute("SELECT * FROM mart_sources ORDER BY info_hash").fetchall() == sources


def test_a_limit_too_small_for_the_bodies_falls_back_to_an_unbounded_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    bounded = duckdb.connect(str(tmp_path / "bounded.duckdb"))
    unbounded = duckdb.connect(str(tmp_path / "unbounded.duckdb"))
    for con in (bounded, unbounded):
        ensure_base_schema(con)
        raw = RawWriter(con)
        synthetic_catalogue(raw, 300, torrents_per_movie=6)
        raw.add("raw_tmdb_movies", "GET /3/movie/9", "9", "x" * 3_000_000)  # one huge body
        raw.flush()
    expected = transform(unbounded, "run-1")
    monkeypatch.setattr(transform_module, "MEMORY_LIMIT", "1MB")
    before = _limit(bounded)
    with caplog.at_level("WARNING", logger="warehouse.transform"):
        summary = transform(bounded, "run-1")
    assert "running it again unbounded" in caplog.text
    assert _limit(bounded) == before
    assert summary.rows == expected.rows and summary.quarantined == expected.quarantined
    query = "SELECT * FROM mart_sources ORDER BY info_hash"
    assert bounded.execute(query).fetchall() == unbounded.execute(query).fetchall()


def _needs_more_than(con: duckdb.DuckDBPyConnection, mib: int) -> int:
    """A query whose working set exceeds ``mib`` MiB and cannot spill (no temp directory)."""
    row = con.execute(
        f"SELECT count(DISTINCT s) FROM (SELECT repeat('x', 1000) || i::VARCHAR AS s"
        f" FROM range({mib * 2000}) t(i))"
    ).fetchone()
    assert row is not None
    return int(row[0])


def test_the_buffer_pool_gets_its_limit_back_on_the_encrypted_warehouse(tmp_path: Path) -> None:
    # RESET alone left the pool at the lower limit (the setting read back as restored).
    with connect_warehouse(tmp_path / "w.duckdb", [warehouse_key(b"k" * 32)]) as con:
        con.execute("SET temp_directory = ''")
        with bounded_memory(con, "16MB"), pytest.raises(duckdb.OutOfMemoryException):
            _needs_more_than(con, 64)
        assert _needs_more_than(con, 64) == 64 * 2000
        release_buffers(con)
        assert _needs_more_than(con, 64) == 64 * 2000


def test_releasing_buffers_hands_cached_blocks_back(tmp_path: Path) -> None:
    path = str(tmp_path / "w.duckdb")
    with duckdb.connect(path) as writer:  # ~100 MB of incompressible text, on disk
        writer.execute(
            "CREATE TABLE t AS SELECT i, repeat(md5(i::VARCHAR), 16) AS s FROM range(200000) t(i)"
        )
    con = duckdb.connect(path)
    default = _limit(con)
    con.execute("SELECT sum(length(s)) FROM t").fetchone()  # reads every block: now cached
    cached = _buffer_mib(con)
    release_buffers(con)
    assert cached > 32
    assert _buffer_mib(con) < cached / 4
    assert _limit(con) == default


def _buffer_mib(con: duckdb.DuckDBPyConnection) -> float:
    row = con.execute("SELECT sum(memory_usage_bytes) / 2**20 FROM duckdb_memory()").fetchone()
    assert row is not None
    return float(row[0])
