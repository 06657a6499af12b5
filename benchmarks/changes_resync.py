"""A changes-feed resync touching 1 % of the titles vs the full metadata sync it follows.

Ingest (scope ``movies``: lists, changes feed, details) of N movies from the in-process
fake upstream into a fresh warehouse, then 1 % of the titles change upstream and the same
ingest runs again: it walks the changes feed and refetches exactly those. Prints both
wall times, the requests each sent, and the ratio (same run, same machine)::

    .venv/bin/python benchmarks/changes_resync.py [--movies 5000]
    .venv/bin/python benchmarks/changes_resync.py --tv [--shows 1000]

``--tv`` does the same for shows (issue 9's TV run: 1,000 shows, ~50,000 episodes, 10
movies): TMDB TV lists, the TV changes feed, show details and every season, then a resync
after 1 % of the shows changed upstream, compared with the aim (resync <= 10 s).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from core.settings import Settings
from flows.ingest import IngestSummary, ingest_async
from sandbox.catalogue import SyntheticCatalogue
from sandbox.fake_upstream import RunningUpstream, UpstreamConfig, start_fake_upstream

TV_AIM_S = 10.0  # issue 9: a changes-feed resync touching 1 % of the titles


def _run(cfg: Settings, run_id: str, *, tv: bool = False) -> tuple[IngestSummary, float]:
    started = time.perf_counter()
    summary = asyncio.run(ingest_async(cfg, run_id, scope="movies", tv=tv))
    return summary, time.perf_counter() - started


def _one_percent(ids: list[int]) -> list[int]:
    return ids[:: max(1, len(ids) // 100)][: max(1, len(ids) // 100)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--movies", type=int, default=5000)
    parser.add_argument("--tv", action="store_true", help="1,000 shows (and 10 movies)")
    parser.add_argument("--shows", type=int, default=1000)
    args = parser.parse_args()
    if args.tv:
        args.movies = 10
    catalogue = SyntheticCatalogue(args.movies, seed=42, shows=args.shows if args.tv else None)
    catalogue.change_rate = 0.0  # only the touched titles change
    with (
        tempfile.TemporaryDirectory() as tmp,
        start_fake_upstream(UpstreamConfig(catalogue=catalogue)) as upstream,
    ):
        cfg = Settings(
            data_dir=Path(tmp),
            tmdb_url=upstream.tmdb_url,
            yts_urls=upstream.yts_urls,
            tmdb_rate_limit=5000.0,
            yts_rate_limit=5000.0,
            tmdb_list_pages=500,
        )
        if args.tv:
            _tv(cfg, catalogue, upstream)
            return
        full, full_s = _run(cfg, "full")
        touched = catalogue.tmdb_ids[:: max(1, len(catalogue.tmdb_ids) // 100)][:-1]
        catalogue.touch(touched)
        upstream.stats.reset()
        resync, resync_s = _run(cfg, "resync")
    print(f"movies: {args.movies}, touched: {len(touched)} ({resync.changes['mode']})")
    print(f"full metadata sync: {full_s:.2f} s, {full.fetched} responses")
    details = resync.tables["raw_tmdb_movies"].fetched
    print(f"1 % resync:         {resync_s:.2f} s, {resync.fetched} responses ({details} details)")
    print(f"resync / full:      {resync_s / full_s:.3f}")


def _tv(cfg: Settings, catalogue: SyntheticCatalogue, upstream: RunningUpstream) -> None:
    """Full TV metadata ingest, then a resync after 1 % of the shows changed upstream."""
    full, full_s = _run(cfg, "full", tv=True)
    touched = _one_percent(catalogue.tv_ids)
    catalogue.touch(touched, kind="tv")
    upstream.stats.reset()
    resync, resync_s = _run(cfg, "resync", tv=True)
    tv_full, tv_resync = full.tv or {}, resync.tv or {}
    refresh = tv_resync.get("refresh", {})
    print(f"shows: {len(catalogue.tv_ids)}, touched: {len(touched)} ({refresh.get('mode')}, "
          f"feed named {refresh.get('changed')})")  # fmt: skip
    print(f"full metadata sync: {full_s:.2f} s, {full.fetched} responses, "
          f"{tv_full.get('seasons')} seasons")  # fmt: skip
    seasons = resync.tables.get("raw_tmdb_seasons")
    print(f"1 % resync:         {resync_s:.2f} s, {resync.fetched} responses "
          f"({seasons.fetched if seasons else 0} seasons)")  # fmt: skip
    print(f"resync / full:      {resync_s / full_s:.3f}")
    verdict = "meets" if resync_s <= TV_AIM_S else "misses"
    print(f"aim: resync <= {TV_AIM_S:.0f} s: {verdict} ({resync_s:.2f} s)")


if __name__ == "__main__":
    main()
