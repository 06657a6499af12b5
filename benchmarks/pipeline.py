"""Pipeline benchmark: full sync of N movies from the fake upstream, an unchanged resync,
publish alone, and scoring 1M sources in polars against plain Python (same run).

    .venv/bin/python benchmarks/pipeline.py [--movies 10000] [--shows N] [--skip-scoring]
    .venv/bin/python benchmarks/pipeline.py --tv     # 1,000 shows (~50,000 episodes), 10 movies

The fake catalogue has a tenth as many shows as movies unless ``--shows`` says otherwise,
and its changes feeds name no title (``--change-rate 0``), so the resync is unchanged;
every sync runs the TV part too (TMDB TV + EZTV). ``--tv`` also times release-name parsing
(fast path + cache, as the warehouse runs it) against plain guessit on the same names.

Each sync runs as its own `miauflix sync` process against one long-lived Prefect server
(started first and not counted, as in `miauflix demo`), so wall time and peak RSS are
the pipeline's own. The fake upstream runs in a separate process (the other core). The
client-side TMDB/YTS rate limits are raised for the sandbox: against the real TMDB the
default 40 requests/s bounds a 10k-movie sync to >= 250 s of detail fetches.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from miauflix.processes import Supervisor, free_port  # noqa: E402
from warehouse.db import connect_warehouse  # noqa: E402
from warehouse.encryption import warehouse_key  # noqa: E402

SECRET = "benchmark-secret-key-not-for-production-use-000000"
KEYS = [warehouse_key(SECRET.encode())]  # the syncs' warehouse key (MIAUFLIX_SECRET_KEY)

PY = sys.executable


CPU_SECONDS: dict[str, float] = {}  # CPU (user + system) of each timed child, by label


def _timed_child(argv: list[str], env: dict[str, str], label: str = "") -> tuple[float, float, int]:
    """Run a child to completion; return (seconds, peak RSS MiB, exit code). Its CPU
    seconds go to :data:`CPU_SECONDS` (less sensitive than wall time to other load)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    CPU_SECONDS[label] = usage.ru_utime + usage.ru_stime
    return seconds, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def _catalog_counts(data_dir: Path) -> dict[str, int]:
    import sqlite3

    con = sqlite3.connect(f"file:{data_dir / 'catalog.sqlite'}?mode=ro", uri=True)
    try:
        row = con.execute("SELECT counts FROM catalog_version").fetchone()
    finally:
        con.close()
    return dict(json.loads(row[0]))


def _raw_rows(data_dir: Path) -> int:
    with connect_warehouse(data_dir / "warehouse.duckdb", KEYS, read_only=True) as con:
        tables = [r[0] for r in con.execute("SHOW TABLES").fetchall() if r[0].startswith("raw_")]
        return sum(con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in tables)


def bench_publish(data_dir: Path, repeats: int = 3) -> float:
    """Median seconds of publishing the current marts again (catalog swap included)."""
    from core.crypto import FieldCipher, load_or_create_master_key
    from warehouse.publish import publish_catalog

    cipher = FieldCipher(load_or_create_master_key(data_dir / "secret.key"))
    times = []
    with connect_warehouse(data_dir / "warehouse.duckdb", KEYS) as con:
        for i in range(repeats):
            start = time.perf_counter()
            publish_catalog(con, data_dir / "catalog.sqlite", cipher, f"bench-{i}")
            times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def bench_analytics(data_dir: Path, repeats: int = 3) -> float:
    """Median seconds of writing the analysts' snapshot from the current marts (swap
    included; warehouse/analytics.py), the baseline being publish in the same run."""
    from core.crypto import FieldCipher, load_or_create_master_key
    from warehouse.analytics import write_snapshot

    cipher = FieldCipher(load_or_create_master_key(data_dir / "secret.key"))
    times = []
    with connect_warehouse(data_dir / "warehouse.duckdb", KEYS) as con:
        for _ in range(repeats):
            start = time.perf_counter()
            write_snapshot(con, data_dir, cipher)
            times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def bench_release_names(data_dir: Path, sample: int = 2_000) -> tuple[float, float, int]:
    """Seconds to parse ``sample`` landed EZTV names cold (fast path, guessit fallback, cache
    writes), and the same names through guessit alone (the baseline), same process."""
    import duckdb

    from warehouse.release_names import clean_title, guessit_parse, parse_names

    with connect_warehouse(data_dir / "warehouse.duckdb", KEYS, read_only=True) as con:
        names = [
            clean_title(str(r[0]))
            for r in con.execute(
                "SELECT DISTINCT release_name FROM stg_eztv__torrents ORDER BY 1 LIMIT ?",
                [sample],
            ).fetchall()
        ]
    scratch = duckdb.connect()
    start = time.perf_counter()
    parse_names(scratch, names)
    fast_s = time.perf_counter() - start
    start = time.perf_counter()
    for name in names:
        with contextlib.suppress(ValueError):  # Unparseable is a ValueError
            guessit_parse(name)
    return fast_s, time.perf_counter() - start, len(names)


def _aims(args: argparse.Namespace) -> tuple[float, float | None]:
    """(full sync seconds, peak RSS MiB) aims: issue 9 for ``--tv``, issue 11 at 50k+ movies
    (the sandbox maximum is 100,000), issue 2 otherwise (no memory aim)."""
    if args.tv:
        return 60.0, 1024.0
    if args.movies >= 50_000:
        return 300.0, 1536.0
    return 60.0, None


def _verdict(value: float, aim: float | None, unit: str) -> str:
    if aim is None:
        return ""
    return f"vs aim {aim:g} {unit}: {'met' if value <= aim else 'NOT met'}"


