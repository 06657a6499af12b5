"""TMDB changes feeds: which ids to refetch since the last successful run.

``/3/movie/changes`` and ``/3/tv/changes`` list the ids edited in a date window (at most
14 days, paged by 100). A run plans its refresh from ``sync_state`` (warehouse/sync_state.py):

* no state (first run), a gap longer than the 14-day window, or a state in the future:
  ``full`` -- every listed id is refetched;
* otherwise ``incremental`` -- the feed is walked day by day from the stored window end to
  today, and exactly the ids it names are refetched (the rest wait for their freshness);
* the feed failed or answered garbage: ``unavailable`` -- freshness alone decides and the
  state is not advanced, so the next run walks the same days again.

After the run refetched what the plan asked (failed fetches stay stale and are retried by
freshness), :func:`commit_refresh` advances the state to the run's start. Movies and shows
use the same mechanism: ``plan_refresh(ctx, "tv")`` / ``commit_refresh(ctx, plan)``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

from prefect import task
from prefect.cache_policies import NONE

from flows.context import IngestContext, Request
from flows.errors import FlowsError
from flows.http import UpstreamClient
from warehouse.sync_state import FeedState, advance_state, read_state

log = logging.getLogger(__name__)

Feed = Literal["movie", "tv"]
FEEDS: dict[str, tuple[str, str]] = {  # feed -> (TMDB path, sync_state feed name)
    "movie": ("/3/movie/changes", "tmdb_movie_changes"),
    "tv": ("/3/tv/changes", "tmdb_tv_changes"),
}
MAX_WINDOW_DAYS = 14  # TMDB refuses longer windows; a longer gap means a full refresh
MAX_PAGE = 500
MAX_TMDB_ID = 2**63 - 1
Mode = Literal["full", "incremental", "unavailable"]


class ChangesFeedError(FlowsError):
    """A changes page failed or was malformed: the feed's answer is incomplete."""


@dataclass(frozen=True)
class RefreshPlan:
    """What one run refetches for a feed, and the state to record once it did."""

    feed: str
    mode: Mode
    reason: str
    window_end: datetime  # the run's start (naive UTC): the next window starts here
    ids: frozenset[int] = frozenset()  # ids the feed named (incremental only)
    requests: int = 0  # changes pages fetched

    def must_refetch(self, tmdb_id: int) -> bool:
        """Whether ``tmdb_id`` is refetched whatever its freshness."""
        return self.mode == "full" or (self.mode == "incremental" and tmdb_id in self.ids)

    def as_dict(self) -> dict[str, Any]:
        return {
            "feed": self.feed,
            "mode": self.mode,
            "reason": self.reason,
            "changed": len(self.ids),
            "requests": self.requests,
        }


def _feed(feed: str) -> tuple[str, str]:
    if feed not in FEEDS:
        raise ValueError(f"unknown changes feed {feed!r}; expected one of {sorted(FEEDS)}")
    return FEEDS[feed]


def changes_request(feed: str, day: date, page: int) -> Request:
    """The one-day window ``[day, day + 1]``, one page of it."""
    path = _feed(feed)[0]
    start, end = day.isoformat(), (day + timedelta(days=1)).isoformat()
    params: dict[str, str | int] = {"start_date": start, "end_date": end, "page": page}
    return Request(path, params, f"{feed}:{start}:{page}")


def days_between(start: date, end: date) -> list[date]:
    """Every day from ``start`` to ``end`` inclusive (empty when ``start > end``)."""
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def ids_of_page(data: Any, key: str) -> tuple[list[int], int]:
    """``(valid ids, total_pages)`` of a changes page; malformed items are skipped.

    Raises :class:`ChangesFeedError` when the page itself is not a changes page.
    """
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        raise ChangesFeedError(f"{key}: not a changes page (no results list)")
    pages = data.get("total_pages", 1)
    if type(pages) is not int or pages < 0:
        raise ChangesFeedError(f"{key}: total_pages is not a count: {pages!r}")
    ids = [
        item["id"]
        for item in data["results"]
        if isinstance(item, dict) and type(item.get("id")) is int and 0 < item["id"] <= MAX_TMDB_ID
    ]
    return ids, min(pages, MAX_PAGE)


