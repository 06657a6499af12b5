"""Bookkeeping of pipeline runs: the ``sync_runs`` table and ``<data_dir>/last_sync.json``.

The API must not open the DuckDB warehouse (a running flow holds its write lock), so the
outcome of the latest run is also written as a small JSON file, atomically.
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

LAST_SYNC_FILE = "last_sync.json"


def utcnow() -> datetime:
    """Naive UTC timestamp, the convention of every TIMESTAMP column in the warehouse."""
    return datetime.now(UTC).replace(tzinfo=None)


def record_run_start(con: duckdb.DuckDBPyConnection, run_id: str, started_at: datetime) -> None:
    con.execute(
        "INSERT OR REPLACE INTO sync_runs (run_id, started_at, status) VALUES (?, ?, 'running')",
        [run_id, started_at],
    )


def record_run_end(
    con: duckdb.DuckDBPyConnection, run_id: str, status: str, summary: dict[str, Any]
) -> None:
    con.execute(
        "UPDATE sync_runs SET finished_at = ?, status = ?, summary = ? WHERE run_id = ?",
        [utcnow(), status, json.dumps(summary, default=str), run_id],
    )


def write_last_sync(data_dir: Path, record: dict[str, Any]) -> Path:
    """Write ``last_sync.json`` with a temp file + ``os.replace`` (readers never see half)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    target = data_dir / LAST_SYNC_FILE
    fd, tmp = tempfile.mkstemp(prefix=".last_sync.", dir=data_dir)
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(record, handle, default=str, indent=2)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def read_last_sync(data_dir: Path) -> dict[str, Any] | None:
    """The latest run's record, or None before the first sync (or if the file is damaged)."""
    try:
        loaded = json.loads((data_dir / LAST_SYNC_FILE).read_text())
    except (OSError, ValueError):
        return None
    return loaded if isinstance(loaded, dict) else None
