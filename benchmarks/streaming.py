"""Streaming benchmark on loopback swarms: the engine (deadlines), the same engine with
``sequential_download`` only (naive baseline), and peerflix from npm, side by side.

Two swarms, each with its own table and the engine/peerflix ratios:

* **single seeder**: one libtorrent seeder whose upload is limited (``--rate``, bytes/s) so
  that seeks land on data that is not there yet (``--pieces-kib``);
* **swarm**: 8 seeders with mixed caps (``--swarm-rates``, 0.5-4 MB/s), the fastest of
  which stalls (connected, sending nothing) halfway through the seeks and stays stalled
  through the throughput and RSS phases (``--swarm-pieces-kib``, 1 and 4 MiB pieces).

Measures, per piece size: cold time to first byte (torrent not in the session; median of
``--cold-runs`` fresh streamer processes), time to first byte after seeking to random
offsets in 5-45 % of the file (median and p90 of ``--seeks``; with
``--seek-play-seconds`` each seek follows that long a sequential read, as a player's seek
bar does, of at most ``--seek-play-mb``, otherwise a 256 KiB read), throughput of one reader
from 60 % of the file (read ahead around the seeks is not counted) measured two ways: from
the request to the last byte (the first byte's wait included) and sustained from the first
byte to the last, and the streamer's RSS while 5 readers stream at once.

    .venv/bin/python benchmarks/streaming.py [--size-mb 200] [--rate 4000000]
    (cd benchmarks/peer && npm ci)   # for the peerflix column; skipped when absent

Results go to stdout (tables) and benchmarks/out/streaming.json. For A/B runs of the
engine in one sitting, JSON in the environment overrides its settings:
``BENCH_ENGINE_SETTINGS`` (``core.settings`` fields), ``BENCH_PLANNER`` (``PlannerConfig``
fields, e.g. ``{"steady_deadlines": false}`` for the design before session 17) and
``BENCH_LT_SETTINGS`` (libtorrent session settings); ``BENCH_PARKING=0`` parks no stalled
peer. ``BENCH_TRACE=<file>`` writes a trace of the engine (its peers and plan every 100 ms,
every block it requested and received, the benchmark's seeks) for
``benchmarks/seek_trace.py``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import psutil  # noqa: E402

OUT = REPO / "benchmarks" / "out"
PEERFLIX = REPO / "benchmarks" / "peer" / "node_modules" / "peerflix" / "app.js"
SECRET = "benchmark-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- the engine as a child process -----------------------------------------------------


BENCH_EMAIL, BENCH_USER = "bench@miauflix.local", "1"


def child_engine(config: dict[str, Any]) -> None:
    """Run an engine + HTTP server; print READY <port>; stop on SIGTERM."""
    from core.settings import load_settings
    from engine.server import EngineServer, build_engine

    settings = load_settings(
        data_dir=config["data_dir"],
        secret_key=SECRET,
        engine_bt_port=_free_port(),
        engine_peers=config["peers"],
        engine_disk_quota_mb=0,
        engine_utp=False,
        **config.get("engine", {}),
    )
    # The engine checks every stream key's user against app.sqlite: give it the bench user.
    from serve.appdb import AppDB

    appdb = AppDB(settings.app_db_path)
    appdb.migrate()
    if appdb.user_by_email(BENCH_EMAIL) is None:
        created = appdb.create_user(BENCH_EMAIL, "!", "user")
        assert str(created.id) == BENCH_USER, "the bench user must be the first user"
    if config.get("planner"):  # A/B runs: PlannerConfig fields (BENCH_PLANNER, JSON)
        import functools

        import engine.service as service
        from engine.pieces import PlannerConfig

        service.PlannerConfig = functools.partial(PlannerConfig, **config["planner"])  # type: ignore[misc,assignment]
    engine, signer = build_engine(settings, naive=config["naive"], listen_host="127.0.0.1")
    engine.start()
    if not config.get("parking", True):  # A/B runs: BENCH_PARKING=0 parks no stalled peer
        engine._parking.review = lambda *args: []  # type: ignore[method-assign]
    if config.get("lt"):  # A/B runs: libtorrent session settings (BENCH_LT_SETTINGS, JSON)
        engine._session.apply_settings(config["lt"])  # type: ignore[union-attr]
    server = EngineServer(engine, signer, "127.0.0.1", 0).start()
    done = threading.Event()
    if config.get("trace"):  # diagnosis: the engine's peers every 100 ms (BENCH_TRACE=file)
        tracer = threading.Thread(target=_trace_peers, args=(engine, config["trace"], done))
        tracer.daemon = True
        tracer.start()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    print(f"READY {server.port}", flush=True)
    done.wait()
    server.stop()
    engine.close()


def _trace_peers(engine: Any, path: str, done: threading.Event) -> None:
    import logging

    logging.basicConfig(filename=path, level=logging.INFO, format="%(created).3f %(message)s")
    import engine.lt as elt

    blocks = open(path + ".blocks", "a")  # noqa: SIM115
    event_of = elt._event_of

    def traced(alert: Any) -> Any:  # every block requested and received, with its peer
        if isinstance(alert, (elt._lt.block_downloading_alert, elt._lt.block_finished_alert)):
            kind = "REQ" if isinstance(alert, elt._lt.block_downloading_alert) else "GOT"
            blocks.write(f"{time.time():.3f} {kind} {alert.ip[0]} {alert.piece_index} "
                         f"{alert.block_index}\n")  # fmt: skip
        return event_of(alert)

    elt._event_of = traced
    engine._session.apply_settings(
        {"alert_mask": int(elt._ALERT_MASK | elt._lt.alert_category.block_progress)}
    )
    with open(path, "a") as out:
        while not done.wait(0.1):
            try:
                _trace_once(engine, out, blocks)
            except Exception as exc:  # a diagnosis must not end quietly
                out.write(f"{time.time():.3f} TRACE-ERROR {type(exc).__name__}: {exc}\n")


def _trace_once(engine: Any, out: Any, blocks: Any) -> None:
    """One sample: the engine's readers and wanted pieces, and every torrent's peers."""
    blocks.flush()
    for torrent in list(engine._torrents.values()):  # readers, wanted pieces
        planned = [i for i, v in enumerate(torrent._planned or []) if v > 0]
        out.write(f"{time.time():.3f} PLAN {dict(torrent.planner.cursors)} "
                  f"deadlined={sorted(torrent.planner.deadlined)} "
                  f"wanted={len(planned)} max={max(planned, default=-1)} "
                  f"inflight={sorted(torrent.planner.in_flight)}\n")  # fmt: skip
    for info_hash, handle in list(engine._handles.items()):
        if handle.is_valid():
            peers = [[p.ip, p.down_rate // 1000, p.queued, int(p.snubbed)]
                     for p in handle.peers()]  # fmt: skip
            out.write(f"{time.time():.3f} PEERS {info_hash[:6]} {json.dumps(peers)}\n")
    out.flush()


@dataclass
class Streamer:
    name: str
    process: subprocess.Popen[bytes]
    base_url: str
    path: str  # request path of the film
    started: float
    ready: float

    @property
    def host_port(self) -> tuple[str, int]:
        host, port = self.base_url.removeprefix("http://").split(":")
        return host, int(port)

    def rss(self) -> int:
        try:
            proc = psutil.Process(self.process.pid)
            return int(proc.memory_info().rss) + sum(
                int(c.memory_info().rss) for c in proc.children(recursive=True)
            )
        except psutil.NoSuchProcess:
            return 0

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


def start_engine(naive: bool, data_dir: Path, peers: list[str], key_for: Any) -> Streamer:
    config = {"data_dir": str(data_dir), "naive": naive, "peers": peers,
              "engine": json.loads(os.environ.get("BENCH_ENGINE_SETTINGS", "{}")),
              "planner": json.loads(os.environ.get("BENCH_PLANNER", "{}")),
              "lt": json.loads(os.environ.get("BENCH_LT_SETTINGS", "{}")),
              "parking": os.environ.get("BENCH_PARKING", "1") != "0",
              "trace": os.environ.get("BENCH_TRACE", "")}  # fmt: skip
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, __file__, "--child-engine", json.dumps(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=REPO,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().decode()
    if not line.startswith("READY"):
        proc.kill()
        raise RuntimeError(f"engine child did not start: {line!r}")
    port = int(line.split()[1])
    return Streamer(
        "naive" if naive else "engine",
        proc,
        f"http://127.0.0.1:{port}",
        f"/stream/{key_for()}",
        started,
        time.perf_counter(),
    )


def start_peerflix(torrent_file: Path, peers: list[str], work: Path) -> Streamer:
    port = _free_port()
    started = time.perf_counter()
    dial = [arg for peer in peers for arg in ("-e", peer)]
    proc = subprocess.Popen(
        ["node", str(PEERFLIX), str(torrent_file), "-q", "-p", str(port), "-h", "127.0.0.1",
         *dial, "-f", str(work), "-c", "20"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=work,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("HEAD", "/")
            conn.getresponse().read()
            conn.close()
            break
        except OSError:
            time.sleep(0.02)
    return Streamer("peerflix", proc, f"http://127.0.0.1:{port}", "/", started, time.perf_counter())


# --- measurements ------------------------------------------------------------------------


def ttfb(
    streamer: Streamer,
    offset: int,
    read: int = 64 * 1024,
    timeout: float = 120,
    play_seconds: float = 0.0,
    play_bytes: int = 0,
) -> float:
    """Seconds from sending ``GET Range: bytes=offset-`` to its first body byte; then
    ``read`` bytes more, or as many as arrive in ``play_seconds`` (a player playing on
    until the next seek) when that is set, up to ``play_bytes`` (a player's forward
    buffer: bytes already on disk must not carry the reader through the whole file; 0: no
    cap); it returns after ``play_seconds`` either way."""
    host, port = streamer.host_port
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        t0 = time.perf_counter()
        conn.request("GET", streamer.path, headers={"Range": f"bytes={offset}-"})
        response = conn.getresponse()
        if response.status not in (200, 206):
            raise RuntimeError(f"{streamer.name}: status {response.status}")
        response.read(1)
        first = time.perf_counter() - t0
        if play_seconds > 0:
            until = time.perf_counter() + play_seconds
            left = play_bytes or 1 << 62
            while left > 0 and time.perf_counter() < until:
                chunk = response.read(min(64 * 1024, left))
                if not chunk:
                    break
                left -= len(chunk)
            # a full buffer pauses the reads, not the playing: the next seek still comes
            # ``play_seconds`` after this one
            time.sleep(max(until - time.perf_counter(), 0.0))
        else:
            response.read(read)
        return first
    finally:
        conn.close()


def throughput(streamer: Streamer, offset: int, length: int) -> tuple[float, float]:
    """Bytes/s of one ranged read, two ways: from sending the request to the last byte
    (the first byte's wait included), and sustained from the first body byte to the last
    (the wait for the first byte is what the cold and seek TTFB columns measure)."""
    host, port = streamer.host_port
    conn = http.client.HTTPConnection(host, port, timeout=300)
    try:
        t0 = time.perf_counter()
        conn.request(
            "GET", streamer.path, headers={"Range": f"bytes={offset}-{offset + length - 1}"}
        )
        response = conn.getresponse()
        got = len(response.read(1))
        t_first = time.perf_counter()
        while True:
            chunk = response.read(1 << 20)
            if not chunk:
                break
            got += len(chunk)
        t_end = time.perf_counter()
        return got / (t_end - t0), max(got - 1, 0) / max(t_end - t_first, 1e-9)
    finally:
        conn.close()


def rss_with_streams(streamer: Streamer, size: int, streams: int, seconds: float) -> int:
    stop = threading.Event()
    host, port = streamer.host_port

    def read(offset: int) -> None:
        conn = http.client.HTTPConnection(host, port, timeout=60)
        try:
            conn.request("GET", streamer.path, headers={"Range": f"bytes={offset}-"})
            response = conn.getresponse()
            while not stop.is_set() and response.read(256 * 1024):
                pass
        except OSError:
            pass
        finally:
            conn.close()

    threads = [
        threading.Thread(target=read, args=(int(size * (i + 0.5) / streams),), daemon=True)
        for i in range(streams)
    ]
    for thread in threads:
        thread.start()
    peak = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        peak = max(peak, streamer.rss())
        time.sleep(0.2)
    stop.set()
    for thread in threads:
        thread.join(10)
    return peak


@dataclass
class Result:
    streamer: str
    piece_kib: int
    cold_ttfb_s: list[float] = field(default_factory=list)
    cold_from_spawn_s: list[float] = field(default_factory=list)
    seek_ttfb_s: list[float] = field(default_factory=list)
    throughput_mb_s: float = 0.0  # request to last byte
    sustained_mb_s: float = 0.0  # first byte to last byte
    rss_5_streams_mb: float = 0.0
    parked_peers: int | None = None  # the engine's, after the throughput read

    def summary(self) -> dict[str, Any]:
        def med(xs: list[float]) -> float | None:
            return round(statistics.median(xs) * 1000, 1) if xs else None

        return {
            "streamer": self.streamer,
            "piece_kib": self.piece_kib,
            "cold_ttfb_ms_median": med(self.cold_ttfb_s),
            "cold_from_process_start_ms_median": med(self.cold_from_spawn_s),
            "seek_ttfb_ms_median": med(self.seek_ttfb_s),
            "seek_ttfb_ms_p90": round(
                sorted(self.seek_ttfb_s)[int(len(self.seek_ttfb_s) * 0.9)] * 1000, 1
            )
            if self.seek_ttfb_s
            else None,
            "seeks": len(self.seek_ttfb_s),
            "seek_ttfb_ms_each": [round(x * 1000, 1) for x in self.seek_ttfb_s],  # in order
            "cold_runs": len(self.cold_ttfb_s),
            "throughput_mb_s": round(self.throughput_mb_s / 1e6, 2),
            "sustained_after_first_byte_mb_s": round(self.sustained_mb_s / 1e6, 2),
            "rss_5_streams_mb": round(self.rss_5_streams_mb / 1e6, 1),
            "parked_peers": self.parked_peers,
        }


def engine_parked_peers(streamer: Streamer, status_key: str) -> int | None:
    """Stalled peers the engine has parked now (its status route)."""
    conn = http.client.HTTPConnection(*streamer.host_port, timeout=10)
    try:
        conn.request("GET", "/api/engine/status",
                     headers={"Authorization": f"Bearer {status_key}"})  # fmt: skip
        return int(json.loads(conn.getresponse().read())["transfer"]["parked_peers"])
    except (OSError, KeyError, ValueError):
        return None
    finally:
        conn.close()


def run_streamer(
    kind: str, args: argparse.Namespace, ctx: dict[str, Any], piece_kib: int
) -> Result:
    result = Result(kind, piece_kib)
    size = ctx["size"]
    rng = random.Random(args.seed)
    # seeks land in the first half, the throughput range is read from 60 %: what a streamer
    # fetched around a seek (its read-ahead, peerflix's whole-file download) is not measured
    offsets = [int(size * rng.uniform(0.05, 0.45)) for _ in range(args.seeks)]
    for run in range(-1, args.cold_runs):  # run -1 warms the seeder up, not counted
        work = Path(tempfile.mkdtemp(prefix=f"bench-{kind}-"))
        try:
            if kind == "peerflix":
                streamer = start_peerflix(ctx["torrent_file"], ctx["peers"], work)
            else:
                shutil.copy(ctx["catalog"], work / "catalog.sqlite")
                streamer = start_engine(kind == "naive", work, ctx["peers"], ctx["key_for"])
            try:
                first = ttfb(streamer, 0)
                if run < 0:
                    continue
                result.cold_ttfb_s.append(first)
                result.cold_from_spawn_s.append(time.perf_counter() - streamer.started)
                if run < args.cold_runs - 1:
                    continue
                _trace_mark(f"RUN {kind} {piece_kib}")
                for n, offset in enumerate(offsets):
                    if n == len(offsets) // 2:
                        ctx["stall"]()  # the swarm's fastest seeder stops sending
                        _trace_mark("STALL")
                    _trace_mark(f"SEEK {n} {offset // ctx['piece_bytes']} {ctx['piece_bytes']}")
                    result.seek_ttfb_s.append(
                        ttfb(
                            streamer,
                            offset,
                            read=256 * 1024,
                            play_seconds=args.seek_play_seconds,
                            play_bytes=args.seek_play_mb << 20,
                        )
                    )
                    _trace_mark(f"FIRST {n} {result.seek_ttfb_s[-1] * 1000:.0f}")
                result.throughput_mb_s, result.sustained_mb_s = throughput(
                    streamer,
                    int(size * 0.6),
                    min(args.throughput_mb << 20, size // 3),
                )
                if kind != "peerflix" and "status_key" in ctx:
                    result.parked_peers = engine_parked_peers(streamer, ctx["status_key"]())
                result.rss_5_streams_mb = rss_with_streams(streamer, size, 5, args.rss_seconds)
            finally:
                streamer.stop()
                ctx["unstall"]()
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return result


def _trace_mark(what: str) -> None:
    if path := os.environ.get("BENCH_TRACE"):
        with open(path, "a") as out:
            out.write(f"{time.time():.3f} {what}\n")


SUSTAINED = "sustained_after_first_byte_mb_s"
AIMS = {"seek_vs_peerflix": 0.5, "throughput_vs_cap": 0.95}
HIT_MS = 50  # a seek answered sooner found its piece on disk (an earlier band, a download)


def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}x" if a is not None and b else "-"


def print_table(title: str, rows: list[dict[str, Any]], cap: float) -> None:
    """One swarm's table: every streamer per piece size, then engine/peerflix ratios."""
    print(f"\n{title}: {cap / 1e6:.1f} MB/s")
    print("  throughput: 'req' = first request to last byte (the first byte's wait included);"
          " 'sust' = sustained, first byte to last byte")  # fmt: skip
    print(f"  {'streamer':<9} {'pieces':>7} {'cold':>7} {'seek med':>9} {'seek p90':>9} "
          f"{'req MB/s':>9} {'x cap':>6} {'sust MB/s':>10} {'x cap':>6} {'RSS MB':>7}")  # fmt: skip
    for row in rows:
        sustained = row[SUSTAINED]
        print(
            f"  {row['streamer']:<9} {row['piece_kib']:>5}Ki {row['cold_ttfb_ms_median']!s:>7} "
            f"{row['seek_ttfb_ms_median']!s:>9} {row['seek_ttfb_ms_p90']!s:>9} "
            f"{row['throughput_mb_s']:>9} {row['throughput_mb_s'] * 1e6 / cap:>6.2f} "
            f"{sustained:>10} {sustained * 1e6 / cap:>6.2f} {row['rss_5_streams_mb']:>7}"
        )
    for piece_kib in sorted({r["piece_kib"] for r in rows}):
        by = {r["streamer"]: r for r in rows if r["piece_kib"] == piece_kib}
        engine, peer = by.get("engine"), by.get("peerflix")
        if engine is None or peer is None:
            continue
        seek = [engine[k] / peer[k] if peer[k] else None
                for k in ("seek_ttfb_ms_median", "seek_ttfb_ms_p90")]  # fmt: skip
        verdict = (
            "ok" if all(x is not None and x <= AIMS["seek_vs_peerflix"] for x in seek) else "MISSED"
        )
        print(
            f"  engine/peerflix, {piece_kib} KiB: cold "
            f"{_ratio(engine['cold_ttfb_ms_median'], peer['cold_ttfb_ms_median'])}, seek median "
            f"{_ratio(engine['seek_ttfb_ms_median'], peer['seek_ttfb_ms_median'])} / p90 "
            f"{_ratio(engine['seek_ttfb_ms_p90'], peer['seek_ttfb_ms_p90'])} "
            f"(aim <= {AIMS['seek_vs_peerflix']}x: {verdict}), throughput from request "
            f"{_ratio(engine['throughput_mb_s'], peer['throughput_mb_s'])} / sustained after "
            f"first byte {_ratio(engine[SUSTAINED], peer[SUSTAINED])}, RSS "
            f"{_ratio(engine['rss_5_streams_mb'], peer['rss_5_streams_mb'])}"
        )
        waited = {name: [x for x in row["seek_ttfb_ms_each"] if x > HIT_MS]
                  for name, row in (("engine", engine), ("peerflix", peer))}  # fmt: skip
        medians = {
            name: round(statistics.median(xs), 1) if xs else None for name, xs in waited.items()
        }
        print(f"    seeks that waited for the swarm (over {HIT_MS} ms; the others found their "
              f"piece fetched): engine {len(waited['engine'])}, median {medians['engine']} ms; "
              f"peerflix {len(waited['peerflix'])}, median {medians['peerflix']} ms; "
              f"{_ratio(medians['engine'], medians['peerflix'])}")  # fmt: skip
        bound_ms = piece_kib * 1024 / cap * 1000
        print(f"    one {piece_kib} KiB piece at the full {cap / 1e6:.1f} MB/s takes "
              f"{bound_ms:.0f} ms: the floor of any seek that must verify a piece")  # fmt: skip


def run_swarm(
    args: argparse.Namespace,
    film: Path,
    rates: list[int],
    pieces_kib: list[int],
    kinds: list[str],
    stall_index: int | None,
) -> list[dict[str, Any]]:
    """Seed ``film`` from one seeder per rate; run every streamer for every piece size."""
    from core.crypto import FieldCipher
    from core.stream_keys import PURPOSE_STATUS, StreamKeySigner
    from sandbox.swarm import Seeder, make_torrent
    from sandbox.tracker import Tracker
    from tests.engine.conftest import CatalogSource, FileServer, write_catalog

    tracker = Tracker().start()
    # each seeder on its own loopback address, as peers of a real swarm have their own
    seeders = [Seeder(host=f"127.0.0.{10 + n}", upload_rate_limit=rate).start()
               for n, rate in enumerate(rates)]  # fmt: skip
    master = SECRET.encode()
    signer = StreamKeySigner(master, 3600)
    results: list[dict[str, Any]] = []

    def stall() -> None:
        if stall_index is not None:
            seeders[stall_index].set_upload_rate_limit(1)  # connected, sends nothing

    def unstall() -> None:
        if stall_index is not None:
            seeders[stall_index].set_upload_rate_limit(rates[stall_index])

    _trace_mark("CAPS " + " ".join(f"{s.host}={r}" for s, r in zip(seeders, rates, strict=True)))
    try:
        for piece_kib in pieces_kib:
            torrent = make_torrent(
                film, trackers=[tracker.announce_url], piece_size=piece_kib * 1024
            )
            for seeder in seeders:
                seeder.seed(torrent)
            files = FileServer({"/film.torrent": torrent.torrent})
            work = Path(tempfile.mkdtemp(prefix="bench-ctx-"))
            catalog = work / "catalog.sqlite"
            source = CatalogSource("bench", 1, torrent, torrent.info_hash,
                                   torrent_url=f"{files.url}/film.torrent",
                                   magnet=torrent.magnet([tracker.announce_url]))  # fmt: skip
            write_catalog(catalog, FieldCipher(master), [source])
            torrent_file = work / "film.torrent"
            torrent_file.write_bytes(torrent.torrent)
            ctx = {
                "size": torrent.size,
                "piece_bytes": piece_kib * 1024,
                "catalog": catalog,
                "torrent_file": torrent_file,
                "peers": [seeder.endpoint for seeder in seeders],
                "key_for": lambda: signer.issue(BENCH_USER, "bench")[0],
                "status_key": lambda: signer.issue("admin", "*", purpose=PURPOSE_STATUS)[0],
                "stall": stall,
                "unstall": unstall,
            }
            for kind in kinds:
                print(f"  {kind}, {len(seeders)} seeder(s), {piece_kib} KiB pieces ...", flush=True)
                summary = run_streamer(kind, args, ctx, piece_kib).summary()
                print("   ", summary, flush=True)
                results.append(summary)
            files.stop()
            shutil.rmtree(work, ignore_errors=True)
    finally:
        for seeder in seeders:
            seeder.stop()
        tracker.stop()
    return results


def _ints(text: str) -> list[int]:
    return [int(float(x)) for x in text.split(",") if x.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--rate", type=int, default=4_000_000, help="seeder upload limit, bytes/s")
    parser.add_argument("--pieces-kib", default="256,4096", help="single seeder: piece sizes")
    parser.add_argument("--swarm-rates", default="4e6,3e6,2e6,1.5e6,1e6,1e6,0.5e6,0.5e6",
                        help="swarm: a seeder per cap, bytes/s (empty: none)")  # fmt: skip
    parser.add_argument("--swarm-pieces-kib", default="1024,4096", help="swarm: piece sizes")
    parser.add_argument("--swarm-streamers", default="engine,peerflix")
    parser.add_argument("--cold-runs", type=int, default=5)
    parser.add_argument("--seeks", type=int, default=24)
    parser.add_argument("--seek-play-seconds", type=float, default=0.0,
                        help="after each seek, read on this long (a player playing until "
                        "the next seek); 0: 256 KiB")  # fmt: skip
    parser.add_argument("--seek-play-mb", type=int, default=16,
                        help="at most this many MiB read after each seek (a player's forward "
                        "buffer; 0: no cap)")  # fmt: skip
    parser.add_argument("--throughput-mb", type=int, default=32)
    parser.add_argument("--rss-seconds", type=float, default=8.0)
    parser.add_argument("--streamers", default="engine,naive,peerflix")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--child-engine", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_engine:
        child_engine(json.loads(args.child_engine))
        return
    if trace := os.environ.get("BENCH_TRACE"):  # one run per trace
        for each in (trace, trace + ".blocks"):
            Path(each).write_text("")

    from sandbox.demo_media import render_large

    OUT.mkdir(parents=True, exist_ok=True)
    print(f"rendering a {args.size_mb} MB video (cached in {OUT / 'media'}) ...", flush=True)
    film = render_large(OUT / "media", megabytes=args.size_mb)
    have_peerflix = PEERFLIX.exists() and shutil.which("node") is not None
    if not have_peerflix:
        print("peerflix not installed (cd benchmarks/peer && npm ci): skipping it", flush=True)

    def streamers(text: str) -> list[str]:
        return [k for k in text.split(",") if k and (k != "peerflix" or have_peerflix)]

    single = run_swarm(args, film, [args.rate], _ints(args.pieces_kib),
                       streamers(args.streamers), None)  # fmt: skip
    rates = _ints(args.swarm_rates)
    swarm: list[dict[str, Any]] = []
    if rates:
        swarm = run_swarm(args, film, rates, _ints(args.swarm_pieces_kib),
                          streamers(args.swarm_streamers), rates.index(max(rates)))  # fmt: skip
    report = {
        "file_bytes": film.stat().st_size,
        "seeder_rate_bytes_s": args.rate,
        "swarm_rates_bytes_s": rates,
        "swarm_stalled_seeder_rate": max(rates) if rates else None,
        "cpu_count": os.cpu_count(),
        "load_average": os.getloadavg(),
        "results": single,
        "swarm_results": swarm,
    }
    (OUT / "streaming.json").write_text(json.dumps(report, indent=2))
    print_table("Single seeder", single, args.rate)
    if swarm:
        print_table(f"Swarm of {len(rates)} seeders, the {max(rates) / 1e6:.1f} MB/s one stalls "
                    "halfway through the seeks; caps of the others", swarm,
                    sum(rates) - max(rates))  # fmt: skip
    print(f"load average at the end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
