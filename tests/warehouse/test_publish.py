"""publish_catalog: marts -> catalog.sqlite, complete, versioned, rollback-journal mode,
atomically swapped, with leftovers of crashed publishes cleaned up."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from core.catalog.contract import SCHEMA_VERSION, source_id_for
from core.crypto import FieldCipher
from tests.helpers.catalog import (
    COMPONENTS,
    LISTS,
    cipher,
    fill_sample_marts,
    fill_synthetic_marts,
    publish_sample,
)
from warehouse.publish import (
    PublishError,
    publish_catalog,
)


@pytest.fixture
def warehouse() -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect()
    yield con
    con.close()


def _open(path: Path) -> sqlite3.Connection:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    con.row_factory = sqlite3.Row
    return con


def test_publish_copies_every_mart_and_writes_the_version_row(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.sqlite"
    marts, summary = publish_sample(catalog, run_id="run-42")
    con = _open(catalog)
    expected = {
        "movies": len(marts.movies),
        "sources": len(marts.sources),
        "list_members": sum(len(ids) for ids in LISTS.values()),
        "config": 3,
    }
    for table, count in expected.items():
        assert con.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] == count
        assert summary.counts[table] == count
    version = con.execute("SELECT * FROM catalog_version").fetchall()
    assert len(version) == 1
    assert version[0]["run_id"] == "run-42"
    assert version[0]["schema_version"] == SCHEMA_VERSION
    assert json.loads(version[0]["counts"]) == summary.counts
    assert version[0]["published_at"] == summary.published_at
    assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert summary.path == catalog and summary.seconds > 0


def test_published_file_is_in_rollback_journal_mode_and_intact(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.sqlite"
    publish_sample(catalog)
    con = _open(catalog)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert catalog.read_bytes()[18:20] == b"\x01\x01"  # legacy (rollback) read/write versions
    assert sorted(p.name for p in tmp_path.iterdir()) == ["catalog.sqlite"]


def test_values_are_converted_for_sqlite(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.sqlite"
    publish_sample(catalog)
    con = _open(catalog)
    movie = con.execute("SELECT * FROM movies WHERE tmdb_id = 194").fetchone()
    assert movie["release_date"] == "2001-06-15"
    assert movie["title"] == "Amélie"
    assert "die fabelhafte welt der amélie" in movie["search_text"]
    source = con.execute("SELECT * FROM sources WHERE quality = '3D'").fetchone()
    assert source["is_3d"] == 1 and source["is_repack"] == 0
    assert source["uploaded_at"] == "2020-05-17T12:30:00Z"
    assert source["score_web"] is None and source["rank_web"] is None


def test_components_are_the_c_columns_without_prefix(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.sqlite"
    marts, _ = publish_sample(catalog)
    con = _open(catalog)
    for src in marts.sources:
        row = con.execute(
            "SELECT components FROM sources WHERE source_id = ?",
            (source_id_for(cipher(), src.info_hash),),
        ).fetchone()
        components = json.loads(row[0])
        assert set(components) == set(COMPONENTS)
        assert components == src.components


def test_source_id_is_the_keyed_hash_of_the_lowercase_info_hash(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.sqlite"
    marts, _ = publish_sample(catalog)
    con = _open(catalog)
    field_cipher = cipher()
    ids = {row[0] for row in con.execute("SELECT source_id FROM sources")}
    for src in marts.sources:
        expected = field_cipher.lookup_hash("source:" + src.info_hash.lower())[:24]
        assert expected in ids
        assert source_id_for(field_cipher, src.info_hash) == expected  # upper case in
    hmac_row = con.execute(
        "SELECT source_id FROM sources WHERE info_hash_hmac = ?",
        (field_cipher.lookup_hash(marts.sources[0].info_hash.lower()),),
    ).fetchone()
    assert hmac_row[0] == source_id_for(field_cipher, marts.sources[0].info_hash)


def test_source_ids_are_stable_across_publishes(tmp_path: Path) -> None:
    publish_sample(tmp_path / "a.sqlite", run_id="a")
    publish_sample(tmp_path / "b.sqlite", run_id="b")
    query = "SELECT source_id FROM sources ORDER BY source_id"
    assert _open(tmp_path / "a.sqlite").execute(query).fetchall() == (
        _open(tmp_path / "b.sqlite").execute(query).fetchall()
    )


def test_republish_replaces_the_catalog_atomically(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.sqlite"
    publish_sample(catalog, run_id="first")
    old_inode = catalog.stat().st_ino
    held = _open(catalog)  # a reader in the middle of a request
    publish_sample(catalog, run_id="second", title_suffix=" 2")
    assert catalog.stat().st_ino != old_inode
    assert held.execute("SELECT run_id FROM catalog_version").fetchone()[0] == "first"
    assert _open(catalog).execute("SELECT run_id FROM catalog_version").fetchone()[0] == "second"


def test_leftover_tmp_files_of_a_crashed_publish_are_removed(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.sqlite"
    stale = [
        tmp_path / "catalog.sqlite.crashed-run.tmp",
        tmp_path / "catalog.sqlite.crashed-run.tmp-journal",
    ]
    for path in stale:
        path.write_bytes(b"half a catalog")
    unrelated = tmp_path / "notes.tmp"
    unrelated.write_text("keep me")
    publish_sample(catalog, run_id="next")
    assert not any(path.exists() for path in stale)
    assert unrelated.exists()


@pytest.mark.parametrize(
    "run_id", ["", "../escape", "a/b", "run id", "x" * 200, ".hidden", "run\x00", "run;rm"]
)
def test_unsafe_run_ids_are_refused_before_touching_disk(
    tmp_path: Path, warehouse: duckdb.DuckDBPyConnection, run_id: str
) -> None:
    fill_sample_marts(warehouse)
    with pytest.raises(PublishError, match="run_id"):
        publish_catalog(warehouse, tmp_path / "catalog.sqlite", cipher(), run_id)
    assert list(tmp_path.iterdir()) == []


def _assert_previous_catalog_kept(tmp_path: Path, catalog: Path) -> None:
    assert _open(catalog).execute("SELECT run_id FROM catalog_version").fetchone()[0] == "good"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["catalog.sqlite"]


@pytest.mark.parametrize(
    ("corruption", "match"),
    [
        ("UPDATE mart_sources SET info_hash = 'not-a-hash' WHERE tmdb_id = 155", "info hash"),
        ("UPDATE mart_sources SET info_hash = info_hash || '00' WHERE tmdb_id = 155", "info hash"),
        ("UPDATE mart_sources SET magnet = '' WHERE tmdb_id = 155", "magnet"),
        (
            "INSERT INTO mart_sources SELECT * FROM mart_sources WHERE tmdb_id = 155",
            "sources",
        ),
        ("INSERT INTO mart_genres VALUES (18, 'en', 'Drama again')", "genres"),
        ("DROP TABLE mart_images", "mart_images"),
        ("DELETE FROM mart_movies", "empty"),
    ],
)
def test_a_failed_publish_leaves_the_previous_catalog_live(
    tmp_path: Path, warehouse: duckdb.DuckDBPyConnection, corruption: str, match: str
) -> None:
    catalog = tmp_path / "catalog.sqlite"
    publish_sample(catalog, run_id="good")
    fill_sample_marts(warehouse)
    warehouse.execute(corruption)
    with pytest.raises(PublishError, match=match):
        publish_catalog(warehouse, catalog, cipher(), "bad")
    _assert_previous_catalog_kept(tmp_path, catalog)


def test_empty_catalog_can_be_published_when_explicitly_allowed(
    tmp_path: Path, warehouse: duckdb.DuckDBPyConnection
) -> None:
    fill_sample_marts(warehouse)
    for table in ("mart_sources", "mart_list_members", "mart_movie_genres", "mart_movies"):
        warehouse.execute(f"DELETE FROM {table}")
    summary = publish_catalog(
        warehouse, tmp_path / "catalog.sqlite", cipher(), "empty", allow_empty=True
    )
    assert summary.counts["movies"] == 0 and summary.counts["sources"] == 0


def test_progress_hook_sees_every_table(
    tmp_path: Path, warehouse: duckdb.DuckDBPyConnection
) -> None:
    fill_sample_marts(warehouse)
    seen: dict[str, int] = {}
    publish_catalog(
        warehouse,
        tmp_path / "catalog.sqlite",
        cipher(),
        "hooked",
        on_progress=lambda table, rows: seen.__setitem__(table, rows),
    )
    assert seen["movies"] == 7 and seen["sources"] == 9
    assert set(seen) >= {"genres", "translations", "images", "list_members", "movie_genres"}


def test_publish_at_scale_keeps_every_row(
    tmp_path: Path, warehouse: duckdb.DuckDBPyConnection
) -> None:
    fill_synthetic_marts(warehouse, movies=10_000, sources_per_movie=4)
    summary = publish_catalog(warehouse, tmp_path / "catalog.sqlite", cipher(), "scale")
    assert summary.counts["movies"] == 10_000
    assert summary.counts["sources"] == 40_000
    con = _open(tmp_path / "catalog.sqlite")
    assert con.execute("SELECT COUNT(DISTINCT source_id) FROM sources").fetchone()[0] == 40_000
    assert con.execute("SELECT COUNT(DISTINCT info_hash_hmac) FROM sources").fetchone()[0] == (
        40_000
    )


def test_other_master_key_yields_other_source_ids(tmp_path: Path) -> None:
    publish_sample(tmp_path / "a.sqlite", run_id="a")
    publish_sample(tmp_path / "b.sqlite", run_id="b", field_cipher=FieldCipher(b"k" * 40))
    query = "SELECT source_id FROM sources"
    assert not {r[0] for r in _open(tmp_path / "a.sqlite").execute(query)} & {
        r[0] for r in _open(tmp_path / "b.sqlite").execute(query)
    }


def test_sort_titles_exist_for_every_movie_in_every_translation_language(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.sqlite"
    marts, summary = publish_sample(catalog)
    con = _open(catalog)
    languages = {row[0] for row in con.execute("SELECT DISTINCT language FROM translations")}
    assert summary.counts["movie_titles"] == len(languages) * len(marts.movies)
    titles = dict(
        con.execute("SELECT tmdb_id, title FROM movie_titles WHERE language = 'es'").fetchall()
    )
    assert titles[155] == "El caballero oscuro"
    assert titles[550] == "El club de la lucha"  # ES before MX: deterministic
    assert titles[238] == "The Godfather"  # untranslated: the movie's own title
    english = dict(
        con.execute("SELECT tmdb_id, title FROM movie_titles WHERE language = 'en'").fetchall()
    )
    assert english[550] == "Fight Club"  # an empty translated title is not used
