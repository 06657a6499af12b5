"""API benchmark: the real app under gunicorn vs a bare Flask JSON endpoint, same config.

Builds a catalog of ``--movies`` movies (the sample catalogue published for real, then
replicated with new ids), starts gunicorn (``serve.wsgi.gunicorn_options``: gthread,
``--workers`` x ``--threads``) on loopback, logs in once, and drives ``--clients``
closed-loop clients (threads with keep-alive ``http.client`` connections, in this process)
for ``--seconds`` per scenario:

* ``GET /api/movies/<id>`` (authenticated, random ids),
* ``GET /api/movies?list=popular&page=<1..5>`` (authenticated),
* ``GET /bare`` on a bare Flask app returning a small JSON object.

Rate limiting stays on (memory storage) with a ceiling high enough never to trigger; the
session check runs on every request. Catalogue answers come from the per-worker response
cache once warm (``serve/response_cache.py``): with uniform random ids over a catalog
larger than the cache, the movie scenario is a mix of hits and misses. The gunicorn
access log is off in both servers unless ``--access-log``. Each row also shows the box's
CPU use during the scenario (% of all cores) and the part used by other processes (not
this benchmark, its clients or the two servers): the box is shared.

    .venv/bin/python benchmarks/api.py [--movies 10000] [--clients 32] [--seconds 10]
        [--workers 2] [--threads 8] [--access-log]

Prints a table and writes benchmarks/out/api.json.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
OUT = REPO / "benchmarks" / "out"
SECRET = "benchmark-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
PASSWORD = "benchmark admin passphrase"


def build_catalog(path: Path, movies: int) -> list[int]:
    """Publish the sample catalogue, then replicate its first movie to ``movies`` rows."""
    from core.crypto import FieldCipher
    from tests.helpers.catalog import publish_sample

    publish_sample(path, field_cipher=FieldCipher(SECRET.encode()))
    con = sqlite3.connect(path)
    try:
        base = int(con.execute("SELECT tmdb_id FROM movies ORDER BY tmdb_id LIMIT 1").fetchone()[0])
        existing = [int(r[0]) for r in con.execute("SELECT tmdb_id FROM movies")]
        con.execute("BEGIN")
        tables = ["movies", "movie_genres", "translations", "images", "sources"]
        columns = {t: [r[1] for r in con.execute(f"PRAGMA table_info({t})")] for t in tables}
        next_id = 10_000_000
        for n in range(movies - len(existing)):
            new_id = next_id + n
            for table in tables:
                cols = columns[table]
                select = ", ".join(
                    "?" if c == "tmdb_id" else (f"source_id || '{n}'" if c == "source_id" else c)
                    for c in cols
                )
                con.execute(
                    f"INSERT INTO {table} ({', '.join(cols)}) SELECT {select} FROM {table}"
                    " WHERE tmdb_id = ?",
                    (new_id, base),
                )
            con.execute(
                "INSERT INTO list_members (list_name, position, tmdb_id) VALUES ('popular', ?, ?)",
                (1000 + n, new_id),
            )
        con.execute("COMMIT")
        con.execute("ANALYZE")
        ids = [int(r[0]) for r in con.execute("SELECT tmdb_id FROM movies")]
    finally:
        con.close()
    return ids


def bare_app() -> Any:
    from flask import Flask, jsonify

    app = Flask("bare")

    @app.get("/bare")
    def bare() -> Any:
        return jsonify({"status": "ok", "tmdb_id": 550, "title": "Fight Club"})

    return app


def serve(
    kind: str, port: int, data_dir: str, workers: int, threads: int, access_log: bool
) -> None:
    """Run gunicorn in this process (the child side of the benchmark)."""
    from core.settings import load_settings
    from serve.app import create_app
    from serve.wsgi import _Gunicorn, gunicorn_options

    settings = load_settings(
        data_dir=data_dir,
        secret_key=SECRET,
        admin_email="admin@bench.test",
        admin_password=PASSWORD,
        rate_limit_catalog="100000000/minute",
        rate_limit_login="1000/minute",
    )
    app = create_app(settings) if kind == "real" else bare_app()
    options = gunicorn_options(settings, "127.0.0.1", port, workers, threads, access_log=access_log)
    options.update(loglevel="warning")
    _Gunicorn(app, options).run()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"gunicorn on port {port} did not start")


def _login(port: int) -> str:
    con = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    body = json.dumps({"email": "admin@bench.test", "password": PASSWORD})
    con.request("POST", "/api/auth/login", body, {"Content-Type": "application/json"})
    response = con.getresponse()
    data = json.loads(response.read())
    con.close()
    return str(data["access_token"])


def load(port: int, paths: Any, headers: dict[str, str], clients: int, seconds: float) -> dict:
    """Closed-loop clients for ``seconds``; returns rps, p50, p99 (ms), errors."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    stop = time.monotonic() + seconds
    barrier = threading.Barrier(clients)

    def worker(index: int) -> None:
        rng = random.Random(index)
        con = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        barrier.wait()
        while time.monotonic() < stop:
            path = paths(rng)
            started = time.perf_counter()
            try:
                con.request("GET", path, headers=headers)
                response = con.getresponse()
                response.read()
                if response.status != 200:
                    errors[index] += 1
            except (OSError, http.client.HTTPException):
                errors[index] += 1
                con.close()
                con = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            latencies[index].append((time.perf_counter() - started) * 1000)
        con.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    flat = sorted(x for per in latencies for x in per)
    return {
        "requests": len(flat),
        "rps": round(len(flat) / elapsed, 1),
        "p50_ms": round(statistics.median(flat), 2) if flat else None,
        "p99_ms": round(flat[int(len(flat) * 0.99) - 1], 2) if flat else None,
        "errors": sum(errors),
    }


