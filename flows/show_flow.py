"""On-demand ingest of one show (a user opened a show the lists do not carry).

``show_flow(show_id)`` lands the show's details, seasons and EZTV pages (fresh answers are
skipped); the next pipeline run transforms and publishes them. Settings come from the
environment (``MIAUFLIX_*``) unless given, so the flow can be served as a deployment
whose only parameter is the show id.
"""

from __future__ import annotations

import uuid

from prefect import flow, get_run_logger
from prefect.runtime import flow_run

from core.settings import Settings, load_settings
from flows.ingest import _run_coroutine
from flows.tv_ingest import TvSummary, fetch_show_async
from flows.warehouse_slot import warehouse_slot


@flow(name="fetch-show", flow_run_name="fetch-show-{show_id}", validate_parameters=False)
def show_flow(
    show_id: int, settings: Settings | None = None, run_id: str | None = None
) -> TvSummary:
    """Land one show now; raises ValueError for an id that is not a TMDB id."""
    settings = settings or load_settings()
    run_id = run_id or str(flow_run.get_id() or uuid.uuid4())
    with warehouse_slot():  # lands raw_* rows in the warehouse
        summary = _run_coroutine(
            lambda: fetch_show_async(settings, run_id, show_id, use_tasks=True)
        )
    get_run_logger().info(
        "show %d: %d seasons, %d EZTV look-ups in %.1f s",
        show_id,
        summary.seasons,
        summary.imdb_ids,
        summary.seconds,
    )
    return summary