async def _fetch_pages(client: UpstreamClient, requests: Iterable[Request]) -> list[Any]:
    done = await asyncio.gather(
        *(
            client.fetch(r.path, r.params, entity_key=r.entity_key, request_key=r.key)
            for r in requests
        )
    )
    for result in done:
        if not result.ok or result.status != 200:
            raise ChangesFeedError(
                f"{result.entity_key}: TMDB answered {result.status} at {result.url}"
            )
    return [result.data for result in done]


async def changed_ids(
    client: UpstreamClient, feed: str, start: date, end: date
) -> tuple[set[int], int]:
    """Ids the feed names for the days ``start..end``, walked day by day, every page.

    Returns ``(ids, pages fetched)``; raises :class:`ChangesFeedError` when any page failed.
    """
    days = days_between(start, end)
    if len(days) > MAX_WINDOW_DAYS + 1:
        raise ChangesFeedError(f"{feed}: {len(days)} days is longer than the 14-day window")
    firsts = [changes_request(feed, day, 1) for day in days]
    found: set[int] = set()
    rest: list[Request] = []
    for request, data in zip(firsts, await _fetch_pages(client, firsts), strict=True):
        ids, pages = ids_of_page(data, request.entity_key)
        found.update(ids)
        day = date.fromisoformat(str(request.params["start_date"]))
        rest += [changes_request(feed, day, page) for page in range(2, pages + 1)]
    for request, data in zip(rest, await _fetch_pages(client, rest), strict=True):
        found.update(ids_of_page(data, request.entity_key)[0])
    return found, len(firsts) + len(rest)


def full_refresh_reason(state: FeedState | None, now: datetime) -> str | None:
    """Why the stored state cannot be continued (None when it can)."""
    if state is None:
        return "first run: no sync_state"
    if state.window_end > now + timedelta(days=1):
        return f"sync_state ends in the future ({state.window_end.isoformat()})"
    gap = now - state.window_end
    if gap > timedelta(days=MAX_WINDOW_DAYS):
        return f"gap of {gap.days} days is longer than the {MAX_WINDOW_DAYS}-day window"
    return None


async def plan_refresh(ctx: IngestContext, feed: str) -> RefreshPlan:
    """Read ``sync_state`` and, when it can be continued, walk the feed since its end."""
    name = _feed(feed)[1]
    now = ctx.started_at
    state = read_state(ctx.con, name)
    reason = full_refresh_reason(state, now)
    if reason is not None or state is None:
        return RefreshPlan(feed, "full", reason or "", now)
    start = min(state.window_end.date(), now.date())
    try:
        ids, requests = await changed_ids(ctx.clients.tmdb, feed, start, now.date())
    except ChangesFeedError as exc:
        log.warning("changes feed %s unusable, freshness decides this run: %s", feed, exc)
        return RefreshPlan(feed, "unavailable", str(exc), now)
    since = f"changes since {start.isoformat()}"
    return RefreshPlan(feed, "incremental", since, now, frozenset(ids), requests)


@task(name="tmdb-changes", task_run_name="tmdb-changes-{feed}", cache_policy=NONE)
async def fetch_changes_plan(ctx: IngestContext, feed: str) -> RefreshPlan:
    """Prefect task around :func:`plan_refresh` (one task run per feed)."""
    return await plan_refresh(ctx, feed)


def commit_refresh(ctx: IngestContext, plan: RefreshPlan) -> FeedState | None:
    """Advance the feed's state after the run refetched what ``plan`` asked."""
    if plan.mode == "unavailable":
        return None
    return advance_state(
        ctx.con,
        _feed(plan.feed)[1],
        plan.window_end,
        ctx.run_id,
        mode=plan.mode,
        changed=len(plan.ids),
        now=ctx.started_at,
    )
