"""Bookkeeping of pipeline runs in the ``sync_runs`` table (the API-facing copy of the
outcome is ``core.last_sync``)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import duckdb

from core.clock import utcnow


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
