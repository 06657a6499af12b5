"""Throughput of one fake upstream worker (a subprocess) at 32 concurrent requests.

    .venv/bin/python benchmarks/fake_upstream.py [--movies 10000] [--http fast|h11]

Two clients: a light raw-asyncio HTTP/1.1 client (measures the server) and async httpx
sharded over 8 clients of 4 connections (what a real ingest sees; httpx's connection pool
costs ~1 ms of client CPU per request here, and ~3 ms with all 32 connections in one
client). Prints wall req/s and the server's CPU per request (from psutil).
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time
from collections.abc import Callable

import httpx
import psutil

from sandbox.catalogue import SyntheticCatalogue

CONCURRENCY = 32
PORT = 8797
BASE = f"http://127.0.0.1:{PORT}"


async def _raw(paths: list[str]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", PORT)
    for path in paths:
        writer.write(b"GET %s HTTP/1.1\r\nHost: bench\r\n\r\n" % path.encode())
        head = await reader.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(f"{path}: {head[:40]!r}")
        length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
        await reader.readexactly(length)
    writer.close()


async def _httpx(clients: list[httpx.AsyncClient], n: int, paths: list[str]) -> None:
    client = clients[n % len(clients)]
    for path in paths:
        (await client.get(path)).raise_for_status()


async def _run(kind: str, path_of: Callable[[int], str], total: int) -> None:
    per = total // CONCURRENCY
    batches = [[path_of(k * per + j) for j in range(per)] for k in range(CONCURRENCY)]
    if kind == "raw":
        await asyncio.gather(*(_raw(b) for b in batches))
        return
    limits = httpx.Limits(max_connections=CONCURRENCY // 8)
    clients = [httpx.AsyncClient(base_url=BASE, limits=limits) for _ in range(8)]
    try:
        await asyncio.gather(*(_httpx(clients, n, b) for n, b in enumerate(batches)))
    finally:
        for client in clients:
            await client.aclose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--movies", type=int, default=10_000)
    parser.add_argument("--http", choices=("fast", "h11"), default="fast")
    parser.add_argument("--requests", type=int, default=6400)
    args = parser.parse_args()
    command = [sys.executable, "-m", "sandbox.fake_upstream", "--movies", str(args.movies)]
    command += ["--port", str(PORT), "--http", args.http]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    try:
        for _ in range(600):
            try:
                httpx.get(f"{BASE}/tmdb/3/configuration")
                break
            except httpx.TransportError:
                time.sleep(0.05)
        proc = psutil.Process(server.pid)
        cat = SyntheticCatalogue(args.movies)
        ids = cat.tmdb_ids
        imdb = [i for i in map(cat.imdb_id_of, ids) if i]
        cases: dict[str, Callable[[int], str]] = {
            "details": lambda k: (
                f"/tmdb/3/movie/{ids[k % len(ids)]}"
                "?append_to_response=external_ids,images,translations&language=en"
            ),
            "yts by imdb": lambda k: (
                f"/yts/api/v2/list_movies.json?query_term={imdb[k % len(imdb)]}&limit=20"
            ),
            "configuration": lambda k: "/tmdb/3/configuration",
        }
        print(f"fake upstream, {args.movies} movies, http={args.http}, {CONCURRENCY} concurrent")
        for kind in ("raw", "httpx"):
            for label, path_of in cases.items():
                cpu0, t0 = sum(proc.cpu_times()[:2]), time.perf_counter()
                asyncio.run(_run(kind, path_of, args.requests))
                wall, cpu = time.perf_counter() - t0, sum(proc.cpu_times()[:2]) - cpu0
                print(
                    f"  {kind:5s} {label:14s} {args.requests / wall:6.0f} req/s   "
                    f"server {cpu * 1e6 / args.requests:4.0f} us CPU/request"
                )
    finally:
        server.terminate()
        server.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
