"""The analysts' read-only snapshot: ``analytics.duckdb`` beside the working warehouse.

After each successful sync the marts (and the history an analyst charts: source stats,
engine outcomes, runs, data-quality and quarantine counts) are copied into a fresh,
private (0600) DuckDB file that is then renamed over ``analytics.duckdb`` in one step, like
the catalog. Analysts open that file read-only and never touch ``warehouse.duckdb``, so an
open notebook never holds the lock a sync needs; a connection opened before a swap keeps
reading the snapshot it opened (the old inode), a new connection sees the new one.

No info hash, magnet link, torrent URL or raw upstream payload enters the snapshot: a
source is named by ``source_id``, the catalog's public id (an HMAC of the info hash under
a key derived from the master secret: the same hash has the same id in every snapshot
until ``miauflix keys rotate``, and it joins the engine outcomes and source stats, which
are keyed by it too).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from core.catalog.contract import LookupHasher, source_id_for
from warehouse.encryption import sql_literal
from warehouse.errors import WarehouseError

ANALYTICS_FILE = "analytics.duckdb"
_TMP_PREFIX = ".analytics-"
# Columns that never leave the working warehouse, whatever table they are found in.
SECRET_COLUMNS = frozenset({"info_hash", "magnet", "torrent_url", "url", "payload", "record_key"})

# snapshot table -> (warehouse table, SQL of the columns kept, or None for "all but secrets").
TABLES: dict[str, tuple[str, str | None]] = {
    "movies": ("mart_movies", None),
    "movie_genres": ("mart_movie_genres", None),
    "genres": ("mart_genres", None),
    "list_members": ("mart_list_members", None),
    "sources": ("mart_sources", None),
    "shows": ("mart_shows", None),
    "show_genres": ("mart_show_genres", None),
    "tv_genres": ("mart_tv_genres", None),
    "show_list_members": ("mart_show_list_members", None),
    "seasons": ("mart_seasons", None),
    "episodes": ("mart_episodes", None),
    "show_sources": ("mart_show_sources", None),
    "episode_sources": ("mart_episode_sources", None),
    "source_stats_history": ("stg_source_stats_history", None),
    "engine_outcomes": ("raw_engine_outcomes", None),
    "sync_runs": ("sync_runs", "run_id, started_at, finished_at, status"),
    "dq_runs": ("dq_runs", "run_id, suite, checked_at, success, evaluated, failed"),
    "quarantine_counts": (
        "quarantine",
        "run_id, source_table, reason, count(*)::BIGINT AS records, "
        "max(quarantined_at) AS quarantined_at",
    ),
}
_GROUPED = {"quarantine_counts": "GROUP BY run_id, source_table, reason"}


class AnalyticsError(WarehouseError):
    """The analytics snapshot could not be written (the previous one stays in place)."""


@dataclass
class SnapshotSummary:
    path: str
    tables: dict[str, int] = field(default_factory=dict)  # rows per snapshot table
    seconds: float = 0.0


def analytics_path(data_dir: Path) -> Path:
    return Path(data_dir) / ANALYTICS_FILE


def remove_leftovers(data_dir: Path) -> list[Path]:
    """Delete the private work folders (and the half-written files in them) left by a
    crashed snapshot."""
    removed = []
    for leftover in Path(data_dir).glob(f"{_TMP_PREFIX}*"):
        shutil.rmtree(leftover, ignore_errors=True)
        removed.append(leftover)
    return removed


def _existing_columns(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    rows = con.execute(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_catalog = current_database() ORDER BY table_name, ordinal_position"
    ).fetchall()
    found: dict[str, list[str]] = {}
    for table, column in rows:
        found.setdefault(str(table), []).append(str(column))
    return found


def _source_ids(
    con: duckdb.DuckDBPyConnection, tables: list[str], hasher: LookupHasher
) -> pa.Table:
    """``(info_hash, source_id)`` for every hash in ``tables``; lives in memory only."""
    union = " UNION ".join(f"SELECT info_hash FROM {t}" for t in tables)
    hashes = [row[0] for row in con.execute(union).fetchall() if row[0]] if tables else []
    ids = [source_id_for(hasher, h) for h in hashes]
    return pa.table(
        {"info_hash": pa.array(hashes, pa.string()), "source_id": pa.array(ids, pa.string())}
    )


def _select(table: str, wanted: str | None, columns: list[str]) -> str:
    if wanted is not None:
        return f"SELECT {wanted} FROM {table}"
    kept = [f'w."{c}"' for c in columns if c not in SECRET_COLUMNS]
    if "info_hash" in columns:
        return (
            f"SELECT ids.source_id, {', '.join(kept)} FROM {table} AS w "
            "LEFT JOIN _analytics_ids AS ids USING (info_hash)"
        )
    return f"SELECT {', '.join(kept)} FROM {table} AS w"


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_snapshot(
    con: duckdb.DuckDBPyConnection,
    data_dir: Path,
    hasher: LookupHasher,
    *,
    on_table: Callable[[str], None] | None = None,
) -> SnapshotSummary:
    """Copy the marts from the warehouse connection ``con`` into a new private DuckDB file
    and rename it over ``<data_dir>/analytics.duckdb``; a failure leaves the old one.

    ``on_table`` is called after each table is copied (progress; tests crash there)."""
    started = time.perf_counter()
    data_dir = Path(data_dir)
    remove_leftovers(data_dir)
    target = analytics_path(data_dir)
    alias = "analytics_snapshot"
    columns = _existing_columns(con)
    summary = SnapshotSummary(path=str(target))
    hashed = [t for t, cols in columns.items() if "info_hash" in cols and t in _sources(columns)]
    try:
        con.register("_analytics_ids", _source_ids(con, hashed, hasher))
        # A 0700 folder of our own: the file is private from its first byte, whatever the
        # umask, and the rename out of it stays on the same file system (atomic).
        tmp = Path(tempfile.mkdtemp(prefix=_TMP_PREFIX, dir=data_dir)) / ANALYTICS_FILE
        con.execute(f"ATTACH '{sql_literal(str(tmp))}' AS {alias}")
        os.chmod(tmp, 0o600)
        try:
            for name, (table, wanted) in TABLES.items():
                if table not in columns:
                    continue
                query = _select(table, wanted, columns[table]) + " " + _GROUPED.get(name, "")
                con.execute(f"CREATE TABLE {alias}.{name} AS {query}")
                row = con.execute(f"SELECT count(*) FROM {alias}.{name}").fetchone()
                summary.tables[name] = int(row[0]) if row else 0
                if on_table is not None:
                    on_table(name)
        finally:
            con.execute(f"DETACH {alias}")
        _fsync(tmp)
        # A WAL beside the target belongs to no snapshot we wrote (analysts open read-only):
        # DuckDB must not replay it onto the new file.
        target.with_name(target.name + ".wal").unlink(missing_ok=True)
        os.replace(tmp, target)
        _fsync(data_dir)
        tmp.parent.rmdir()
    except BaseException as exc:
        remove_leftovers(data_dir)
        if isinstance(exc, duckdb.Error):
            raise AnalyticsError(f"analytics snapshot {target} not written: {exc}") from exc
        raise
    finally:
        with contextlib.suppress(duckdb.Error):
            con.unregister("_analytics_ids")
    summary.seconds = round(time.perf_counter() - started, 3)
    return summary


def _sources(columns: dict[str, list[str]]) -> set[str]:
    """Warehouse tables copied into the snapshot."""
    return {table for table, _ in TABLES.values() if table in columns}
