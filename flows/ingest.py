"""The ingest flow: TMDB configuration, genres, lists, movie details, then YTS; all landed.

Concurrency model (one rate limiter per service per process): the flow runs ONE event
loop, and every task is an ``async`` Prefect task awaited inside it. The TMDB and YTS
clients (connection pools, token buckets, sticky mirror) are created once in that loop
and shared by all tasks, so the rate limits hold for the whole run. Concurrency lives
inside the tasks (``http_concurrency`` requests in flight per service); across tasks,
up to ``pipelines`` movie chunks are in flight at once, each "details, then YTS for the
IMDb ids found", so that a chunk's slow tail (a request in backoff) overlaps with the
next chunks and TMDB and YTS are fetched side by side. Thread- or process-based Prefect
task runners would each need their own limiter and would exceed the ceilings.

``ingest_flow`` is the Prefect entry point; :func:`ingest_async` does the same work
without Prefect (``use_tasks=False``), which tests use to stay fast.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

import duckdb
import httpx
from prefect import flow, get_run_logger

from core.settings import Settings
from flows.changes import RefreshPlan, commit_refresh, fetch_changes_plan
from flows.clients import open_clients
from flows.context import IngestContext, TableCounts
from flows.landing import fresh_keys
from flows.retry import RetryPolicy
from flows.tmdb import (
    ANSWER_STATUSES,
    LIST_PATHS,
    MOVIES_TABLE,
    details_requests,
    fetch_configuration,
    fetch_genres,
    fetch_list,
    fetch_movie_details,
    list_movie_ids,
)
from flows.tv_ingest import run_tv_ingest
from flows.yts import YTS_TABLE, fetch_yts_movies, imdb_ids_for, yts_request
from warehouse.db import open_warehouse
from warehouse.schema import RAW_TABLES, ensure_base_schema

# How far a run goes: each scope includes the stages before it (their fresh rows are
# skipped, so a scheduled "sources" run after a "lists" run fetches only YTS).
SCOPES = ("lists", "movies", "sources", "all")

# A Prefect task run costs ~0.1 s here (API calls, events, a fresh API client with its
# own SSL context), mostly in background threads that compete with the event loop for
# the GIL. So chunks grow with the run: at most MAX_CHUNKS movie chunks, at least
# DETAILS_CHUNK movies each (10,000 movies -> 16 chunks of 625).
DETAILS_CHUNK = 250  # minimum movie ids per details task
MAX_CHUNKS = 16
YTS_CHUNK = 1000  # IMDb ids per YTS task (a chunk's YTS batch is one task)
PIPELINES = 4  # movie chunks in flight at once
CHECKPOINT_THRESHOLD = "1GB"  # DuckDB WAL size that forces a checkpoint during ingest

T = TypeVar("T")


@dataclass
class IngestSummary:
    """What one ingest run did, per raw table."""

    run_id: str
    tables: dict[str, TableCounts] = field(default_factory=dict)
    movies: int = 0  # distinct movie ids found in the lists
    imdb_ids: int = 0  # distinct IMDb ids looked up on YTS (fetched or fresh)
    seconds: float = 0.0
    changes: dict[str, Any] = field(default_factory=dict)  # the changes feed's refresh plan
    tv: dict[str, Any] = field(default_factory=dict)  # the TV part (flows/tv_ingest.py)

    @property
    def fetched(self) -> int:
        return sum(c.fetched for c in self.tables.values())

    @property
    def failed(self) -> int:
        return sum(c.failed for c in self.tables.values())

    @property
    def landed(self) -> int:
        return sum(c.landed for c in self.tables.values())

    @property
    def skipped_fresh(self) -> int:
        return sum(c.skipped_fresh for c in self.tables.values())

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (for ``sync_runs.summary``)."""
        return {
            "run_id": self.run_id,
            "movies": self.movies,
            "imdb_ids": self.imdb_ids,
            "seconds": round(self.seconds, 3),
            "fetched": self.fetched,
            "failed": self.failed,
            "landed": self.landed,
            "skipped_fresh": self.skipped_fresh,
            "changes": self.changes,
            "tv": self.tv,
            "tables": {name: counts.as_dict() for name, counts in self.tables.items()},
        }


