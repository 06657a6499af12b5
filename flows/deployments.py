"""The scheduled deployments, served by a Prefect runner (`python -m flows.deployments`).

The same schedules are declared in ``prefect.yaml`` for `prefect deploy` onto a work pool;
this module is the single-machine path: one runner process that registers the
deployments with the Prefect server (so the UI shows and can rerun them) and executes
their runs. Concurrent runs are limited to one per deployment, and DuckDB allows one
writer: across deployments and workers, the flows that write the warehouse hold the global
concurrency limit of :mod:`flows.warehouse_slot` (created by ``miauflix worker``).
`miauflix demo` serves the same deployments from ``miauflix/deployments.py``, which
passes itself as the ``entrypoint`` so its flow-run processes get the sandbox transport;
``miauflix worker`` (:mod:`miauflix.worker`) serves them with module-path entrypoints.
"""

from __future__ import annotations

from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from prefect import serve
from prefect.deployments.runner import EntrypointType, RunnerDeployment

from flows.audit_retention import audit_retention
from flows.pipeline import sync_flow
from flows.scrape import scrape_flow
from flows.trakt import trakt_flow


@dataclass(frozen=True)
class Schedule:
    name: str
    scope: str
    every: timedelta | None
    description: str


SCHEDULES: tuple[Schedule, ...] = (
    Schedule("lists", "lists", timedelta(hours=1), "TMDB lists, genres and configuration"),
    Schedule("movies", "movies", timedelta(minutes=90), "TMDB movie details and translations"),
    Schedule("sources", "sources", timedelta(minutes=15), "YTS torrent sources"),
    Schedule("full", "all", None, "Everything, end to end (run on demand)"),
)


AUDIT_RETENTION_CRON = "17 3 * * *"  # daily, at a quiet hour
SCRAPE_EVERY = timedelta(minutes=15)  # tracker scrape of the due sources (flows/scrape.py)
TRAKT_EVERY = timedelta(minutes=15)  # linked users' Trakt libraries (flows/trakt.py)


def _sync(made: RunnerDeployment | Coroutine[Any, Any, RunnerDeployment]) -> RunnerDeployment:
    """``to_deployment`` is sync-compatible: called from sync code it returns the object."""
    assert isinstance(made, RunnerDeployment)
    return made


def build_deployments(
    entrypoint: str | None = None, *, module_entrypoints: bool = False
) -> list[RunnerDeployment]:
    """The audit-retention and sync deployments, with their schedules and parameters.

    Each flow run is a fresh process that imports its flow from the deployment's
    entrypoint, by default the file defining the flow. ``entrypoint`` names another
    ``.py`` file (relative to the working directory) that exposes ``sync_flow`` and
    ``audit_retention``: importing it is how a caller prepares those processes.
    ``module_entrypoints`` names the flows by module (``flows.pipeline.sync_flow``), so
    workers in different working directories or machines agree on them.
    """
    kind = EntrypointType.MODULE_PATH if module_entrypoints else EntrypointType.FILE_PATH
    retention = _sync(
        audit_retention.to_deployment(
            name="daily",
            cron=AUDIT_RETENTION_CRON,
            description="Delete audit events and ended sessions past MIAUFLIX_AUDIT_RETENTION_DAYS",
            tags=["miauflix"],
            entrypoint_type=kind,
        )
    )
    syncs = [
        _sync(
            sync_flow.to_deployment(
                name=item.name,
                interval=item.every,
                parameters={"scope": item.scope},
                description=item.description,
                concurrency_limit=1,
                tags=["miauflix"],
                entrypoint_type=kind,
            )
        )
        for item in SCHEDULES
    ]
    trakt = _sync(
        trakt_flow.to_deployment(
            name="trakt",
            interval=TRAKT_EVERY,
            description="Trakt watchlist, history, progress and ratings of linked users",
            concurrency_limit=1,
            tags=["miauflix"],
            entrypoint_type=kind,
        )
    )
    scrape = _sync(
        scrape_flow.to_deployment(
            name="scrape",
            interval=SCRAPE_EVERY,
            description="Tracker scrape: seeders/leechers of the published sources that are due",
            concurrency_limit=1,
            tags=["miauflix"],
            entrypoint_type=kind,
        )
    )
    if entrypoint is not None:
        scrape.entrypoint = f"{entrypoint}:{scrape_flow.fn.__name__}"
        retention.entrypoint = f"{entrypoint}:{audit_retention.fn.__name__}"
        for deployment in syncs:
            deployment.entrypoint = f"{entrypoint}:{sync_flow.fn.__name__}"
        trakt.entrypoint = f"{entrypoint}:{trakt_flow.fn.__name__}"
    return [retention, *syncs, trakt, scrape]


def serve_deployments(
    deployments: list[RunnerDeployment],
    *,
    pause_on_shutdown: bool = True,
    name: str | None = None,
    heartbeat_seconds: int | None = None,
) -> None:
    """Register ``deployments`` and run their flow runs, one at a time, until stopped.

    Several runners serving the same deployments must not pause their schedules when one
    of them stops (``pause_on_shutdown=False``)."""
    serve(
        *deployments,
        limit=1,
        print_starting_message=False,
        pause_on_shutdown=pause_on_shutdown,
        name=name,
        heartbeat_seconds=heartbeat_seconds,
    )


def main() -> None:
    serve_deployments(build_deployments())


if __name__ == "__main__":
    main()
