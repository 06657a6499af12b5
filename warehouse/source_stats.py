"""Scraped swarm counts: raw history, scrape schedule, staging, and the counts ranking uses.

``raw_source_stats`` (append-only, landed by flows/scrape.py): one row per (source, tracker,
scrape), keyed by the catalog's public source id -- never an info hash -- and by the
tracker's ``scheme://host:port`` only (no path: private trackers put passkeys there).
``source_scrape_schedule``: when each source is due next (flows/scrape_schedule.py decides).
``stg_source_stats_history``: one row per source and scrape round (the best tracker's
counts), what analysts chart. The latest round replaces a torrent's provider counts in
scoring when it is newer than the provider's answer (docs/ranking.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb
import polars as pl

RAW = "raw_source_stats"
SCHEDULE = "source_scrape_schedule"
STG = "stg_source_stats_history"
MAX_COUNT = 10_000_000  # more peers than any public swarm: a lying tracker
SCRAPE_STATUSES = ("ok", "missing", "error")
# Staged torrent tables whose seeds/peers the scraped counts may replace.
TORRENT_TABLES: tuple[str, ...] = ("stg_yts__torrents", "stg_eztv__torrents")
# Published source tables the scrape reads info hashes from (those that exist).
PUBLISHED_SOURCES: tuple[str, ...] = ("mart_sources", "mart_show_sources")

DDL = f"""
CREATE TABLE IF NOT EXISTS {RAW} (
    source_id  VARCHAR NOT NULL,     -- the catalog's public source id (never an info hash)
    tracker    VARCHAR NOT NULL,     -- scheme://host:port of the tracker asked
    scraped_at TIMESTAMP NOT NULL,   -- UTC
    status     VARCHAR NOT NULL,     -- ok | missing (tracker does not know it) | error
    seeders    BIGINT,               -- complete peers (NULL unless ok)
    leechers   BIGINT,               -- incomplete peers
    completed  BIGINT,               -- downloads the tracker counted
    error      VARCHAR,              -- why the tracker gave no counts
    run_id     VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS {SCHEDULE} (
    source_id   VARCHAR PRIMARY KEY,
    interval_s  INTEGER NOT NULL,    -- seconds between scrapes (volatility-driven)
    next_due_at TIMESTAMP NOT NULL,  -- UTC, jittered
    seeders     BIGINT,              -- counts of the last successful round
    leechers    BIGINT,
    updated_at  TIMESTAMP NOT NULL
);
"""

STAGING_DDL: dict[str, str] = {
    STG: """
        source_id VARCHAR NOT NULL, scraped_at TIMESTAMP NOT NULL,
        seeders INTEGER NOT NULL,       -- best tracker's complete peers
        leechers INTEGER NOT NULL,      -- best tracker's incomplete peers
        completed INTEGER,              -- downloads counted (max over trackers)
        trackers_ok INTEGER NOT NULL,   -- trackers that answered with counts
        trackers_asked INTEGER NOT NULL,
        run_id VARCHAR NOT NULL
    """,
}
STG_SCHEMA: dict[str, Any] = {
    "source_id": pl.String,
    "scraped_at": pl.Datetime("us"),
    "seeders": pl.Int32,
    "leechers": pl.Int32,
    "completed": pl.Int32,
    "trackers_ok": pl.Int32,
    "trackers_asked": pl.Int32,
    "run_id": pl.String,
}


@dataclass(frozen=True)
class StatRow:
    """One tracker's answer about one source."""

    source_id: str
    tracker: str
    status: str
    seeders: int | None = None
    leechers: int | None = None
    completed: int | None = None
    error: str | None = None


@dataclass(frozen=True)
class Scheduled:
    """A source's schedule row."""

    source_id: str
    interval_s: int
    next_due_at: datetime
    seeders: int | None
    leechers: int | None


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(DDL)


def published_hashes(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Distinct info hashes of every published source table that exists."""
    present = {
        row[0]
        for row in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_name IN (?, ?)",
            list(PUBLISHED_SOURCES),
        ).fetchall()
    }
    tables = [t for t in PUBLISHED_SOURCES if t in present]
    if not tables:
        return []
    union = " UNION ".join(f"SELECT lower(info_hash) AS h FROM {t}" for t in tables)
    return [str(row[0]) for row in con.execute(f"{union} ORDER BY 1").fetchall()]


def land(
    con: duckdb.DuckDBPyConnection, rows: Sequence[StatRow], scraped_at: datetime, run_id: str
) -> int:
    """Append one scrape round (no validation beyond the column types: staging decides)."""
    ensure_schema(con)
    if not rows:
        return 0
    con.executemany(
        f"INSERT INTO {RAW} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                r.source_id,
                r.tracker,
                scraped_at,
                r.status,
                r.seeders,
                r.leechers,
                r.completed,
                r.error,
                run_id,
            )
            for r in rows
        ],
    )
    return len(rows)


def schedule_of(con: duckdb.DuckDBPyConnection, source_ids: Iterable[str]) -> dict[str, Scheduled]:
    """The schedule rows of ``source_ids`` (absent: never scraped)."""
    ensure_schema(con)
    frame = pl.DataFrame({"source_id": list(source_ids)}, schema={"source_id": pl.String})
    con.register("_miauflix_sids", frame)
    try:
        rows = con.execute(
            f"SELECT s.source_id, interval_s, next_due_at, seeders, leechers FROM {SCHEDULE} s "
            "SEMI JOIN _miauflix_sids k ON s.source_id = k.source_id"
        ).fetchall()
    finally:
        con.unregister("_miauflix_sids")
    return {row[0]: Scheduled(*row) for row in rows}


def save_schedule(con: duckdb.DuckDBPyConnection, rows: Sequence[Scheduled], now: datetime) -> None:
    """Upsert schedule rows (one statement per batch, parameterised)."""
    ensure_schema(con)
    if not rows:
        return
    con.executemany(
        f"""
        INSERT INTO {SCHEDULE} VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT (source_id) DO UPDATE SET interval_s = excluded.interval_s,
            next_due_at = excluded.next_due_at, seeders = excluded.seeders,
            leechers = excluded.leechers, updated_at = excluded.updated_at
        """,
        [(r.source_id, r.interval_s, r.next_due_at, r.seeders, r.leechers, now) for r in rows],
    )


def newest_scrape(con: duckdb.DuckDBPyConnection) -> datetime | None:
    ensure_schema(con)
    row = con.execute(f"SELECT max(scraped_at) FROM {RAW} WHERE status = 'ok'").fetchall()
    value = row[0][0] if row else None
    return value if isinstance(value, datetime) else None


def stage_history(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """One row per (source, scrape round) with at least one sane tracker answer."""
    ensure_schema(con)
    rows = con.execute(
        f"""
        SELECT source_id, max(scraped_at) AS scraped_at,
               max(seeders) FILTER (WHERE ok) AS seeders,
               max(leechers) FILTER (WHERE ok) AS leechers,
               max(completed) FILTER (WHERE ok) AS completed,
               count(*) FILTER (WHERE ok) AS trackers_ok,
               count(*) AS trackers_asked, run_id
        FROM (
            SELECT *, status = 'ok'
                AND seeders BETWEEN 0 AND {MAX_COUNT} AND leechers BETWEEN 0 AND {MAX_COUNT}
                AND coalesce(completed, 0) BETWEEN 0 AND {MAX_COUNT} AS ok
            FROM {RAW} WHERE source_id IS NOT NULL AND source_id <> ''
        )
        GROUP BY source_id, run_id
        HAVING count(*) FILTER (WHERE ok) > 0
        ORDER BY source_id, scraped_at
        """
    ).fetchall()
    return pl.DataFrame(rows, schema=STG_SCHEMA, orient="row")


def latest_counts(history: pl.DataFrame) -> pl.DataFrame:
    """Per source: the counts of its newest scrape round."""
    return (
        history.sort("scraped_at")
        .group_by("source_id")
        .agg(pl.col("scraped_at").last(), pl.col("seeders").last(), pl.col("leechers").last())
    )


def with_scraped_counts(
    torrents: pl.DataFrame,
    latest: pl.DataFrame,
    source_key: Callable[[str], str],
) -> pl.DataFrame:
    """``seeds``/``peers`` replaced by the latest scrape where it is newer than the answer
    the provider gave (``fetched_at``); columns and row order unchanged."""
    if torrents.height == 0 or latest.height == 0:
        return torrents
    facts = latest.rename(
        {"scraped_at": "_scraped_at", "seeders": "_seeders", "leechers": "_leechers"}
    )
    newer = pl.col("_scraped_at").is_not_null() & (pl.col("_scraped_at") > pl.col("fetched_at"))
    return (
        torrents.with_columns(
            pl.col("info_hash").map_elements(source_key, return_dtype=pl.String).alias("_sid")
        )
        .join(facts, left_on="_sid", right_on="source_id", how="left", maintain_order="left")
        .with_columns(
            pl.when(newer).then(pl.col("_seeders")).otherwise(pl.col("seeds")).alias("seeds"),
            pl.when(newer).then(pl.col("_leechers")).otherwise(pl.col("peers")).alias("peers"),
        )
        .with_columns(pl.col("seeds").cast(torrents.schema["seeds"]))
        .with_columns(pl.col("peers").cast(torrents.schema["peers"]))
        .select(torrents.columns)
    )


def apply_scraped_counts(
    tables: Mapping[str, pl.DataFrame], source_key: Callable[[str], str] | None
) -> dict[str, pl.DataFrame]:
    """The staging frames with every torrent table's counts refreshed by the scrapes
    (unchanged without a key to derive source ids or without history)."""
    out = dict(tables)
    history = tables.get(STG)
    if source_key is None or history is None or history.height == 0:
        return out
    latest = latest_counts(history)
    for name in TORRENT_TABLES:
        frame = tables.get(name)
        if frame is not None and {"info_hash", "seeds", "peers", "fetched_at"} <= set(
            frame.columns
        ):
            out[name] = with_scraped_counts(frame, latest, source_key)
    return out
