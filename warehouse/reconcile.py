"""Count reconciliation: every landed raw response and every record is accounted for.

Per raw table, from the tables themselves (not from in-memory counters):

* responses: ``landed`` (distinct request_key in the raw table) = ``staged`` +
  ``quarantined`` + ``gone`` (TMDB 404), and every quarantined/gone response has its
  quarantine row for the run;
* records inside staged bodies: ``records`` = rows in the staging table +
  ``records_quarantined`` (bad records, duplicate hashes, dangling list members) +
  ``records_superseded`` (lost to a newer copy of the same natural key).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from warehouse.staging import RECORD_TABLES as MOVIE_RECORD_TABLES
from warehouse.staging_tv import RECORD_TABLES as TV_RECORD_TABLES

RECORD_TABLES = {**MOVIE_RECORD_TABLES, **TV_RECORD_TABLES}


@dataclass(frozen=True)
class Reconciliation:
    """The counts of one raw table for one run; ``ok`` when they add up."""

    source_table: str
    landed: int
    staged: int
    quarantined: int
    gone: int
    response_quarantine_rows: int
    records: int
    records_staged: int
    records_quarantined: int
    records_superseded: int
    ok: bool


def _one(con: duckdb.DuckDBPyConnection, sql: str, params: list[object]) -> int:
    row = con.execute(sql, params).fetchone()
    return int(row[0] or 0) if row else 0


def reconcile_table(
    con: duckdb.DuckDBPyConnection, run_id: str, source_table: str
) -> Reconciliation:
    """Reconcile one raw table for ``run_id`` (after :func:`warehouse.transform.transform`)."""
    landed = _one(con, f"SELECT count(DISTINCT request_key) FROM {source_table}", [])
    outcome = dict(
        con.execute(
            "SELECT outcome, count(*) FROM stg_raw_responses WHERE source_table = ? "
            "GROUP BY outcome",
            [source_table],
        ).fetchall()
    )
    staged, quarantined, gone = (int(outcome.get(k, 0)) for k in ("staged", "quarantined", "gone"))
    joined = """
        FROM quarantine q JOIN stg_raw_responses r
          ON r.source_table = q.source_table AND r.request_key = q.request_key
        WHERE q.run_id = ? AND q.source_table = ? AND r.outcome {cond}
    """
    response_rows = _one(
        con,
        "SELECT count(DISTINCT q.request_key) " + joined.format(cond="IN ('quarantined','gone')"),
        [run_id, source_table],
    )
    records_quarantined = _one(
        con, "SELECT count(*) " + joined.format(cond="= 'staged'"), [run_id, source_table]
    )
    records = _one(
        con,
        "SELECT sum(records) FROM stg_raw_responses WHERE source_table = ? AND outcome = 'staged'",
        [source_table],
    )
    superseded = _one(
        con,
        "SELECT sum(superseded) FROM stg_raw_responses WHERE source_table = ?",
        [source_table],
    )
    records_staged = _one(con, f"SELECT count(*) FROM {RECORD_TABLES[source_table]}", [])
    ok = (
        landed == staged + quarantined + gone
        and response_rows == quarantined + gone
        and records == records_staged + records_quarantined + superseded
    )
    return Reconciliation(
        source_table=source_table,
        landed=landed,
        staged=staged,
        quarantined=quarantined,
        gone=gone,
        response_quarantine_rows=response_rows,
        records=records,
        records_staged=records_staged,
        records_quarantined=records_quarantined,
        records_superseded=superseded,
        ok=ok,
    )


def reconcile(con: duckdb.DuckDBPyConnection, run_id: str) -> list[Reconciliation]:
    """Reconciliation of every raw table for ``run_id``."""
    return [reconcile_table(con, run_id, table) for table in RECORD_TABLES]


def format_reconciliation(rows: list[Reconciliation]) -> str:
    """A small fixed-width table for logs and the CLI."""
    lines = [
        f"{'raw table':<24}{'landed':>8}{'staged':>8}{'quar.':>7}{'gone':>6}"
        f"{'records':>9}{'stg':>8}{'quar.':>7}{'superseded':>11}  ok"
    ]
    for r in rows:
        lines.append(
            f"{r.source_table:<24}{r.landed:>8}{r.staged:>8}{r.quarantined:>7}{r.gone:>6}"
            f"{r.records:>9}{r.records_staged:>8}{r.records_quarantined:>7}"
            f"{r.records_superseded:>11}  {'yes' if r.ok else 'NO'}"
        )
    return "\n".join(lines)
