"""Publish the marts as a fresh, encrypted ``catalog.sqlite`` and swap it in atomically.

The new catalog is built beside the live one as ``catalog.sqlite.<run_id>.tmp`` (schema,
ids and secret labels from the contract in :mod:`core.catalog.contract`), filled from the
``mart_*`` tables in bulk, fsynced, and renamed onto ``catalog.sqlite`` with one
``os.replace``. Readers holding the old file keep reading it; new readers see the new one;
nobody ever sees half a catalog. Leftover ``*.tmp`` files of a crashed publish are removed
by the next one.

Secrets (info hash, magnet, torrent URL) are stored only as AES-GCM blobs bound to their row
(:func:`~core.catalog.contract.secret_aad`); lookups go through ``info_hash_hmac``.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from core.catalog.contract import (
    SCHEMA_PATH,
    SCHEMA_VERSION,
    info_hash_hmac,
    secret_aad,
    source_id_for,
)
from core.crypto import FieldCipher, Keyring
from core.errors import MiauflixError
from warehouse.db import release_buffers
from warehouse.publish_tv import TvPublisher
from warehouse.trakt_lists import list_members_query

BATCH_ROWS = 5_000

_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_INFO_HASH = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")
_INDEX_STATEMENT = re.compile(r"^CREATE INDEX [^;]+;", re.MULTILINE)

ProgressHook = Callable[[str, int], None]
"""Called as ``hook(table, rows_written_so_far)`` after every batch (tests pause here)."""


class PublishError(MiauflixError):
    """The catalog could not be published; the previous catalog is left in place."""


@dataclass(frozen=True)
class PublishSummary:
    run_id: str
    path: Path
    counts: dict[str, int]
    seconds: float
    published_at: str = field(default="")


# Plain tables: (catalog table, insert columns, DuckDB query producing SQLite-ready values).
_PLAIN_TABLES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("config", ("key", "value"), "SELECT key, value FROM mart_config ORDER BY key"),
    (
        "genres",
        ("genre_id", "language", "name"),
        "SELECT genre_id, language, name FROM mart_genres ORDER BY genre_id, language",
    ),
    (
        "movie_genres",
        ("tmdb_id", "genre_id"),
        "SELECT DISTINCT tmdb_id, genre_id FROM mart_movie_genres ORDER BY tmdb_id, genre_id",
    ),
    (
        "translations",
        ("tmdb_id", "language", "region", "title", "overview", "tagline"),
        "SELECT tmdb_id, language, region, title, overview, tagline FROM mart_translations"
        " ORDER BY tmdb_id, language, region",
    ),
    (
        "movie_titles",
        ("language", "tmdb_id", "title"),
        """WITH best AS (
               SELECT tmdb_id, language, arg_min(title, coalesce(region, '')) AS title
               FROM mart_translations WHERE title IS NOT NULL AND title <> ''
               GROUP BY tmdb_id, language
           )
           SELECT l.language, m.tmdb_id, coalesce(b.title, m.title)
           FROM mart_movies m
           CROSS JOIN (SELECT DISTINCT language FROM mart_translations) l
           LEFT JOIN best b ON b.tmdb_id = m.tmdb_id AND b.language = l.language
           ORDER BY 1, 2""",
    ),
    (
        "images",
        ("tmdb_id", "kind", "file_path", "width", "height", "language", "vote_average"),
        "SELECT tmdb_id, kind, file_path, width, height, language, vote_average FROM mart_images"
        " ORDER BY tmdb_id, kind, vote_average DESC NULLS LAST, file_path",
    ),
    (
        "list_members",
        ("list_name", "position", "tmdb_id"),
        "SELECT list_name, position, tmdb_id FROM mart_list_members ORDER BY list_name, position",
    ),
)

_MOVIE_COLUMNS = (
    "tmdb_id", "imdb_id", "title", "original_title", "original_language", "overview",
    "tagline", "release_date", "year", "runtime_min", "popularity", "vote_average",
    "vote_count", "poster_path", "backdrop_path", "status", "source_count", "search_text",
)  # fmt: skip

_MOVIES_QUERY = """
WITH tr AS (
    SELECT tmdb_id, string_agg(title, chr(10)) AS titles
    FROM mart_translations WHERE title IS NOT NULL AND title <> '' GROUP BY tmdb_id
)
SELECT m.tmdb_id, m.imdb_id, m.title, m.original_title, m.original_language, m.overview,
       m.tagline, strftime(m.release_date, '%Y-%m-%d'), m.year, m.runtime_min, m.popularity,
       m.vote_average, m.vote_count, m.poster_path, m.backdrop_path, m.status, m.source_count,
       concat_ws(chr(10), m.title, m.original_title, tr.titles)
