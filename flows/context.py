"""What one ingest run carries around, and the fetch-then-land step every task uses."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

import duckdb

from core.clock import utcnow
from core.settings import Settings
from flows.clients import Clients
from flows.http import Fetched, UpstreamClient
from flows.landing import canonical_request_key, fresh_keys, land

# Raw tables by freshness kind (see ``IngestContext.max_age_for``); TV tables join these.
LIST_TABLES: frozenset[str] = frozenset({"raw_tmdb_lists", "raw_tmdb_tv_lists"})
DETAILS_TABLES: frozenset[str] = frozenset(
    {"raw_tmdb_movies", "raw_tmdb_shows", "raw_tmdb_seasons"}
)


@dataclass
class TableCounts:
    """Per raw table: requests answered, failed, skipped as fresh; rows landed; attempts."""

    fetched: int = 0  # answered: 200, or TMDB's 404
    failed: int = 0  # retries/mirrors exhausted or unusable answer; landed all the same
    skipped_fresh: int = 0
    landed: int = 0
    attempts: int = 0  # HTTP attempts including retries and mirror failovers

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass(frozen=True)
class Request:
    """One logical upstream GET, relative to the service's base URL."""

    path: str
    params: Mapping[str, str | int] = field(default_factory=dict)
    entity_key: str = ""

    @cached_property
    def key(self) -> str:
        """The canonical request key (computed once: it is looked up several times)."""
        return canonical_request_key(self.path, self.params)


class IngestContext:
    """Connection, clients and counters of one run.

    A plain class on purpose: Prefect walks dataclass task parameters and may rebuild
    them, which would split the counters between copies.
    """

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        clients: Clients,
        settings: Settings,
        run_id: str,
        *,
        started_at: datetime | None = None,
    ) -> None:
        self.con = con
        self.clients = clients
        self.settings = settings
        self.run_id = run_id
        self.started_at = started_at or utcnow()
        self.counts: dict[str, TableCounts] = {}

    def __repr__(self) -> str:  # shown by Prefect in task parameters
        return f"IngestContext(run_id={self.run_id!r})"

    @property
    def max_age(self) -> timedelta:
        return timedelta(hours=self.settings.freshness_hours)

    def max_age_for(self, table: str) -> timedelta:
        """Freshness per kind: swarm counts (YTS) and lists go stale fast (each scheduled
        run must refetch them); details are refetched when a changes feed names them, so
        their window is long; anything else uses ``freshness_hours``."""
        if table.startswith(("raw_yts_", "raw_eztv_")):  # torrent providers: swarm counts
            return timedelta(hours=self.settings.yts_freshness_hours)
        if table in LIST_TABLES:
            return timedelta(hours=self.settings.list_freshness_hours)
        if table in DETAILS_TABLES:
            return timedelta(hours=self.settings.details_freshness_hours)
        return self.max_age

    @property
    def since(self) -> datetime:
        """Oldest landed row this run may reuse: fresh rows and this run's own rows."""
        settings = self.settings
        hours = (
            settings.freshness_hours,
            settings.list_freshness_hours,
            settings.details_freshness_hours,
            settings.yts_freshness_hours,
        )
        longest = max(timedelta(hours=h) for h in hours)  # a row fresh under any window
        return min(self.started_at, self.started_at - longest)

    def count(self, table: str) -> TableCounts:
        return self.counts.setdefault(table, TableCounts())


async def fetch_and_land(
    ctx: IngestContext,
    table: str,
    client: UpstreamClient,
    requests: Sequence[Request],
    *,
    answer_statuses: Collection[int] = (),
    keep_data: bool = False,
    extract: Callable[[dict[str, Any]], Any] | None = None,
    check_fresh: bool = True,
) -> list[Fetched]:
    """Fetch the requests that are not fresh, concurrently, and land them in one batch.

    Returns the fetched records (fresh ones are skipped and counted). With
    ``keep_data=False`` the parsed JSON is dropped to keep memory flat; ``extract``
    keeps a small part of it. ``check_fresh=False`` trusts the caller's own filtering.
    """
    unique = list({r.key: r for r in requests}.values())
    todo = unique
    if check_fresh:
        fresh = fresh_keys(
            ctx.con,
            table,
            [r.key for r in unique],
            ctx.max_age_for(table),
            answer_statuses=answer_statuses,
        )
        todo = [r for r in unique if r.key not in fresh]
    counts = ctx.count(table)
    counts.skipped_fresh += len(unique) - len(todo)
    if not todo:
        return []
    results = await asyncio.gather(
        *(
            client.fetch(
                r.path,
                r.params,
                entity_key=r.entity_key,
                keep_data=keep_data,
                extract=extract,
                request_key=r.key,
            )
            for r in todo
        )
    )
    counts.landed += land(ctx.con, table, results, ctx.run_id)
    for result in results:
        counts.attempts += result.attempts
        if result.ok:
            counts.fetched += 1
        else:
            counts.failed += 1
    return results