def _start(
    kind: str, data_dir: str, workers: int, threads: int, access_log: bool
) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    args = [sys.executable, __file__, "--serve", kind, "--port", str(port), "--data-dir",
            data_dir, "--workers", str(workers), "--threads", str(threads)]  # fmt: skip
    if access_log:
        args.append("--access-log")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIAUFLIX_")}
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL)
    _wait(port)
    return proc, port


def _cpu(server_pids: list[int]) -> tuple[float, float, float]:
    """(monotonic time, busy CPU seconds of the whole box, CPU seconds of this benchmark:
    its own process and both gunicorn trees)."""
    import psutil

    times = psutil.cpu_times()
    busy = sum(times) - times.idle - getattr(times, "iowait", 0.0)
    procs = [psutil.Process()]
    for pid in server_pids:
        try:
            parent = psutil.Process(pid)
            procs += [parent, *parent.children(recursive=True)]
        except psutil.NoSuchProcess:
            continue
    ours = 0.0
    for proc in procs:
        try:
            cpu = proc.cpu_times()
            ours += cpu.user + cpu.system
        except psutil.NoSuchProcess:
            continue
    return time.monotonic(), busy, ours


def _cpu_share(before: tuple[float, float, float], after: tuple[float, float, float]) -> dict:
    """Box CPU use during a scenario, in % of all cores: total, and by other processes."""
    capacity = (after[0] - before[0]) * (os.cpu_count() or 1)
    busy, ours = after[1] - before[1], after[2] - before[2]
    return {
        "cpu_busy_pct": round(100 * busy / capacity, 1),
        "cpu_other_pct": round(100 * max(0.0, busy - ours) / capacity, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--movies", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument(
        "--access-log",
        action="store_true",
        help="keep gunicorn's access log on (to /dev/null) in both servers",
    )
    parser.add_argument("--serve", choices=["real", "bare"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port, args.data_dir, args.workers, args.threads, args.access_log)
        return

    data_dir = tempfile.mkdtemp(prefix="miauflix-bench-")
    results: dict[str, Any] = {"config": vars(args) | {"cpus": os.cpu_count()}}
    try:
        ids = build_catalog(Path(data_dir) / "catalog.sqlite", args.movies)
        real, real_port = _start("real", data_dir, args.workers, args.threads, args.access_log)
        bare, bare_port = _start("bare", data_dir, args.workers, args.threads, args.access_log)
        try:
            auth = {"Authorization": f"Bearer {_login(real_port)}"}
            scenarios = {
                "bare": (bare_port, lambda r: "/bare", {}),
                "movie": (real_port, lambda r: f"/api/movies/{r.choice(ids)}", auth),
                "list": (
                    real_port,
                    lambda r: f"/api/movies?list=popular&page={r.randint(1, 5)}",
                    auth,
                ),
            }
            for name, (port, paths, headers) in scenarios.items():
                load(port, paths, headers, args.clients, 1.0)  # warm-up
                before = _cpu([real.pid, bare.pid])
                results[name] = load(port, paths, headers, args.clients, args.seconds)
                results[name].update(_cpu_share(before, _cpu([real.pid, bare.pid])))
        finally:
            for proc in (real, bare):
                proc.terminate()
                proc.wait(timeout=20)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    bare_rps = results["bare"]["rps"] or 1
    print(f"{'scenario':<8} {'rps':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'vs bare':>8}"
          f" {'cpu busy %':>10} {'other %':>8}")  # fmt: skip
    for name in ("bare", "movie", "list"):
        row = results[name]
        row["ratio_vs_bare"] = round(row["rps"] / bare_rps, 3)
        print(f"{name:<8} {row['rps']:>8} {row['p50_ms']:>8} {row['p99_ms']:>8} "
              f"{row['errors']:>7} {row['ratio_vs_bare']:>8} "
              f"{row['cpu_busy_pct']:>10} {row['cpu_other_pct']:>8}")  # fmt: skip
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "api.json").write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
