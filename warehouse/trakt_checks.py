"""Data-quality suites of ``stg_trakt__*`` (declared in :mod:`warehouse.trakt_staging`),
evaluated in DuckDB SQL and recorded in ``dq_runs`` like the pipeline's suites.

The Trakt flow runs every 15 minutes on small per-user tables: the same declarations are
checked with one SQL count each instead of paying great-expectations' import per run.
"""

from __future__ import annotations

import duckdb

from warehouse.checks import Failure, SuiteResult, record_results
from warehouse.expectations import Expect
from warehouse.trakt_staging import SUITES


def _violations(con: duckdb.DuckDBPyConnection, table: str, e: Expect) -> int:
    col = e.column
    match e.kind:
        case "not_null":
            sql = f"SELECT count(*) FROM {table} WHERE {col} IS NULL"
            params: list[object] = []
        case "between":
            low, high = e.args["min_value"], e.args["max_value"]
            sql = (
                f"SELECT count(*) FROM {table} WHERE {col} < ? OR {col} > ? OR isnan({col}::DOUBLE)"
            )
            params = [low, high]
        case "in_set":
            values = list(e.args["value_set"])
            marks = ", ".join("?" for _ in values)
            sql = f"SELECT count(*) FROM {table} WHERE {col} NOT IN ({marks})"
            params = values
        case "matches":
            sql = f"SELECT count(*) FROM {table} WHERE NOT regexp_full_match({col}, ?)"
            params = [e.args["regex"]]
        case "unique_together":
            cols = ", ".join(e.columns)
            sql = (
                f"SELECT coalesce(sum(n - 1), 0) FROM"
                f" (SELECT count(*) AS n FROM {table} GROUP BY {cols} HAVING count(*) > 1)"
            )
            params = []
        case _:
            raise ValueError(f"unsupported expectation {e.kind} in the Trakt suites")
    row = con.execute(sql, params).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def run_trakt_checks(
    con: duckdb.DuckDBPyConnection, run_id: str, suites: dict[str, list[Expect]] | None = None
) -> list[SuiteResult]:
    """Evaluate every Trakt suite (or ``suites``); append one ``dq_runs`` row each; return
    the results."""
    results = []
    for table, expects in (SUITES if suites is None else suites).items():
        failures = []
        for e in expects:
            bad = _violations(con, table, e)
            if bad:
                failures.append(Failure(e.label, e.column, f"{bad} rows violate {e.label}"))
        results.append(SuiteResult(table, not failures, len(expects), len(failures), failures))
    record_results(con, run_id, results)
    return results
