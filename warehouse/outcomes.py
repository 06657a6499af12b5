"""The engine's per-source outcomes in the warehouse: raw -> staging -> 7-day aggregates.

``raw_engine_outcomes`` (append-only, landed by flows/ from ``source_outcomes.sqlite``) ->
``stg_engine__outcomes`` (valid events, typed; malformed ones quarantined with a reason) ->
``stg_engine__source_outcomes_7d`` (one row per source id: counts over the 7 days before the
newest event or the transform's reference time, whichever is later). Scoring joins the
aggregates on the catalog's source id (docs/ranking.md).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import duckdb
import polars as pl

from core.source_outcomes import FAILURE_KINDS, KINDS, StoredOutcome
from warehouse.expectations import Expect, between, in_set, not_null, unique
from warehouse.quarantine import QuarantineRow
from warehouse.schema import ENGINE_OUTCOMES_DDL

RAW = "raw_engine_outcomes"  # the DDL is in warehouse/schema.py
STG = "stg_engine__outcomes"
AGG = "stg_engine__source_outcomes_7d"
WINDOW = timedelta(days=7)


STAGING_DDL: dict[str, str] = {
    STG: """
        event_id BIGINT NOT NULL, source_id VARCHAR NOT NULL, kind VARCHAR NOT NULL,
        ms DOUBLE, peers BIGINT, rate DOUBLE, recorded_at TIMESTAMP NOT NULL
    """,
    AGG: """
        source_id VARCHAR NOT NULL,
        opened INTEGER NOT NULL,         -- successful opens
        first_bytes INTEGER NOT NULL,    -- streams whose first byte went out
        stalls_7d INTEGER NOT NULL,      -- streams that stalled
        failures_7d INTEGER NOT NULL,    -- metadata timeouts + unreachable + no playable file
        engine_peers_7d INTEGER NOT NULL,-- most peers seen connected (0: none)
        median_first_byte_ms DOUBLE,     -- milliseconds
        max_rate DOUBLE,                 -- bytes/s
        last_event_at TIMESTAMP NOT NULL,
        reliability_note VARCHAR         -- "stalled twice this week", NULL when clean
    """,
}

SUITES: dict[str, list[Expect]] = {
    STG: [
        not_null("event_id"),
        unique("event_id"),
        not_null("source_id"),
        in_set("kind", list(KINDS)),
        between("ms", 0, None),
        between("peers", 0, None),
        between("rate", 0, None),
    ],
    AGG: [
        unique("source_id"),
        between("stalls_7d", 0, None),
        between("failures_7d", 0, None),
        between("engine_peers_7d", 0, None),
    ],
}

RAW_COLUMNS = ("event_id", "source_id", "kind", "ms", "peers", "rate", "recorded_at")
STG_SCHEMA: dict[str, Any] = {
    "event_id": pl.Int64,
    "source_id": pl.String,
    "kind": pl.String,
    "ms": pl.Float64,
    "peers": pl.Int64,
    "rate": pl.Float64,
    "recorded_at": pl.Datetime("us"),
}


def ensure_raw(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(ENGINE_OUTCOMES_DDL)


def last_event_id(con: duckdb.DuckDBPyConnection) -> int:
    ensure_raw(con)
    row = con.execute(f"SELECT coalesce(max(event_id), 0) FROM {RAW}").fetchone()
    return int(row[0]) if row else 0


def land(
    con: duckdb.DuckDBPyConnection,
    events: Iterable[StoredOutcome],
    run_id: str,
    landed_at: datetime,
) -> int:
    """Append events as read from the engine's file (no validation: staging decides)."""
    ensure_raw(con)
    rows = [
        (e.event_id, e.source_id, e.kind, e.ms, e.peers, e.rate, e.at, landed_at, run_id)
        for e in events
    ]
    if rows:
        con.executemany(f"INSERT INTO {RAW} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return len(rows)


def _refusal(row: dict[str, Any]) -> str | None:
    if not row["source_id"]:
        return "missing key: source_id"
    if row["kind"] not in KINDS:
        return f"bad outcome kind: {row['kind']!r}"
    for column in ("ms", "peers", "rate"):
        if row[column] is not None and row[column] < 0:
            return f"{column} < 0"
    if row["recorded_at"] is None:
        return "wrong type: recorded_at"
    return None


def _timestamp(text: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(text)).replace(tzinfo=None)
    except ValueError:
        return None


def stage_outcomes(
    con: duckdb.DuckDBPyConnection,
) -> tuple[pl.DataFrame, list[QuarantineRow]]:
    """Valid events (one per event id, newest landing wins) and the quarantined others."""
    ensure_raw(con)
    raw = con.execute(
        f"SELECT {', '.join(RAW_COLUMNS)} FROM {RAW} "
        "QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY landed_at DESC) = 1 "
        "ORDER BY event_id"
    ).fetchall()
    kept: list[dict[str, Any]] = []
    refused: list[QuarantineRow] = []
    for values in raw:
        row = dict(zip(RAW_COLUMNS, values, strict=True))
        raw_at = row["recorded_at"]
        row["recorded_at"] = _timestamp(raw_at)
        reason = _refusal(row)
        if reason is None:
            kept.append(row)
        else:
            row["recorded_at"] = raw_at
            refused.append(
                QuarantineRow(
                    RAW, f"event:{row['event_id']}", row["source_id"], reason, json.dumps(row)
                )
            )
    return pl.DataFrame(kept, schema=STG_SCHEMA), refused


def _times(n: pl.Expr, what: str) -> pl.Expr:
    count = (
        pl.when(n == 1)
        .then(pl.lit("once"))
        .when(n == 2)
        .then(pl.lit("twice"))
        .otherwise(n.cast(pl.String) + pl.lit(" times"))
    )
    return pl.when(n > 0).then(pl.lit(what + " ") + count + pl.lit(" this week"))


def aggregate(events: pl.DataFrame, as_of: datetime | None) -> pl.DataFrame:
    """Per source id, over the 7 days before max(as_of, newest event)."""
    newest = events.get_column("recorded_at").max() if events.height else None
    ends = [t for t in (as_of, newest) if isinstance(t, datetime)]
    end = max(ends) if ends else datetime(1970, 1, 1)
    recent = events.filter(pl.col("recorded_at") > end - WINDOW)
    kind = pl.col("kind")
    stalls = (kind == "stalled").sum().cast(pl.Int32).alias("stalls_7d")
    failures = kind.is_in(list(FAILURE_KINDS)).sum().cast(pl.Int32).alias("failures_7d")
    return (
        recent.group_by("source_id")
        .agg(
            (kind == "opened").sum().cast(pl.Int32).alias("opened"),
            (kind == "first_byte").sum().cast(pl.Int32).alias("first_bytes"),
            stalls,
            failures,
            pl.col("peers").max().fill_null(0).cast(pl.Int32).alias("engine_peers_7d"),
            pl.col("ms").filter(kind == "first_byte").median().alias("median_first_byte_ms"),
            pl.col("rate").max().alias("max_rate"),
            pl.col("recorded_at").max().alias("last_event_at"),
        )
        .with_columns(
            pl.concat_str(
                _times(pl.col("stalls_7d"), "stalled"),
                _times(pl.col("failures_7d"), "failed to start"),
                separator="; ",
                ignore_nulls=True,
            ).alias("reliability_note")
        )
        .with_columns(
            pl.when(pl.col("reliability_note") == "")
            .then(None)
            .otherwise(pl.col("reliability_note"))
            .alias("reliability_note")
        )
        .sort("source_id")
    )
