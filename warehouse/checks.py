"""Data-quality checks: the suites declared in staging.py and marts.py, run with
great-expectations on pandas frames, plus the count reconciliation; recorded in ``dq_runs``.

``run_checks(con, run_id)`` never raises because data is bad: a failed suite makes
``DQResult.success`` False (the pipeline then blocks publish). great-expectations is
imported here only, on first use (it takes ~10 s to import).
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import duckdb

from core.clock import utcnow
from warehouse import marts, marts_tv, outcomes, staging, staging_tv
from warehouse.errors import CheckError
from warehouse.expectations import Expect
from warehouse.reconcile import Reconciliation, reconcile
from warehouse.schema import ensure_base_schema

RECONCILIATION_SUITE = "reconciliation"
QUARANTINE_SUITE = "quarantine_share"


@dataclass(frozen=True)
class Failure:
    """One failed expectation of a suite."""

    expectation: str
    column: str | None
    details: str


@dataclass
class SuiteResult:
    suite: str
    success: bool
    evaluated: int
    failed: int
    failures: list[Failure] = field(default_factory=list)


@dataclass
class DQResult:
    """Outcome of all suites of one run; ``success`` only when every suite passed."""

    run_id: str
    success: bool
    suites: list[SuiteResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def failed_suites(self) -> list[SuiteResult]:
        return [s for s in self.suites if not s.success]


def all_suites() -> dict[str, list[Expect]]:
    """Every declared suite, staging first."""
    return {
        **staging.SUITES,
        **staging_tv.SUITES,
        **outcomes.SUITES,
        **marts.SUITES,
        **marts_tv.SUITES,
    }


def orphan_column(expect: Expect) -> str:
    """Name of the derived column holding values of ``column`` missing from the reference."""
    return f"{expect.column} not in {expect.args['table']}.{expect.args['ref_column']}"


def _select(table: str, expects: list[Expect]) -> str:
    """The columns the expectations read (not the whole table: overviews and names cost
    memory and time in pandas) plus one orphan column per referential expectation."""
    derived = [
        f"CASE WHEN t.{e.column} IS NULL OR t.{e.column} IN "
        f"(SELECT {e.args['ref_column']} FROM {e.args['table']}) THEN NULL "
        f'ELSE t.{e.column} END AS "{orphan_column(e)}"'
        for e in expects
        if e.kind == "exists_in"
    ]
    used = dict.fromkeys(
        column
        for e in expects
        if e.kind != "exists_in"
        for column in ((e.column,) if e.column else e.columns)
    )
    plain = [f't."{c}"' for c in used] or ["1 AS _row"]
    return f"SELECT {', '.join([*plain, *derived])} FROM {table} t"


def _gx_expectation(gx: Any, expect: Expect) -> Any:
    ex = gx.expectations
    column = expect.column
    match expect.kind:
        case "not_null":
            return ex.ExpectColumnValuesToNotBeNull(column=column)
        case "unique":
            return ex.ExpectColumnValuesToBeUnique(column=column)
        case "unique_together":
            return ex.ExpectCompoundColumnsToBeUnique(column_list=list(expect.columns))
        case "matches":
            return ex.ExpectColumnValuesToMatchRegex(column=column, **expect.args)
        case "between":
            return ex.ExpectColumnValuesToBeBetween(column=column, **expect.args)
        case "in_set":
            return ex.ExpectColumnValuesToBeInSet(column=column, **expect.args)
        case "exists_in":
            # Checked on a derived column (the orphan value, else NULL): passing the whole
            # reference set as value_set makes great-expectations copy it thousands of times.
            return ex.ExpectColumnValuesToBeNull(column=orphan_column(expect))
        case "min_rows":
            return ex.ExpectTableRowCountToBeBetween(**expect.args)
    raise ValueError(f"unknown expectation kind {expect.kind!r}")


def _details(result: dict[str, Any]) -> str:
    if "unexpected_count" in result:
        sample = [str(v)[:60] for v in (result.get("partial_unexpected_list") or [])[:5]]
        return f"{result['unexpected_count']} unexpected value(s), e.g. {sample}"
    if "observed_value" in result:
        return f"observed {result['observed_value']!r}"
    return json.dumps(result, default=str)[:300]


def _suite_result(suite: str, validation: Any) -> SuiteResult:
    failures = []
    for item in validation.results:
        if item.success:
            continue
        config = item.expectation_config
        kwargs = config.kwargs
        column = kwargs.get("column") or ",".join(kwargs.get("column_list") or []) or None
        info = item.exception_info or {}
        raised = info.get("raised_exception") if isinstance(info, dict) else False
        details = (
            f"error: {info.get('exception_message')}" if raised else _details(item.result or {})
        )
        failures.append(Failure(config.type, column, details))
    evaluated = len(validation.results)
    return SuiteResult(suite, not failures, evaluated, len(failures), failures)


def _reconciliation_suite(rows: list[Reconciliation] | Exception) -> SuiteResult:
    if isinstance(rows, Exception):
        failure = Failure("counts_reconcile", None, f"cannot reconcile: {rows}")
        return SuiteResult(RECONCILIATION_SUITE, False, 1, 1, [failure])
    failures = [
        Failure("counts_reconcile", r.source_table, json.dumps(asdict(r))) for r in rows if not r.ok
    ]
    return SuiteResult(RECONCILIATION_SUITE, not failures, len(rows), len(failures), failures)


def _quarantine_share_suite(
    rows: list[Reconciliation] | Exception, max_share: float
) -> SuiteResult:
    """Per raw table, the share of this run's records that were quarantined stays bounded:
    a catalogue missing most of an upstream is worse than the previous catalogue."""
    if isinstance(rows, Exception):
        failure = Failure("quarantine_share", None, f"cannot count: {rows}")
        return SuiteResult(QUARANTINE_SUITE, False, 1, 1, [failure])
    failures = []
    for r in rows:
        share = r.records_quarantined / r.records if r.records else 0.0
        if share > max_share:
            details = f"{r.records_quarantined}/{r.records} records quarantined ({share:.0%})"
            failures.append(
                Failure(f"quarantine_share <= {max_share:.0%}", r.source_table, details)
            )
    return SuiteResult(QUARANTINE_SUITE, not failures, len(rows), len(failures), failures)


def _context(gx: Any) -> Any:
    from great_expectations.data_context.types.base import ProgressBarsConfig

    # great-expectations logs its temporary docs directory at INFO on every context.
    logging.getLogger("great_expectations.data_context").setLevel(logging.WARNING)
    logging.getLogger("great_expectations.data_context.types.base").setLevel(logging.WARNING)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


def _table_exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    row = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [table]
    ).fetchone()
    return bool(row and row[0])


def run_checks(
    con: duckdb.DuckDBPyConnection, run_id: str, *, max_quarantine_share: float = 0.25
) -> DQResult:
    """Run every suite on the current staging and mart tables; append them to ``dq_runs``."""
    import great_expectations as gx

    clock = time.perf_counter()
    ensure_base_schema(con)
    context = _context(gx)
    source = context.data_sources.add_pandas("warehouse")
    results: list[SuiteResult] = []
    for table, expects in all_suites().items():
        if not _table_exists(con, table):
            missing = Failure("table_exists", None, f"table {table} does not exist")
            results.append(SuiteResult(table, False, 1, 1, [missing]))
            continue
        try:
            frame = con.execute(_select(table, expects)).df()
            batch = (
                source.add_dataframe_asset(name=table)
                .add_batch_definition_whole_dataframe(f"{table}:all")
                .get_batch(batch_parameters={"dataframe": frame})
            )
            suite = gx.ExpectationSuite(
                name=table, expectations=[_gx_expectation(gx, e) for e in expects]
            )
            results.append(_suite_result(table, batch.validate(suite)))
        except (duckdb.Error, gx.exceptions.GreatExpectationsError) as exc:
            raise CheckError(run_id, table, exc) from exc
    rows: list[Reconciliation] | Exception
    try:
        rows = reconcile(con, run_id)
    except duckdb.Error as exc:
        rows = exc
    results.append(_reconciliation_suite(rows))
    results.append(_quarantine_share_suite(rows, max_quarantine_share))
    record_results(con, run_id, results)
    return DQResult(
        run_id=run_id,
        success=all(r.success for r in results),
        suites=results,
        seconds=round(time.perf_counter() - clock, 3),
    )


def record_results(con: duckdb.DuckDBPyConnection, run_id: str, results: list[SuiteResult]) -> None:
    """Append one ``dq_runs`` row per suite."""
    checked_at = utcnow()
    con.executemany(
        "INSERT INTO dq_runs (run_id, suite, checked_at, success, evaluated, failed, failures) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            [
                run_id,
                r.suite,
                checked_at,
                r.success,
                r.evaluated,
                r.failed,
                json.dumps([asdict(f) for f in r.failures]),
            ]
            for r in results
        ],
    )


def format_dq_summary(result: DQResult) -> str:
    """Readable summary for the CLI: one line per suite, failing expectations indented."""
    passed = sum(1 for s in result.suites if s.success)
    verdict = "passed" if result.success else "FAILED"
    lines = [
        f"data quality {verdict} for run {result.run_id}: "
        f"{passed}/{len(result.suites)} suites passed ({result.seconds:.1f} s)"
    ]
    for suite in result.suites:
        mark = "ok  " if suite.success else "FAIL"
        lines.append(f"  {mark} {suite.suite} ({suite.evaluated - suite.failed}/{suite.evaluated})")
        for failure in suite.failures:
            where = f" [{failure.column}]" if failure.column else ""
            lines.append(f"         - {failure.expectation}{where}: {failure.details}")
    return "\n".join(lines)
