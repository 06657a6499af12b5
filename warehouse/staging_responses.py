"""The winning response of each request_key, read in bounded batches for staging.

The same query as :func:`warehouse.db.latest_responses` (newest *definitive* answer wins, a
newer failed attempt only marks it ``stale``, ties broken by run_id then payload), but the
rows reach Python ``batch_rows`` at a time from DuckDB's Arrow stream instead of as one frame
holding every payload: staging parses a batch, keeps the compact frames it built and drops
the bodies, so its peak memory no longer grows with the sum of all payloads.
"""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import polars as pl

from warehouse.db import cursor as warehouse_cursor
from warehouse.db import latest_responses_sql, release_buffers
from warehouse.schema import RAW_TABLES

BATCH_ROWS = 2_000  # responses per batch: ~40 MB of 20 KB season bodies at most


def _sql(raw_table: str, definitive: tuple[int, ...]) -> str:
    if raw_table not in RAW_TABLES:
        raise ValueError(f"not a raw table: {raw_table!r}")
    return latest_responses_sql(raw_table, definitive)


def iter_latest_responses(
    con: duckdb.DuckDBPyConnection,
    raw_table: str,
    definitive: tuple[int, ...] = (200,),
    *,
    batch_rows: int | None = None,
) -> Iterator[pl.DataFrame]:
    """Frames of at most ``batch_rows`` (default :data:`BATCH_ROWS`) winning responses, in
    request_key order. The query runs on a cursor of its own, so the caller may use ``con``
    between batches.
    """
    batch_rows = BATCH_ROWS if batch_rows is None else batch_rows
    if batch_rows < 1:
        raise ValueError(f"batch_rows must be >= 1, got {batch_rows}")
    cursor = warehouse_cursor(con)  # the warehouse stays its default database
    try:
        reader = cursor.sql(_sql(raw_table, definitive)).to_arrow_reader(batch_rows)
        for batch in reader:
            if batch.num_rows:
                frame = pl.from_arrow(batch)
                assert isinstance(frame, pl.DataFrame)
                yield frame
    finally:
        cursor.close()
        release_buffers(con)  # this table's bodies stay cached otherwise, the next adds to them
