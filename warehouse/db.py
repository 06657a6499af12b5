"""Small DuckDB helpers shared by the warehouse modules: the writer's connection (waits
for the write lock), bulk writes, latest responses."""

from __future__ import annotations

import re
import time
from pathlib import Path

import duckdb
import polars as pl

from warehouse.errors import WarehouseError

_HOLDER = re.compile(r"Conflicting lock is held in (.+?) \(PID (\d+)\)")


class WarehouseLocked(WarehouseError):
    """Another process held the warehouse's lock for longer than the sync would wait."""

    def __init__(self, path: Path, waited: float, cause: str) -> None:
        found = _HOLDER.search(cause)
        holder = f"process {found.group(2)} ({found.group(1)})" if found else "another process"
        super().__init__(
            f"{path} stayed locked by {holder} for {waited:.0f}s: close that connection "
            "(an analyst's notebook?) and run the sync again"
        )
        self.holder_pid = int(found.group(2)) if found else None


def connect_writer(path: Path, wait: float) -> duckdb.DuckDBPyConnection:
    """A read-write connection to ``path``; while another process holds the file's lock
    (even read-only), retry with exponential backoff (0.1 s doubling to 5 s) for ``wait``
    seconds, then raise :class:`WarehouseLocked` naming the holder when DuckDB reports it."""
    deadline = time.monotonic() + wait
    started, delay = time.monotonic(), 0.1
    while True:
        try:
            return duckdb.connect(str(path))
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise
            left = deadline - time.monotonic()
            if left <= 0:
                raise WarehouseLocked(path, time.monotonic() - started, str(exc)) from exc
            time.sleep(min(delay, left))
            delay = min(delay * 2, 5.0)


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
