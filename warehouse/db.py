"""Small DuckDB helpers shared by the warehouse modules: bulk writes, latest responses."""

from __future__ import annotations

import duckdb
import polars as pl


def insert_frame(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    """Bulk-insert a polars frame by column name (DuckDB casts to the table's types)."""
    if frame.height == 0:
        return
    view = f"_insert_{table}"
    con.register(view, frame.to_arrow())
    try:
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM {view}")
    finally:
        con.unregister(view)


def latest_responses(
    con: duckdb.DuckDBPyConnection, raw_table: str, definitive: tuple[int, ...] = (200,)
) -> pl.DataFrame:
    """One row per request_key: the response staging uses.

    The newest *definitive* answer (``definitive`` statuses) wins; a newer failed attempt
    (status 0, 5xx, 429...) does not erase it, it only marks the row ``stale``. Without any
    definitive answer the newest attempt wins (and is quarantined as a failed fetch).
    Ties on ``fetched_at`` are broken by run_id, then payload, so the choice is stable.
    """
    statuses = ", ".join(str(int(s)) for s in definitive)
    table = con.sql(
        f"""
        SELECT request_key, entity_key, url, fetched_at, status, payload, run_id, attempts,
               newest > fetched_at AS stale
        FROM (
            SELECT *,
                   row_number() OVER (
                       PARTITION BY request_key
                       ORDER BY (status IN ({statuses})) DESC, fetched_at DESC,
                                run_id DESC, payload DESC NULLS LAST
                   ) AS rn,
                   count(*) OVER (PARTITION BY request_key) AS attempts,
                   max(fetched_at) OVER (PARTITION BY request_key) AS newest
            FROM {raw_table}
        )
        WHERE rn = 1
        ORDER BY request_key
        """
    ).to_arrow_table()
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame
