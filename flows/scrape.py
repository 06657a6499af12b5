"""Source stats refresh: scrape trackers for the swarm counts of published sources.

One run: read the published info hashes from the warehouse (they never leave it: rows are
keyed by the catalog's source id), pick the sources that are due (flows/scrape_schedule.py:
calm swarms less often, swinging ones more often, jittered), ask every tracker at once
(HTTP scrape, BEP 48; UDP scrape, BEP 15), land one row per (source, tracker) in
``raw_source_stats`` and move each source's schedule. The next sync's transform lets the
newest counts replace the provider's in scoring (warehouse/source_stats.py).

``scrape_flow`` is the Prefect entry point (the ``scrape`` deployment, every 15 minutes).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NONE
from prefect.runtime import flow_run

from core.catalog.contract import source_id_for
from core.clock import utcnow
from core.crypto import Keyring
from core.settings import Settings, load_settings
from flows.redact import install_httpx_log_filter
from flows.scrape_http import ScrapeError, SwarmCounts, scrape_http, tracker_label
from flows.scrape_schedule import (
    FIRST_INTERVAL,
    Counts,
    next_due,
    next_interval,
    volatility,
)
from flows.scrape_udp import scrape_udp
from flows.warehouse_slot import warehouse_slot_async
from warehouse import source_stats
from warehouse.db import open_warehouse
from warehouse.marts import PUBLIC_TRACKERS
from warehouse.source_stats import Scheduled, StatRow

log = logging.getLogger(__name__)

MAX_SOURCES_PER_RUN = 2000  # the most overdue first; the rest wait for the next run
UDP_TIMEOUT = 3.0
UDP_TRIES = 2


@dataclass
class ScrapeSummary:
    """What one scrape run did (no info hash in it)."""

    run_id: str
    published: int = 0
    due: int = 0
    scraped: int = 0  # sources at least one tracker gave counts for
    rows: int = 0
    trackers: dict[str, dict[str, int]] = field(default_factory=dict)  # label -> ok/missing/error
    seconds: float = 0.0


def scrape_trackers(settings: Settings) -> list[str]:
    """``MIAUFLIX_SCRAPE_TRACKERS`` when set, else the trackers a source's magnet names:
    the configured extras, then the public ones."""
    if settings.scrape_trackers:
        return list(dict.fromkeys(settings.scrape_trackers))
    return list(dict.fromkeys([*settings.engine_trackers, *PUBLIC_TRACKERS]))


async def _ask_tracker(
    announce: str,
    hashes: Sequence[bytes],
    client: httpx.AsyncClient,
) -> dict[bytes, SwarmCounts]:
    if announce.startswith(("http://", "https://")):
        return await scrape_http(client, announce, hashes)
    if announce.startswith("udp://"):
        return await scrape_udp(announce, hashes, timeout=UDP_TIMEOUT, tries=UDP_TRIES)
    raise ScrapeError(f"{tracker_label(announce)}: scheme not supported")


async def scrape_round(
    trackers: Sequence[str],
    sources: Mapping[bytes, str],
    client: httpx.AsyncClient,
) -> list[StatRow]:
    """Ask every tracker about every source concurrently; one row per (source, tracker)."""
    hashes = list(sources)

    async def one(announce: str) -> list[StatRow]:
        label = tracker_label(announce)
        try:
            counts = await _ask_tracker(announce, hashes, client)
        except ScrapeError as exc:
            log.warning("scrape failed: %s", exc)  # the message names the tracker, no hash
            return [StatRow(sid, label, "error", error=str(exc)[:300]) for sid in sources.values()]
        rows: list[StatRow] = []
        for info_hash, sid in sources.items():
            got = counts.get(info_hash)
            if got is None:
                rows.append(StatRow(sid, label, "missing"))
            else:
                rows.append(StatRow(sid, label, "ok", got.seeders, got.leechers, got.completed))
        return rows

    if not hashes:
        return []
    answers = await asyncio.gather(*(one(t) for t in trackers))
    return [row for rows in answers for row in rows]


def _best(rows: Sequence[StatRow]) -> dict[str, Counts]:
    best: dict[str, Counts] = {}
    for row in rows:
        if row.status != "ok" or row.seeders is None or row.leechers is None:
            continue
        seen = best.get(row.source_id)
        if seen is None or (row.seeders, row.leechers) > (seen.seeders, seen.leechers):
            best[row.source_id] = Counts(row.seeders, row.leechers)
    return best


def plan_schedule(
    due: Sequence[str],
    previous: Mapping[str, Scheduled],
    rows: Sequence[StatRow],
    now: datetime,
    rng: random.Random,
) -> list[Scheduled]:
    """The next schedule row of every scraped source (counts kept when none answered)."""
    best = _best(rows)
    planned: list[Scheduled] = []
    for sid in due:
        before = previous.get(sid)
        interval = timedelta(seconds=before.interval_s) if before else None
        got = best.get(sid)
        if got is None:
            chosen = interval or FIRST_INTERVAL
            counts = (before.seeders, before.leechers) if before else (None, None)
        else:
            old = (
                Counts(before.seeders, before.leechers)
                if before and before.seeders is not None and before.leechers is not None
                else None
            )
            chosen = next_interval(interval, volatility(old, got))
            counts = (got.seeders, got.leechers)
        due_at = next_due(now, chosen, rng)
        planned.append(Scheduled(sid, int(chosen.total_seconds()), due_at, *counts))
    return planned


def pick_due(
    ids: Sequence[str], schedule: Mapping[str, Scheduled], now: datetime, limit: int
) -> list[str]:
    """Never-scraped sources first, then the most overdue; at most ``limit``."""
    never = [s for s in ids if s not in schedule]
    overdue = sorted(
        (s for s in ids if s in schedule and schedule[s].next_due_at <= now),
        key=lambda s: schedule[s].next_due_at,
    )
    return [*never, *overdue][: max(0, limit)]


async def run_scrape(
    settings: Settings,
    run_id: str,
    *,
    trackers: Sequence[str] | None = None,
    now: datetime | None = None,
    rng: random.Random | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    limit: int = MAX_SOURCES_PER_RUN,
) -> ScrapeSummary:
    """One scrape round over the due published sources; lands rows and moves schedules."""
    install_httpx_log_filter()  # httpx logs request URLs: the hashes are in them
    started = time.perf_counter()
    now = now or utcnow()
    rng = rng or random.Random()
    summary = ScrapeSummary(run_id=run_id)
    keyring = Keyring.load(settings.key_path, settings.secret_key.get_secret_value())
    with open_warehouse(settings) as con:
        source_stats.ensure_schema(con)
        by_sid = {source_id_for(keyring, h): h for h in source_stats.published_hashes(con)}
        summary.published = len(by_sid)
        schedule = source_stats.schedule_of(con, by_sid)
        due = pick_due(sorted(by_sid), schedule, now, limit)
        summary.due = len(due)
        sources = {bytes.fromhex(by_sid[sid]): sid for sid in due}
        timeout = httpx.Timeout(settings.http_timeout)
        async with httpx.AsyncClient(transport=transport, timeout=timeout) as client:
            rows = await scrape_round(trackers or scrape_trackers(settings), sources, client)
        summary.rows = source_stats.land(con, rows, now, run_id)
        source_stats.save_schedule(con, plan_schedule(due, schedule, rows, now, rng), now)
    summary.scraped = len(_best(rows))
    for row in rows:
        per = summary.trackers.setdefault(row.tracker, {"ok": 0, "missing": 0, "error": 0})
        per[row.status] += 1
    summary.seconds = round(time.perf_counter() - started, 3)
    return summary


@task(name="scrape-trackers", task_run_name="scrape-trackers", cache_policy=NONE)
async def scrape_task(settings: Settings, run_id: str) -> ScrapeSummary:
    """Scrape the due published sources on every tracker (a rerunnable task)."""
    return await run_scrape(settings, run_id)


@flow(name="miauflix-scrape", flow_run_name="scrape", validate_parameters=False)
async def scrape_flow() -> dict[str, Any]:
    """Refresh swarm counts of the published sources (settings from ``MIAUFLIX_*``)."""
    current = flow_run.get_id()
    run_id = str(current) if current else str(uuid.uuid4())
    async with warehouse_slot_async():  # lands swarm counts in the warehouse
        summary = await scrape_task(load_settings(), run_id)
    get_run_logger().info(
        "scrape: %d published, %d due, %d with counts, %d rows in %.1f s",
        summary.published,
        summary.due,
        summary.scraped,
        summary.rows,
        summary.seconds,
    )
    return asdict(summary)
