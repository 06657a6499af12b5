"""A changes-feed resync touching 1 % of the titles vs the full metadata sync it follows.

Ingest (scope ``movies``: lists, changes feed, details) of N movies from the in-process
fake upstream into a fresh warehouse, then 1 % of the titles change upstream and the same
ingest runs again: it walks the changes feed and refetches exactly those. Prints both
wall times, the requests each sent, and the ratio (same run, same machine)::

    .venv/bin/python benchmarks/changes_resync.py [--movies 5000]
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
from sandbox.fake_upstream import UpstreamConfig, start_fake_upstream


def _run(cfg: Settings, run_id: str) -> tuple[IngestSummary, float]:
    started = time.perf_counter()
    summary = asyncio.run(ingest_async(cfg, run_id, scope="movies"))
    return summary, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--movies", type=int, default=5000)
    args = parser.parse_args()
    catalogue = SyntheticCatalogue(args.movies, seed=42)
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


if __name__ == "__main__":
    main()