def _chunks(items: Sequence[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def _caller(use_tasks: bool) -> Callable[..., Awaitable[Any]]:
    """Run a task as a Prefect task run, or its plain coroutine function."""

    def call(task_obj: Any, *args: Any) -> Awaitable[Any]:
        return task_obj(*args) if use_tasks else task_obj.fn(*args)

    return call


def chunk_size(total: int, minimum: int = DETAILS_CHUNK, max_chunks: int = MAX_CHUNKS) -> int:
    """Movies per chunk: at least ``minimum``, and no more than ``max_chunks`` chunks."""
    return max(1, minimum, -(-total // max(1, max_chunks)))


def _check_scope(scope: str) -> str:
    if scope not in SCOPES:
        raise ValueError(f"unknown ingest scope {scope!r}; expected one of {SCOPES}")
    return scope


async def run_ingest(
    ctx: IngestContext,
    *,
    scope: str = "all",
    use_tasks: bool = True,
    details_chunk: int = DETAILS_CHUNK,
    yts_chunk: int = YTS_CHUNK,
    pipelines: int = PIPELINES,
) -> IngestSummary:
    """Fetch and land everything ``scope`` asks for, on an open connection and clients.

    ``lists``: configuration, genres, lists. ``movies``: also movie details.
    ``sources`` and ``all``: also YTS.
    """
    _check_scope(scope)
    started = time.perf_counter()
    call = _caller(use_tasks)
    for table in RAW_TABLES:
        ctx.count(table)

    with_details = scope != "lists"
    results = await asyncio.gather(
        call(fetch_configuration, ctx),
        call(fetch_genres, ctx),
        *(call(fetch_list, ctx, name) for name in LIST_PATHS),
        *([call(fetch_changes_plan, ctx, "movie")] if with_details else []),
    )
    plan: RefreshPlan | None = results.pop() if with_details else None
    page_keys = [key for keys in results[2:] for key in keys]
    movie_ids = list_movie_ids(ctx, page_keys)
    summary = IngestSummary(run_id=ctx.run_id, tables=ctx.counts, movies=len(movie_ids))
    if plan is None:
        summary.seconds = time.perf_counter() - started
        return summary
    summary.changes = plan.as_dict()
    with_sources = scope in ("sources", "all")

    # Movies whose details are all fresh need no TMDB task, only a YTS look-up.
    languages = ctx.settings.tmdb_languages
    keys_of = {m: [r.key for r in details_requests([m], languages)] for m in movie_ids}
    fresh = fresh_keys(
        ctx.con,
        MOVIES_TABLE,
        (k for keys in keys_of.values() for k in keys),
        ctx.max_age_for(MOVIES_TABLE),
        answer_statuses=ANSWER_STATUSES,
    )

    def is_fresh(movie_id: int) -> bool:
        return not plan.must_refetch(movie_id) and all(k in fresh for k in keys_of[movie_id])

    stale_ids = [m for m in movie_ids if not is_fresh(m)]
    fresh_ids = [m for m in movie_ids if is_fresh(m)]
    ctx.count(MOVIES_TABLE).skipped_fresh += len(fresh_ids) * len(languages)

    queued: set[str] = set()

    async def yts_for(imdb_ids: Sequence[str], label: str) -> None:
        imdb = [i for i in dict.fromkeys(imdb_ids) if i not in queued]
        queued.update(imdb)
        keys = {i: yts_request(i).key for i in imdb}
        fresh_yts = fresh_keys(ctx.con, YTS_TABLE, keys.values(), ctx.max_age_for(YTS_TABLE))
        todo = [i for i in imdb if keys[i] not in fresh_yts]
        ctx.count(YTS_TABLE).skipped_fresh += len(imdb) - len(todo)
        await asyncio.gather(
            *(
                call(fetch_yts_movies, ctx, chunk, f"{label}-{n}", True)
                for n, chunk in enumerate(_chunks(todo, yts_chunk))
            )
        )

    async def fresh_movies_to_yts() -> None:
        if with_sources and fresh_ids:
            await yts_for(list(imdb_ids_for(ctx, fresh_ids).values()), "fresh")

    gate = asyncio.Semaphore(pipelines)

    async def pipeline(ids: list[int], label: str) -> None:
        async with gate:
            refetch = frozenset(m for m in ids if plan.must_refetch(m))
            found = await call(fetch_movie_details, ctx, ids, label, refetch)
            if not with_sources:
                return
            # Ids without an IMDb id from this fetch: 404s, failures, or movies whose
            # other languages are fresh (their landed rows may carry one).
            rest = [m for m in ids if m not in found]
            if rest:
                found.update(imdb_ids_for(ctx, rest))
            await yts_for(list(found.values()), label)

    await asyncio.gather(
        fresh_movies_to_yts(),
        *(
            pipeline(ids, f"{n:04d}")
            for n, ids in enumerate(_chunks(stale_ids, chunk_size(len(stale_ids), details_chunk)))
        ),
    )
    commit_refresh(ctx, plan)  # failed fetches stay stale: freshness retries them
    summary.imdb_ids = len(queued)
    summary.seconds = time.perf_counter() - started
    return summary


async def ingest_async(
    settings: Settings,
    run_id: str,
    *,
    scope: str = "all",
    use_tasks: bool = False,
    transport: httpx.AsyncBaseTransport | None = None,
    policy: RetryPolicy | None = None,
    tv: bool = False,
    **tuning: int,
) -> IngestSummary:
    """Open the warehouse and the clients, run the ingest, close everything.

    The DuckDB connection (and with it the write lock) lives only as long as this call.
    ``tuning`` passes ``details_chunk``, ``yts_chunk``, ``pipelines`` to :func:`run_ingest`.
    ``tv=True`` then runs the TV part (:func:`flows.tv_ingest.run_tv_ingest`, same scope
    stages) on the same connection and clients.
    """
    _check_scope(scope)
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    con = open_warehouse(settings)
    try:
        ensure_base_schema(con)
        # Many small appends: checkpoint once at the end instead of every 16 MB of WAL
        # (measured: 40 batches of 250 details 1.1 s -> 0.3 s of CPU).
        con.execute(f"SET checkpoint_threshold = '{CHECKPOINT_THRESHOLD}'")
        try:
            async with open_clients(settings, transport=transport, policy=policy) as clients:
                ctx = IngestContext(con, clients, settings, run_id)
                summary = await run_ingest(ctx, scope=scope, use_tasks=use_tasks, **tuning)
                if tv:
                    shows = await run_tv_ingest(ctx, _caller(use_tasks), scope=scope)
                    summary.tv = asdict(shows)
                return summary
        finally:
            with contextlib.suppress(duckdb.Error):  # never mask the run's own error
                con.execute("RESET checkpoint_threshold")
    finally:
        con.close()


def _run_coroutine(make: Callable[[], Awaitable[T]]) -> T:
    """``asyncio.run`` here, or in a helper thread when this thread already runs a loop."""

    async def main() -> T:
        return await make()

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(main())
    context = contextvars.copy_context()  # keep Prefect's run context in the helper thread
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="miauflix-ingest") as pool:
        return pool.submit(context.run, asyncio.run, main()).result()


@flow(name="ingest", flow_run_name="ingest-{scope}", validate_parameters=False)
def ingest_flow(settings: Settings, run_id: str, scope: str = "all") -> IngestSummary:
    """Fetch TMDB (and YTS) as far as ``scope`` goes; land every response raw."""
    summary = _run_coroutine(
        lambda: ingest_async(settings, run_id, scope=scope, use_tasks=True, tv=True)
    )
    get_run_logger().info(
        "ingest %s: %d movies, %d fetched, %d failed, %d fresh skipped, %d rows in %.1f s",
        scope,
        summary.movies,
        summary.fetched,
        summary.failed,
        summary.skipped_fresh,
        summary.landed,
        summary.seconds,
    )
    return summary
