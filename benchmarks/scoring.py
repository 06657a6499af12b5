"""Scoring benchmark: warehouse.scoring in polars vs the same formula in plain Python.

    .venv/bin/python benchmarks/scoring.py [--rows 1000000] [--python-rows 100000] [--seed 7]

Builds ``--rows`` synthetic sources (seeded, vectorised), times ``score_sources(...).collect()``
on all of them, then times ``score_sources_python`` in the same process. The Python loop is
timed on a ``--python-rows`` subset and extrapolated linearly to ``--rows`` (the output says
so); its input dicts are built before the clock starts. Aims: 1M rows <= 2 s, >= 20x Python.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from warehouse.scoring import score_sources, score_sources_python

AS_OF = datetime(2025, 6, 1)


def synthetic_sources(rows: int, seed: int) -> pl.DataFrame:
    """``rows`` sources over ``rows / 4`` movies, with the spread YTS shows (and some nulls)."""
    rnd = np.random.default_rng(seed)
    quality = rnd.choice(np.array([480, 720, 1080, 2160]), rows, p=[0.05, 0.35, 0.45, 0.15])
    uhd = quality == 2160
    size = (quality.astype(np.int64) ** 2 * rnd.uniform(800, 2400, rows)).astype(np.int64)
    uploaded = (
        np.datetime64("2012-01-01", "us")
        + rnd.integers(0, 13 * 365 * 86_400, rows).astype("timedelta64[s]")
    ).astype("datetime64[us]")
    frame = pl.DataFrame(
        {
            "info_hash": [f"{i:040x}" for i in rnd.permutation(rows)],
            "tmdb_id": rnd.integers(1, max(2, rows // 4), rows),
            "resolution": quality.astype(np.int32),
            "is_3d": rnd.random(rows) < 0.02,
            "source_type": rnd.choice(np.array(["bluray", "web", ""]), rows, p=[0.6, 0.38, 0.02]),
            "video_codec": np.where(uhd | (rnd.random(rows) < 0.2), "x265", "x264"),
            "bit_depth": np.where(uhd, 10, 8).astype(np.int32),
            "audio_channels": rnd.choice(np.array([2.0, 5.1, 7.1]), rows, p=[0.5, 0.45, 0.05]),
            "size_bytes": size,
            "seeds": rnd.choice(np.array([0, 1, 2, 4, 8, 15, 40, 80, 150, 900, 1000]), rows).astype(
                np.int32
            ),
            "peers": rnd.integers(0, 300, rows).astype(np.int32),
            "uploaded_at": uploaded,
            "is_repack": rnd.random(rows) < 0.05,
            "runtime_min": rnd.integers(70, 200, rows).astype(np.int32),
        }
    )
    return frame.with_columns(
        pl.when(pl.col("source_type") == "")
        .then(None)
        .otherwise(pl.col("source_type"))
        .alias("source_type"),
        pl.when(pl.int_range(pl.len()) % 50 == 0)
        .then(None)
        .otherwise(pl.col("runtime_min"))
        .alias("runtime_min"),
        pl.col("uploaded_at").cast(pl.Datetime("us")),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--python-rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print one JSON line instead")
    args = parser.parse_args(argv)

    sources = synthetic_sources(args.rows, args.seed)
    score_sources(sources.head(1000).lazy(), AS_OF).collect()  # warm-up (lazy imports)

    start, cpu = time.perf_counter(), time.process_time()
    scored = score_sources(sources.lazy(), AS_OF).collect()
    polars_s, polars_cpu = time.perf_counter() - start, time.process_time() - cpu

    subset_rows = min(args.python_rows, args.rows)
    subset = sources.head(subset_rows).to_dicts()
    start, cpu = time.perf_counter(), time.process_time()
    score_sources_python(subset, AS_OF)
    python_subset_s, python_cpu = time.perf_counter() - start, time.process_time() - cpu
    python_s = python_subset_s * args.rows / subset_rows

    figures = {
        "rows": args.rows,
        "polars_seconds": round(polars_s, 3),
        "polars_rows_per_s": round(args.rows / polars_s),
        "polars_cpu_seconds": round(polars_cpu, 3),
        "python_rows_timed": subset_rows,
        "python_seconds_timed": round(python_subset_s, 3),
        "python_seconds_extrapolated": round(python_s, 3),
        "python_cpu_seconds_timed": round(python_cpu, 3),
        "python_rows_per_s": round(subset_rows / python_subset_s),
        "speedup": round(python_s / polars_s, 1),
        "playable_web_share": round(1 - scored["score_web"].null_count() / args.rows, 3),
    }
    if args.json:
        print(json.dumps(figures))
        return 0
    print(f"scoring {args.rows:,} sources ({args.rows // 4:,} movies max), 2 profiles")
    print(
        f"  polars (lazy, collect):  {polars_s:8.3f} s  {args.rows / polars_s:12,.0f} rows/s"
        f"  (CPU {polars_cpu:.3f} s over {pl.thread_pool_size()} threads)"
    )
    print(
        f"  plain Python:            {python_s:8.3f} s  {subset_rows / python_subset_s:12,.0f} "
        f"rows/s  (timed on {subset_rows:,} rows = {python_subset_s:.3f} s, "
        f"extrapolated linearly to {args.rows:,})"
    )
    print(f"  polars is {python_s / polars_s:.1f}x faster (aim: 1M rows <= 2 s, >= 20x)")
    print(f"  (wall clock; on a shared machine compare CPU too: python {python_cpu:.3f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
