"""The TV part of an ingest run, and the on-demand fetch of one show.

:func:`run_tv_ingest` runs inside the ingest flow's event loop with its shared clients (so the
TMDB rate limit holds across movies and shows): TV genres and lists, then the listed shows in
chunks, each chunk "details, then its seasons and its EZTV pages side by side". Every step is
a Prefect task a person can find and rerun (``tmdb-shows-0003``, ``tmdb-seasons-0003``,
``eztv-0003``). :func:`fetch_show_async` fetches one show the same way, for a show a user
opens (the Prefect flow around it is ``flows.show_flow.show_flow``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from core.settings import Settings
from flows.changes import RefreshPlan, commit_refresh, fetch_changes_plan
from flows.clients import open_clients
from flows.context import IngestContext
from flows.eztv import fetch_eztv_shows
from flows.tmdb import is_tmdb_id
from flows.tv import (
    TV_LIST_PATHS,
    fetch_seasons,
    fetch_show_details,
    fetch_tv_genres,
    fetch_tv_list,
    list_show_ids,
    show_facts,
)
from warehouse.db import open_warehouse
from warehouse.schema import ensure_base_schema

SHOW_CHUNK = 100  # minimum shows per chunk
MAX_SHOW_CHUNKS = 12
PIPELINES = 3  # show chunks in flight at once

T = TypeVar("T")
Call = Callable[..., Awaitable[Any]]


@dataclass
class TvSummary:
    """What the TV part of a run found (request counts are in the run's table counts)."""

    shows: int = 0  # distinct show ids in the TV lists
    seasons: int = 0  # seasons asked for (fetched or fresh)
    imdb_ids: int = 0  # shows looked up on EZTV
    seconds: float = 0.0
    refresh: dict[str, Any] = field(default_factory=dict)  # the TV changes plan (as_dict)


def _chunks(items: Sequence[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def show_chunk_size(total: int) -> int:
    return max(SHOW_CHUNK, -(-total // MAX_SHOW_CHUNKS))


async def ingest_shows(
    ctx: IngestContext,
    call: Call,
    show_ids: Sequence[int],
    label: str,
    summary: TvSummary,
    *,
    with_sources: bool = True,
    plan: RefreshPlan | None = None,
) -> None:
    """Details of ``show_ids``, then their seasons and (``with_sources``) EZTV pages, one
    task each; fresh answers are skipped (unless ``plan`` must refetch the show), so a
    sources-only run sends EZTV requests only."""
    refetch = frozenset(s for s in show_ids if plan is not None and plan.must_refetch(s))
    await call(fetch_show_details, ctx, list(show_ids), label, refetch)
    facts = list(show_facts(ctx, show_ids).values())
    imdb_ids = [f.imdb_id for f in facts if f.imdb_id] if with_sources else []
    summary.seasons += sum(len(f.seasons) for f in facts)
    summary.imdb_ids += len(imdb_ids)
    await asyncio.gather(
        call(fetch_seasons, ctx, facts, label, refetch),
        *([call(fetch_eztv_shows, ctx, imdb_ids, label)] if imdb_ids else []),
    )


async def run_tv_ingest(
    ctx: IngestContext, call: Call, *, scope: str = "all", pipelines: int = PIPELINES
) -> TvSummary:
    """Genres and lists; from scope ``movies`` on, every listed show's details and seasons
    (the shows the TV changes feed names refetched whatever their freshness, the feed's state
    advanced at the end); from ``sources`` on, its EZTV torrents (the movie scopes' stages)."""
    started = time.perf_counter()
    with_details = scope != "lists"
    results = await asyncio.gather(
        call(fetch_tv_genres, ctx),
        *(call(fetch_tv_list, ctx, name) for name in TV_LIST_PATHS),
        *([call(fetch_changes_plan, ctx, "tv")] if with_details else []),
    )
    lists = results[1 : 1 + len(TV_LIST_PATHS)]
    page_keys = [key for keys in lists for key in keys]
    show_ids = list_show_ids(ctx, page_keys)
    summary = TvSummary(shows=len(show_ids))
    if not with_details:
        summary.seconds = time.perf_counter() - started
        return summary
    plan: RefreshPlan = results[-1]
    gate = asyncio.Semaphore(pipelines)
    with_sources = scope in ("sources", "all")

    async def pipeline(ids: list[int], label: str) -> None:
        async with gate:
            await ingest_shows(ctx, call, ids, label, summary, with_sources=with_sources, plan=plan)

    size = show_chunk_size(len(show_ids))
    await asyncio.gather(
        *(pipeline(ids, f"{n:04d}") for n, ids in enumerate(_chunks(show_ids, size)))
    )
    commit_refresh(ctx, plan)  # failed fetches stay stale: freshness retries them
    summary.refresh = plan.as_dict()
    summary.seconds = time.perf_counter() - started
    return summary


async def fetch_show_async(
    settings: Settings, run_id: str, show_id: int, *, use_tasks: bool = False
) -> TvSummary:
    """Fetch and land one show (details, seasons, EZTV), fresh answers skipped."""
    if not is_tmdb_id(show_id):
        raise ValueError(f"not a TMDB show id: {show_id!r}")
    con = open_warehouse(settings)
    try:
        ensure_base_schema(con)
        async with open_clients(settings) as clients:
            ctx = IngestContext(con, clients, settings, run_id)

            def call(task_obj: Any, *args: Any) -> Awaitable[Any]:
                return task_obj(*args) if use_tasks else task_obj.fn(*args)

            summary = TvSummary(shows=1)
            started = time.perf_counter()
            await ingest_shows(ctx, call, [show_id], f"show-{show_id}", summary)
            summary.seconds = time.perf_counter() - started
            return summary
    finally:
        con.close()
