"""The ``quarantine`` table: records staging refused, with a readable reason, per run.

A reason reads ``"<category>: <detail>"``; the category (text before the first colon) is
stable and is what summaries count. Re-transforming a run replaces that run's rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb
import polars as pl

from warehouse.db import insert_frame

MAX_PAYLOAD_CHARS = 20_000  # keep the offending text readable, not the whole 5 MB HTML page


@dataclass(frozen=True, slots=True)
class QuarantineRow:
    """One refused record (or whole response) of a raw table."""

    source_table: str
    request_key: str
    record_key: str | None
    reason: str
    payload: str | None


def replace_quarantine(
    con: duckdb.DuckDBPyConnection, run_id: str, rows: list[QuarantineRow], at: datetime
) -> int:
    """Delete the run's quarantine rows and write ``rows`` in bulk; return how many."""
    con.execute("DELETE FROM quarantine WHERE run_id = ?", [run_id])
    if not rows:
        return 0
    frame = pl.DataFrame(
        {
            "run_id": [run_id] * len(rows),
            "source_table": [r.source_table for r in rows],
            "request_key": [r.request_key for r in rows],
            "record_key": [r.record_key for r in rows],
            "reason": [r.reason for r in rows],
            "payload": [
                r.payload[:MAX_PAYLOAD_CHARS] if r.payload is not None else None for r in rows
            ],
            "quarantined_at": [at] * len(rows),
        },
        schema={
            "run_id": pl.String,
            "source_table": pl.String,
            "request_key": pl.String,
            "record_key": pl.String,
            "reason": pl.String,
            "payload": pl.String,
            "quarantined_at": pl.Datetime("us"),
        },
    )
    insert_frame(con, "quarantine", frame)
    return len(rows)


def quarantine_counts(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, int]:
    """Quarantined records of a run per reason category, most frequent first."""
    rows = con.execute(
        """
        SELECT trim(split_part(reason, ':', 1)) AS category, count(*) AS n
        FROM quarantine WHERE run_id = ? GROUP BY category ORDER BY n DESC, category
        """,
        [run_id],
    ).fetchall()
    return {str(category): int(n) for category, n in rows}
