"""Land the engine's per-source outcomes in the warehouse (``raw_engine_outcomes``).

Reads ``<data_dir>/source_outcomes.sqlite`` read-only (core/source_outcomes.py) from the
newest landed ``event_id`` on and appends the new events as they are; staging validates them
(malformed ones are quarantined). If the engine's file was reset (its newest id is below the
watermark), it is read from the start again (staging keeps one row per event id).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
from prefect import task
from prefect.cache_policies import NO_CACHE

from core.clock import utcnow
from core.settings import Settings
from core.source_outcomes import OutcomeError, max_event_id, outcomes_path, read_outcomes
from warehouse import outcomes
from warehouse.db import open_warehouse

BATCH = 50_000


@dataclass
class OutcomesLanded:
    landed: int = 0
    watermark: int = 0
    error: str | None = None


def land_engine_outcomes(
    con: duckdb.DuckDBPyConnection, settings: Settings, run_id: str
) -> OutcomesLanded:
    path = outcomes_path(settings.data_dir)
    after = outcomes.last_event_id(con)
    if max_event_id(path) < after:  # the engine's file was recreated: ids restarted
        after = 0
    result = OutcomesLanded(watermark=after)
    try:
        while True:
            events = read_outcomes(path, after_id=result.watermark, limit=BATCH)
            if not events:
                break
            result.landed += outcomes.land(con, events, run_id, utcnow())
            result.watermark = events[-1].event_id
    except OutcomeError as exc:  # the engine's file is unreadable: rank without it
        result.error = str(exc)
    return result


@task(name="ingest-engine-outcomes", cache_policy=NO_CACHE)
def engine_outcomes_task(settings: Settings, run_id: str) -> OutcomesLanded:
    """New engine outcome events -> ``raw_engine_outcomes`` (append-only)."""
    with open_warehouse(settings) as con:
        return land_engine_outcomes(con, settings, run_id)