def _phases(data_dir: Path) -> list[dict[str, float]]:
    """Seconds per phase (ingest, transform, checks, publish) of each sync, oldest first,
    from the run history ``miauflix sync`` appends (core/last_sync.py)."""
    history = data_dir / "sync_history.jsonl"
    if not history.exists():
        return []
    runs = [json.loads(line) for line in history.read_text().splitlines() if line.strip()]
    return [dict(run.get("phases") or {}) for run in runs]


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min) / {five:.1f} (5 min) on {os.cpu_count()} cores"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--movies", type=int, default=10_000)
    parser.add_argument("--shows", type=int, default=None)
    parser.add_argument("--tv", action="store_true", help="1,000 shows and 10 movies")
    parser.add_argument("--skip-scoring", action="store_true")
    args = parser.parse_args()
    if args.tv:
        args.movies, args.shows = 10, args.shows or 1_000

    load_before = _load()
    work = Path(tempfile.mkdtemp(prefix="miauflix-bench-"))
    data_dir = work / "data"
    sup = Supervisor()
    up_port, prefect_port = free_port(), free_port()
    upstream = f"http://127.0.0.1:{up_port}"
    env = dict(os.environ)
    env.update(
        MIAUFLIX_DATA_DIR=str(data_dir),
        MIAUFLIX_TMDB_URL=f"{upstream}/tmdb",
        MIAUFLIX_YTS_URLS=f"{upstream}/yts",
        MIAUFLIX_EZTV_URLS=f"{upstream}/eztv",
        MIAUFLIX_EZTV_RATE_LIMIT="5000",
        MIAUFLIX_TRAKT_URL=f"{upstream}/trakt",
        MIAUFLIX_TMDB_RATE_LIMIT="5000",
        MIAUFLIX_YTS_RATE_LIMIT="5000",
        MIAUFLIX_HTTP_CONCURRENCY="64",
        MIAUFLIX_TMDB_LIST_PAGES="500",
        MIAUFLIX_SECRET_KEY=SECRET,
        PREFECT_HOME=str(work / "prefect"),
        PREFECT_API_URL=f"http://127.0.0.1:{prefect_port}/api",
        PREFECT_LOGGING_LEVEL="WARNING",
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
    )
    try:
        sup.start(
            "fake upstream",
            [PY, "-m", "sandbox.fake_upstream", "--port", str(up_port), "--movies",
             str(args.movies), *(["--shows", str(args.shows)] if args.shows else []),
             "--change-rate", "0"],  # the changes feeds name nothing: the resync is unchanged
            env,
        )  # fmt: skip
        sup.start(
            "prefect server",
            [PY, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port",
             str(prefect_port)],
            env,
        )  # fmt: skip
        sup.wait_http("fake upstream", f"{upstream}/tmdb/3/configuration", 60)
        sup.wait_http("prefect server", f"http://127.0.0.1:{prefect_port}/api/health", 180)

        sync = [PY, "-m", "miauflix.cli", "sync", "--quiet"]
        full_s, full_rss, code = _timed_child(sync, env, "full")
        if code != 0:
            print(f"full sync failed with exit code {code}")
            return 1
        raw_rows = _raw_rows(data_dir)
        counts = _catalog_counts(data_dir)
        again_s, again_rss, code = _timed_child(sync, env, "again")
        if code != 0:
            print(f"unchanged resync failed with exit code {code}")
            return 1
    finally:
        sup.stop_all()
    publish_s = bench_publish(data_dir)
    analytics_s = bench_analytics(data_dir)

    shows = f", {args.shows} shows" if args.shows else ""
    print(f"\n== pipeline benchmark: {args.movies} movies{shows}, 2-core loopback ==")
    aim_s, aim_mib = _aims(args)
    phases = _phases(data_dir)
    print(f"{load_before} before, {_load()} after")
    print(f"full sync           {full_s:7.1f} s   {_verdict(full_s, aim_s, 's')}")
    print(f"  CPU of the sync   {CPU_SECONDS['full']:7.1f} s   (user + system, sync process)")
    print(f"  peak RSS          {full_rss:7.0f} MiB {_verdict(full_rss, aim_mib, 'MiB')}")
    if phases:
        print("  phases            " + ", ".join(f"{k} {v:.1f} s" for k, v in phases[0].items()))
    print(f"  raw responses     {raw_rows:7d}     -> {raw_rows / full_s:8.0f} responses/s")
    print(f"  movies published  {counts.get('movies', 0):7d}     of {args.movies} in the fake")
    print(f"  catalog           {counts}")
    print(f"unchanged resync    {again_s:7.1f} s   {_verdict(again_s, 10, 's')}")
    print(f"  CPU of the sync   {CPU_SECONDS['again']:7.1f} s")
    print(f"  peak RSS          {again_rss:7.0f} MiB")
    print(f"publish (median 3)  {publish_s:7.2f} s   {_verdict(publish_s, 5, 's')}")
    print(
        f"analytics snapshot  {analytics_s:7.2f} s   {analytics_s / publish_s:5.2f}x publish "
        "(median 3, part of every sync that publishes)"
    )
    if args.tv:
        fast_s, guessit_s, names = bench_release_names(data_dir)
        print(
            f"release names       {names} names: fast path + cache {fast_s:.2f} s, "
            f"guessit alone {guessit_s:.2f} s -> {guessit_s / fast_s:.0f}x"
        )
    if not args.skip_scoring:
        subprocess.run([PY, str(REPO / "benchmarks" / "scoring.py")], check=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