FROM mart_movies m LEFT JOIN tr USING (tmdb_id)
ORDER BY m.tmdb_id
"""

_SOURCE_PLAIN = (
    "tmdb_id", "quality", "resolution", "is_3d", "source_type", "video_codec", "bit_depth",
    "audio_channels", "size_bytes", "seeds", "peers", "uploaded_at", "is_repack",
    "bitrate_mbps", "score_web", "score_tv", "rank_web", "rank_tv", "available",
    "unavailable_reason", "reliability_note",
)  # fmt: skip

_SOURCE_SELECT = (
    "tmdb_id, quality, resolution, CAST(is_3d AS INTEGER), source_type, video_codec, "
    "bit_depth, audio_channels, size_bytes, seeds, peers, "
    "strftime(uploaded_at, '%Y-%m-%dT%H:%M:%SZ'), CAST(is_repack AS INTEGER), bitrate_mbps, "
    "score_web, score_tv, rank_web, rank_tv, CAST(available AS INTEGER), unavailable_reason, "
    "reliability_note"
)

_SOURCE_INSERT_COLUMNS = (
    "source_id", *_SOURCE_PLAIN, "components", "info_hash_hmac", "info_hash_enc",
    "magnet_enc", "torrent_url_enc",
)  # fmt: skip


def remove_leftovers(catalog_path: Path) -> list[Path]:
    """Delete ``<catalog>.*.tmp`` files (and their journals) left by a crashed publish."""
    removed: list[Path] = []
    for pattern in (f"{catalog_path.name}.*.tmp", f"{catalog_path.name}.*.tmp-journal"):
        for leftover in catalog_path.parent.glob(pattern):
            leftover.unlink(missing_ok=True)
            removed.append(leftover)
    return removed


def publish_catalog(
    warehouse: duckdb.DuckDBPyConnection,
    catalog_path: Path,
    cipher: FieldCipher | Keyring,
    run_id: str,
    *,
    on_progress: ProgressHook | None = None,
    allow_empty: bool = False,
) -> PublishSummary:
    """Build a new catalog from the marts and atomically replace ``catalog_path`` with it."""
    if not _RUN_ID.match(run_id):
        raise PublishError(f"run_id {run_id!r} is not a safe identifier ([A-Za-z0-9._-], <=128)")
    started = time.perf_counter()
    catalog_path = Path(catalog_path)
    catalog_path.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(catalog_path)
    tmp_path = catalog_path.with_name(f"{catalog_path.name}.{run_id}.tmp")
    published_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    try:
        counts = _build(warehouse, tmp_path, cipher, run_id, published_at, on_progress)
        if counts["movies"] == 0 and not allow_empty:
            raise PublishError(
                f"refusing to publish run {run_id}: mart_movies is empty "
                "(the previous catalog stays live)"
            )
        _fsync_path(tmp_path)
        os.replace(tmp_path, catalog_path)
        _fsync_path(catalog_path.parent)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise
    return PublishSummary(
        run_id=run_id,
        path=catalog_path,
        counts=counts,
        seconds=time.perf_counter() - started,
        published_at=published_at,
    )


def _build(
    warehouse: duckdb.DuckDBPyConnection,
    tmp_path: Path,
    cipher: FieldCipher | Keyring,
    run_id: str,
    published_at: str,
    on_progress: ProgressHook | None,
) -> dict[str, int]:
    tmp_path.unlink(missing_ok=True)
    con = sqlite3.connect(tmp_path, isolation_level=None)
    try:
        con.execute("PRAGMA journal_mode=OFF")
        con.execute("PRAGMA synchronous=OFF")
        con.execute("PRAGMA cache_size=-65536")
        # Indexes are built after the bulk load (faster than maintaining them row by row).
        schema = SCHEMA_PATH.read_text()
        indexes = _INDEX_STATEMENT.findall(schema)
        con.executescript(_INDEX_STATEMENT.sub("", schema))
        con.execute("BEGIN")
        counts: dict[str, int] = {}
        counts["movies"] = _copy(con, "movies", _MOVIE_COLUMNS, _movie_rows(warehouse), on_progress)
        for table, columns, query in _PLAIN_TABLES:
            if table == "list_members":  # plus Trakt's public lists, once staged
                query = list_members_query(warehouse, query)
            counts[table] = _copy(con, table, columns, _fetch(warehouse, query), on_progress)
        counts["sources"] = _copy(
            con, "sources", _SOURCE_INSERT_COLUMNS, _source_rows(warehouse, cipher), on_progress
        )
        tv = TvPublisher(warehouse, cipher, _fetch, PublishError)
        counts.update(
            tv.copy_all(lambda table, cols, rows: _copy(con, table, cols, rows, on_progress))
        )
        con.execute(
            "INSERT INTO catalog_version (run_id, published_at, schema_version, counts)"
            " VALUES (?, ?, ?, ?)",
            (run_id, published_at, SCHEMA_VERSION, json.dumps(counts, sort_keys=True)),
        )
        for statement in indexes:
            con.execute(statement)
        con.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        con.execute("COMMIT")
        con.execute("ANALYZE")
        mode = con.execute("PRAGMA journal_mode=DELETE").fetchone()
        if mode is None or str(mode[0]).lower() != "delete":
            raise PublishError(f"{tmp_path}: could not set rollback-journal mode (got {mode})")
        return counts
    except sqlite3.Error as exc:
        raise PublishError(f"writing {tmp_path} for run {run_id} failed: {exc}") from exc
    finally:
        con.close()


def _copy(
    con: sqlite3.Connection,
    table: str,
    columns: Sequence[str],
    batches: Iterator[list[tuple[Any, ...]]],
    on_progress: ProgressHook | None,
) -> int:
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    written = 0
    for batch in batches:
        try:
            con.executemany(sql, batch)
        except sqlite3.IntegrityError as exc:
            raise PublishError(f"catalog table {table}: {exc} (near row {written})") from exc
        written += len(batch)
        if on_progress is not None:
            on_progress(table, written)
    return written


def _fetch(warehouse: duckdb.DuckDBPyConnection, query: str) -> Iterator[list[tuple[Any, ...]]]:
    try:
        cursor = warehouse.execute(query)
        while batch := cursor.fetchmany(BATCH_ROWS):
            yield batch
        release_buffers(warehouse)  # the next table's blocks need not stack on this one's
    except duckdb.Error as exc:
        head = " ".join(query.split()[:8])
        raise PublishError(f"reading the marts failed: {exc} (query: {head} ...)") from exc


def _movie_rows(warehouse: duckdb.DuckDBPyConnection) -> Iterator[list[tuple[Any, ...]]]:
    for batch in _fetch(warehouse, _MOVIES_QUERY):
        yield [(*row[:-1], (row[-1] or "").casefold()) for row in batch]


def _component_columns(warehouse: duckdb.DuckDBPyConnection) -> list[str]:
    try:
        described = warehouse.execute("DESCRIBE mart_sources").fetchall()
    except duckdb.Error as exc:
        raise PublishError(f"reading the marts failed: {exc}") from exc
    return [
        str(row[0])
        for row in described
        if str(row[0]).startswith("c_") and re.fullmatch(r"c_[a-z0-9_]+", str(row[0]))
    ]


def _source_rows(
    warehouse: duckdb.DuckDBPyConnection, cipher: FieldCipher | Keyring
) -> Iterator[list[tuple[Any, ...]]]:
    # components: JSON object of the c_* columns, prefix stripped, keys sorted (built by
    # DuckDB in bulk; the column names come from the table itself, not from input).
    pairs = ", ".join(
        f"'{column[2:]}', \"{column}\"" for column in sorted(_component_columns(warehouse))
    )
    components = f"CAST(json_object({pairs}) AS VARCHAR)" if pairs else "'{}'"
    query = (
        f"SELECT info_hash, magnet, torrent_url, {_SOURCE_SELECT}, {components}"
        " FROM mart_sources ORDER BY tmdb_id, rank_web NULLS LAST, info_hash"
    )
    plain_end = 3 + len(_SOURCE_PLAIN)
    for batch in _fetch(warehouse, query):
        out: list[tuple[Any, ...]] = []
        for row in batch:
            info_hash = str(row[0] or "").strip().lower()
            if not _INFO_HASH.match(info_hash):
                raise PublishError(
                    f"mart_sources row for tmdb_id {row[3]} has a malformed info hash "
                    f"({len(info_hash)} chars); expected 40 or 64 hex digits"
                )
            magnet, torrent_url = row[1], row[2]
            if not magnet:
                raise PublishError(f"mart_sources row for tmdb_id {row[3]} has no magnet link")
            source_id = source_id_for(cipher, info_hash)
            out.append(
                (
                    source_id,
                    *row[3 : plain_end + 1],
                    info_hash_hmac(cipher, info_hash),
                    cipher.encrypt(info_hash, aad=secret_aad("info_hash", source_id)),
                    cipher.encrypt(magnet, aad=secret_aad("magnet", source_id)),
                    cipher.encrypt(torrent_url, aad=secret_aad("torrent_url", source_id))
                    if torrent_url
                    else None,
                )
            )
        yield out


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
