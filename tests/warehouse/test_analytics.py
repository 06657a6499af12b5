"""The analysts' snapshot: the marts in a private ``analytics.duckdb``, sources named by
their public id (an HMAC), no info hash, magnet or torrent URL, swapped in atomically."""

from __future__ import annotations

import base64
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from core.catalog.contract import source_id_for
from core.crypto import FieldCipher
from tests.helpers.catalog import TEST_KEYS, cipher, fill_sample_marts
from warehouse.analytics import (
    ANALYTICS_FILE,
    SECRET_COLUMNS,
    AnalyticsError,
    write_snapshot,
)
from warehouse.db import connect_warehouse
from warehouse.schema import ensure_base_schema


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    return folder


@pytest.fixture
def warehouse(data_dir: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = connect_warehouse(data_dir / "warehouse.duckdb", TEST_KEYS)
    ensure_base_schema(con)
    fill_sample_marts(con)
    yield con
    con.close()


def _open(data_dir: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(data_dir / ANALYTICS_FILE), read_only=True)


def _not_warehouse(data_dir: Path) -> list[str]:
    """What is in the data directory besides the working warehouse (and its WAL)."""
    return sorted(p.name for p in data_dir.iterdir() if not p.name.startswith("warehouse."))


def _secrets(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every info hash (hex both cases, base32), magnet link and torrent URL of the marts."""
    rows = con.execute("SELECT info_hash, magnet, torrent_url FROM mart_sources").fetchall()
    found: list[str] = []
    for info_hash, magnet, url in rows:
        raw = bytes.fromhex(info_hash)
        found += [info_hash.lower(), info_hash.upper(), base64.b32encode(raw).decode(), magnet]
        found += [url] if url else []
    return found


def test_the_snapshot_holds_the_marts_with_public_source_ids(
    warehouse: duckdb.DuckDBPyConnection, data_dir: Path
) -> None:
    summary = write_snapshot(warehouse, data_dir, cipher())
    hashes = [r[0] for r in warehouse.execute("SELECT info_hash FROM mart_sources").fetchall()]
    with _open(data_dir) as snap:
        tables = {r[0] for r in snap.execute("SHOW TABLES").fetchall()}
        ids = {r[0] for r in snap.execute("SELECT source_id FROM sources").fetchall()}
        movies = snap.execute("SELECT count(*) FROM movies").fetchone()
        columns = {
            r[0] for r in snap.execute("SELECT column_name FROM duckdb_columns()").fetchall()
        }
    assert {"movies", "sources", "genres", "list_members", "sync_runs", "dq_runs"} <= tables
    assert {"quarantine_counts", "engine_outcomes", "shows", "episodes"} <= tables
    assert ids == {source_id_for(cipher(), h) for h in hashes}
    assert movies == warehouse.execute("SELECT count(*) FROM mart_movies").fetchone()
    assert summary.tables["sources"] == len(hashes)
    assert not columns & SECRET_COLUMNS
    assert {"score_web", "rank_web", "seeds", "quality"} <= columns


def test_no_info_hash_magnet_or_torrent_url_is_in_the_snapshot_file(
    warehouse: duckdb.DuckDBPyConnection, data_dir: Path
) -> None:
    write_snapshot(warehouse, data_dir, cipher())
    secrets = _secrets(warehouse)
    assert secrets  # the sample marts do hold them
    files = [p for p in data_dir.iterdir() if p.name.startswith("analytics")]
    assert [p.name for p in files] == [ANALYTICS_FILE]  # no WAL, no leftover
    blob = files[0].read_bytes()
    assert b"magnet:" not in blob
    for secret in secrets:
        assert secret.encode() not in blob, secret


def test_the_same_hash_has_the_same_id_in_every_snapshot_and_another_key_another_id(
    warehouse: duckdb.DuckDBPyConnection, data_dir: Path
) -> None:
    query = "SELECT tmdb_id, quality, source_id FROM sources ORDER BY ALL"
    write_snapshot(warehouse, data_dir, cipher())
    with _open(data_dir) as snap:
        first = snap.execute(query).fetchall()
    write_snapshot(warehouse, data_dir, cipher())
    with _open(data_dir) as snap:
        assert snap.execute(query).fetchall() == first
    write_snapshot(warehouse, data_dir, FieldCipher(b"another-master-secret-0123456789abcdef"))
    with _open(data_dir) as snap:
        other = snap.execute(query).fetchall()
    assert {r[2] for r in other}.isdisjoint({r[2] for r in first})


def test_the_snapshot_is_private_to_the_service_user_whatever_the_umask(
    warehouse: duckdb.DuckDBPyConnection, data_dir: Path
) -> None:
    old = os.umask(0o022)
    try:
        write_snapshot(warehouse, data_dir, cipher())
    finally:
        os.umask(old)
    assert stat.S_IMODE((data_dir / ANALYTICS_FILE).stat().st_mode) == 0o600


def test_a_failed_snapshot_leaves_the_previous_one_and_no_leftovers(
    warehouse: duckdb.DuckDBPyConnection, data_dir: Path
) -> None:
    write_snapshot(warehouse, data_dir, cipher())
    before = (data_dir / ANALYTICS_FILE).read_bytes()
    fill_sample_marts(warehouse, title_suffix=" (new)")

    def fail(table: str) -> None:
        if table == "sources":
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        write_snapshot(warehouse, data_dir, cipher(), on_table=fail)
    assert (data_dir / ANALYTICS_FILE).read_bytes() == before
    assert _not_warehouse(data_dir) == [ANALYTICS_FILE]


def test_a_broken_mart_is_reported_as_an_analytics_error(
    warehouse: duckdb.DuckDBPyConnection, data_dir: Path
) -> None:
    warehouse.execute("DROP TABLE mart_movies")
    warehouse.execute("CREATE VIEW mart_movies AS SELECT 1 / 0 AS x, error('corrupt') AS y")
    with pytest.raises(AnalyticsError, match=r"analytics\.duckdb not written"):
        write_snapshot(warehouse, data_dir, cipher())
    assert _not_warehouse(data_dir) == []


def test_a_warehouse_without_marts_gives_an_empty_but_valid_snapshot(data_dir: Path) -> None:
    with connect_warehouse(data_dir / "warehouse.duckdb", TEST_KEYS) as con:
        ensure_base_schema(con)
        summary = write_snapshot(con, data_dir, cipher())
    assert "movies" not in summary.tables and summary.tables["sync_runs"] == 0
    with _open(data_dir) as snap:
        assert snap.execute("SELECT count(*) FROM quarantine_counts").fetchone() == (0,)


def test_a_data_directory_with_quotes_and_spaces_in_its_name_works(tmp_path: Path) -> None:
    data_dir = tmp_path / "it's a dir; DROP TABLE x"
    with connect_warehouse(data_dir / "warehouse.duckdb", TEST_KEYS) as con:
        ensure_base_schema(con)
        fill_sample_marts(con)
        write_snapshot(con, data_dir, cipher())
    with _open(data_dir) as snap:
        assert snap.execute("SELECT count(*) FROM movies").fetchone()[0] > 0


def test_quarantine_is_counted_without_its_payloads_or_record_keys(
    warehouse: duckdb.DuckDBPyConnection, data_dir: Path
) -> None:
    secret = "c" * 40
    warehouse.executemany(
        "INSERT INTO quarantine VALUES ('run-1', 'raw_yts_movies', 'k', ?, 'size_bytes <= 0', ?,"
        " TIMESTAMP '2026-01-01 00:00:00')",
        [(secret, f'{{"hash": "{secret}"}}'), (secret, "magnet:?xt=urn:btih:" + secret)],
    )
    write_snapshot(warehouse, data_dir, cipher())
    with _open(data_dir) as snap:
        rows = snap.execute("SELECT * FROM quarantine_counts").fetchall()
    assert [r[:4] for r in rows] == [("run-1", "raw_yts_movies", "size_bytes <= 0", 2)]
    assert secret.encode() not in (data_dir / ANALYTICS_FILE).read_bytes()


def test_a_hash_in_another_case_or_padded_gets_the_same_id_and_stays_out(
    warehouse: duckdb.DuckDBPyConnection, data_dir: Path
) -> None:
    original = warehouse.execute("SELECT min(info_hash) FROM mart_sources").fetchone()[0]
    for variant in (original.upper(), f" {original}\t"):
        warehouse.execute(
            "INSERT INTO mart_sources SELECT * REPLACE (? AS info_hash) FROM mart_sources "
            "WHERE info_hash = ?",
            [variant, original],
        )
    write_snapshot(warehouse, data_dir, cipher())
    with _open(data_dir) as snap:
        rows = snap.execute(
            "SELECT count(*) FROM sources WHERE source_id = ?", [source_id_for(cipher(), original)]
        ).fetchone()
    assert rows == (3,)
    assert original.upper().encode() not in (data_dir / ANALYTICS_FILE).read_bytes()
