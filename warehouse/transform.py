"""Entry point of the warehouse: raw_* -> stg_* + quarantine -> mart_*, for one run.

``transform(con, run_id)`` rebuilds staging and marts in full from the raw tables and
replaces the run's quarantine rows, all in one DuckDB transaction (a failure leaves the
previous tables untouched). It is idempotent: the same raw data gives the same tables.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import duckdb
import polars as pl

from core.clock import utcnow
from warehouse import outcomes, source_stats
from warehouse.db import bounded_memory, release_buffers
from warehouse.errors import TransformError
from warehouse.marts import build_marts, write_marts
from warehouse.marts_tv import build_tv_marts
from warehouse.quarantine import quarantine_counts, replace_quarantine
from warehouse.reconcile import Reconciliation, reconcile
from warehouse.schema import ensure_base_schema
from warehouse.staging import Staged, stage, write_staging
from warehouse.staging_tv import stage_tv

log = logging.getLogger(__name__)

MEMORY_LIMIT = "256MB"
"""DuckDB's buffer pool while a transform runs. Left at its default (80 % of RAM) DuckDB
keeps every raw block it read and the whole write transaction in memory: at 27k movies and
1,000 shows the transform peaked at 1,886 MiB, 1,670 with 512MB, 1,400 with 256MB, at the
same speed (benchmarks/README.md). Bounded, it evicts and spills to its temp directory; what
it cannot spill (the window choosing each key's response holds a table's bodies: 128MB was
too little for 4,493 season bodies) fails with an out-of-memory error, and the transform
then runs again unbounded rather than fail."""


WRITE_MEMORY_LIMIT = "64MB"
"""DuckDB's buffer pool once staging is done (marts and the write transaction): only the
window choosing each key's response needs more. With 1,000 shows the transform alone
peaked at 954 MiB without a lower limit, 804 MiB at 128MB and 777 MiB at 64MB, at the same
speed within this machine's noise (benchmarks/README.md)."""


@dataclass
class TransformSummary:
    """What one transform did (JSON-friendly through ``dataclasses.asdict``)."""

    run_id: str
    rows: dict[str, int] = field(default_factory=dict)  # per stg_* and mart_* table
    quarantined: dict[str, int] = field(default_factory=dict)  # per reason category
    gone: int = 0  # TMDB 404s: movies removed upstream
    stale_kept: int = 0  # newest fetch failed, the previous good answer was used
    sources_without_movie: int = 0  # staged torrents whose imdb id matches no movie
    torrents_without_show: int = 0  # staged EZTV torrents whose imdb id matches no show
    reconciliation: list[Reconciliation] = field(default_factory=list)
    reconciliation_ok: bool = False
    as_of: datetime | None = None  # reference time of the age component
    seconds: float = 0.0


def _as_of(staged: Staged) -> datetime:
    """Reference time for source age: when the swarms were last observed (deterministic)."""
    newest = staged.tables["stg_yts__torrents"].get_column("fetched_at").max()
    return newest if isinstance(newest, datetime) else utcnow()


def _rebuild(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    as_of: datetime | None,
    source_key: Callable[[str], str] | None,
    step: list[str],
    write_limit: str | None = None,
) -> tuple[Staged, dict[str, int], datetime]:
    """Staging, marts and their write in one transaction; ``step[0]`` names the stage.
    ``write_limit`` lowers DuckDB's ``memory_limit`` once staging has read the bodies."""
    step[0] = "schema"
    ensure_base_schema(con)
    step[0] = "staging"
    staged = stage(con)
    stage_tv(con, staged)
    reference = as_of or _as_of(staged)
    staged.tables[outcomes.AGG] = outcomes.aggregate(staged.tables[outcomes.STG], reference)
    staged.tables[source_stats.STG] = source_stats.stage_history(con)
    release_buffers(con)  # the raw bodies staging read are not needed again
    if write_limit:
        con.execute(f"SET memory_limit = '{write_limit}'")  # bounded_memory restores it
    step[0] = "marts"
    # Scraped counts newer than the provider's answer replace its seeds/peers in scoring.
    scored = source_stats.apply_scraped_counts(staged.tables, source_key)
    marts = build_marts(scored, reference, source_key)
    aggregates = staged.tables[outcomes.AGG].lazy()
    marts.update(build_tv_marts(scored, reference, aggregates, source_key))
    step[0] = "write"
    con.execute("BEGIN TRANSACTION")
    try:
        rows = write_staging(con, staged)
        replace_quarantine(con, run_id, staged.quarantine, utcnow())
        rows.update(write_marts(con, marts))
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return staged, rows, reference


def transform(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    *,
    as_of: datetime | None = None,
    source_key: Callable[[str], str] | None = None,
) -> TransformSummary:
    """Rebuild staging, the run's quarantine rows and the marts; never fails on bad data.

    ``source_key`` maps an info hash to the catalog's source id (``core.catalog.contract.
    source_id_for`` with the current key): with it the engine's outcomes, keyed by source id,
    reach the scores; without it every source is scored as if the engine had seen nothing.

    Raises :class:`TransformError` only when the warehouse itself fails (disk, DuckDB).
    """
    clock = time.perf_counter()
    step = ["schema"]
    try:
        try:
            with bounded_memory(con, MEMORY_LIMIT):
                staged, rows, reference = _rebuild(
                    con, run_id, as_of, source_key, step, WRITE_MEMORY_LIMIT
                )
        except duckdb.OutOfMemoryException as exc:
            log.warning("transform %s: %s at %s; running it again unbounded", run_id, exc, step[0])
            staged, rows, reference = _rebuild(con, run_id, as_of, source_key, step)
        step[0] = "reconciliation"
        recon = reconcile(con, run_id)
        release_buffers(con)  # the checks and publish that follow read only the marts
    except (duckdb.Error, pl.exceptions.PolarsError, OSError) as exc:
        raise TransformError(run_id, step[0], exc) from exc
    ledger = staged.ledger_frame()
    torrents = staged.tables["stg_yts__torrents"]
    return TransformSummary(
        run_id=run_id,
        rows=rows,
        quarantined=quarantine_counts(con, run_id),
        gone=ledger.filter(pl.col("outcome") == "gone").height,
        stale_kept=ledger.filter(pl.col("stale") & (pl.col("outcome") != "quarantined")).height,
        sources_without_movie=torrents.filter(pl.col("tmdb_id").is_null()).height,
        torrents_without_show=staged.tables["stg_eztv__torrents"]
        .filter(pl.col("show_id").is_null())
        .height,
        reconciliation=recon,
        reconciliation_ok=all(r.ok for r in recon),
        as_of=reference,
        seconds=round(time.perf_counter() - clock, 3),
    )
