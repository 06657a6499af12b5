"""The main flow: ingest -> transform -> check -> publish, one run of the whole pipeline.

``sync_flow(scope)`` is what `miauflix sync` runs and what the deployments in
``prefect.yaml`` schedule (lists hourly, movie metadata every 90 minutes, sources often).
A failed data-quality suite blocks the publish: the previous catalog keeps serving, the
run is recorded as ``blocked`` and :class:`PipelineBlocked` carries a readable summary.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from dataclasses import asdict, dataclass, field, is_dataclass
from datetime import datetime
from typing import Any, Literal

import duckdb
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from core.catalog.contract import (
    SCHEMA_VERSION,
    CatalogUnavailable,
    connect_readonly,
    source_id_for,
    version_stamp,
)
from core.clock import utcnow
from core.crypto import Keyring
from core.errors import MiauflixError
from core.last_sync import record_sync_run
from core.settings import Settings, load_settings
from flows.engine_outcomes import engine_outcomes_task
from flows.ingest import ingest_flow
from flows.run_record import record_run_end, record_run_start
from flows.warehouse_slot import warehouse_slot
from warehouse import source_stats
from warehouse.analytics import analytics_path, write_snapshot
from warehouse.checks import DQResult, format_dq_summary, run_checks
from warehouse.db import open_warehouse
from warehouse.publish import publish_catalog
from warehouse.schema import RAW_TABLES, ensure_base_schema
from warehouse.transform import transform

Scope = Literal["all", "lists", "movies", "sources"]


class PipelineError(MiauflixError):
    """A pipeline run failed; the previous catalog keeps serving."""


class UpstreamsUnreachable(PipelineError):
    """Every upstream request of the run failed: nothing to transform."""


class PipelineBlocked(PipelineError):
    """Data-quality checks failed, so nothing was published."""

    def __init__(self, run_id: str, summary: str) -> None:
        super().__init__(f"run {run_id}: data-quality checks failed, publish blocked\n{summary}")
        self.run_id = run_id
        self.summary = summary


@dataclass
class SyncResult:
    """What one run did: counts per stage and seconds per stage."""

    run_id: str
    status: str = "running"
    ingest: dict[str, Any] = field(default_factory=dict)
    transform: dict[str, Any] = field(default_factory=dict)
    dq: dict[str, Any] = field(default_factory=dict)
    publish: dict[str, Any] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def _as_dict(value: Any) -> dict[str, Any]:
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    if isinstance(value, dict):
        return value
    return {"value": repr(value)}


def _connect(settings: Settings) -> duckdb.DuckDBPyConnection:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return open_warehouse(settings)


@task(name="transform", cache_policy=NO_CACHE)
def transform_task(settings: Settings, run_id: str) -> dict[str, Any]:
    """Rebuild staging, quarantine and marts from the raw tables."""
    keyring = Keyring.load(settings.key_path, settings.secret_key.get_secret_value())
    with _connect(settings) as con:
        # Engine outcomes are keyed by the catalog's source id: derive it as publish does.
        return _as_dict(transform(con, run_id, source_key=lambda h: source_id_for(keyring, h)))


@task(name="data-quality", cache_policy=NO_CACHE)
def check_task(settings: Settings, run_id: str) -> DQResult:
    """Run the great-expectations suites; results are recorded in ``dq_runs``."""
    with _connect(settings) as con:
        return run_checks(con, run_id, max_quarantine_share=settings.dq_max_quarantine_share)


@task(name="publish", cache_policy=NO_CACHE)
def publish_task(settings: Settings, run_id: str) -> dict[str, Any]:
    """Write a fresh catalog.sqlite and swap it in atomically."""
    keyring = Keyring.load(settings.key_path, settings.secret_key.get_secret_value())
    with _connect(settings) as con:
        summary = publish_catalog(con, settings.catalog_path, keyring, run_id)
    return _as_dict(summary)


@task(name="analytics-snapshot", cache_policy=NO_CACHE)
def analytics_task(settings: Settings) -> dict[str, Any]:
    """Publish the analysts' read-only snapshot (warehouse/analytics.py). A failure is
    reported in the run summary and logged, never fails the run: the catalog is live."""
    keyring = Keyring.load(settings.key_path, settings.secret_key.get_secret_value())
    try:
        with _connect(settings) as con:
            return _as_dict(write_snapshot(con, settings.data_dir, keyring))
    except MiauflixError as exc:
        get_run_logger().warning("analytics snapshot not refreshed: %s", exc)
        return {"error": str(exc)}


def _published_at(settings: Settings) -> datetime | None:
    """When the serving catalog was published (naive UTC); None when there is none, or when
    an older Miauflix published it (its schema must be rebuilt)."""
    stamp = version_stamp(settings.catalog_path)
    if stamp is None or stamp[1] != SCHEMA_VERSION:
        return None
    return datetime.fromisoformat(stamp[0].replace("Z", "+00:00")).replace(tzinfo=None)


def _live_catalog(settings: Settings, *, published: bool) -> dict[str, Any] | None:
    """The serving catalog after the run (its version row), for the run history."""
    try:
        con = connect_readonly(settings.catalog_path)
    except CatalogUnavailable:
        return None
    try:
        row = con.execute("SELECT run_id, published_at, counts FROM catalog_version").fetchone()
        counts = json.loads(row["counts"]) if row is not None else None
    except (sqlite3.Error, ValueError):
        return None
    finally:
        con.close()
    if row is None:
        return None
    return {
        "published": published,
        "run_id": row["run_id"],
        "published_at": row["published_at"],
        "counts": counts if isinstance(counts, dict) else {},
    }


def catalog_is_current(settings: Settings, con: duckdb.DuckDBPyConnection) -> bool:
    """True when no upstream response landed after the serving catalog was published, so
    transforming, checking and publishing again would reproduce the same catalog."""
    published = _published_at(settings)
    if published is None:
        return False
    union = " UNION ALL ".join(f"SELECT max(fetched_at) AS t FROM {t}" for t in RAW_TABLES)
    newest = con.execute(f"SELECT max(t) FROM ({union})").fetchone()
    if newest is None or newest[0] is None or newest[0] > published:
        return False
    scraped = source_stats.newest_scrape(con)  # tracker counts re-rank the sources
    return scraped is None or scraped <= published


def _run_id() -> str:
    current = flow_run.get_id()
    return str(current) if current else str(uuid.uuid4())


def run_pipeline(settings: Settings, scope: Scope = "all") -> SyncResult:
    """Run every stage in order inside the current flow run; raise on failure."""
    logger = get_run_logger()
    result = SyncResult(run_id=_run_id())
    started = utcnow()
    with _connect(settings) as con:
        ensure_base_schema(con)
        record_run_start(con, result.run_id, started)
    record: dict[str, Any] = {"run_id": result.run_id, "scope": scope, "started_at": started}
    try:
        clock = time.perf_counter()
        ingest = ingest_flow(settings, result.run_id, scope=scope)
        result.ingest = ingest.to_dict()
        result.seconds["ingest"] = time.perf_counter() - clock
        if ingest.failed and not ingest.fetched and not ingest.skipped_fresh:
            raise UpstreamsUnreachable(
                f"no upstream answered: {ingest.failed} requests failed after retries "
                f"(TMDB at {settings.tmdb_url}, YTS at {', '.join(settings.yts_urls)}); "
                "check MIAUFLIX_TMDB_URL and MIAUFLIX_YTS_URLS, or run `miauflix demo` for "
                "the offline sandbox. The failures are landed; the catalog is unchanged."
            )
        landed = engine_outcomes_task(settings, result.run_id)
        result.ingest["engine_outcomes"] = asdict(landed)
        with _connect(settings) as con:
            unchanged = catalog_is_current(settings, con) and not landed.landed
        if unchanged:
            result.status = "succeeded"
            result.publish = {"skipped": "nothing new upstream since the catalog was published"}
            logger.info("run %s: nothing new upstream; the catalog stays as it is", result.run_id)
            if not analytics_path(settings.data_dir).exists():
                result.publish["analytics"] = analytics_task(settings)
            return result

        clock = time.perf_counter()
        result.transform = transform_task(settings, result.run_id)
        result.seconds["transform"] = time.perf_counter() - clock

        clock = time.perf_counter()
        dq = check_task(settings, result.run_id)
        result.dq = _as_dict(dq)
        result.seconds["checks"] = time.perf_counter() - clock
        record["dq"] = {
            "success": dq.success,
            "summary": format_dq_summary(dq),
            "suites": [
                {
                    "name": suite.suite,
                    "success": suite.success,
                    "evaluated": suite.evaluated,
                    "passed": suite.evaluated - suite.failed,
                }
                for suite in dq.suites
            ],
        }
        if not dq.success:
            result.status = "blocked"
            raise PipelineBlocked(result.run_id, format_dq_summary(dq))

        clock = time.perf_counter()
        result.publish = publish_task(settings, result.run_id)
        result.seconds["publish"] = time.perf_counter() - clock
        result.publish["analytics"] = analytics_task(settings)
        result.status = "succeeded"
        logger.info("run %s published: %s", result.run_id, result.publish.get("counts"))
        return result
    except BaseException as exc:
        if result.status == "running":
            result.status = "failed"
        record["error"] = str(exc)
        raise
    finally:
        record.update(status=result.status, finished_at=utcnow(), seconds=result.seconds)
        record["catalog"] = _live_catalog(settings, published="counts" in result.publish)
        with _connect(settings) as con:
            record_run_end(con, result.run_id, result.status, _as_dict(result))
        record_sync_run(settings.data_dir, record)


@flow(name="miauflix-sync", flow_run_name="sync-{scope}", log_prints=True)
def sync_flow(scope: Scope = "all") -> dict[str, Any]:
    """One pipeline run on the settings from the environment (``MIAUFLIX_*``), holding the
    warehouse slot (flows/warehouse_slot.py) throughout: every stage writes DuckDB."""
    with warehouse_slot():
        return asdict(run_pipeline(load_settings(), scope))
