"""Two ``miauflix worker`` processes on a real Prefect server backed by PostgreSQL.

Everything is real and on loopback: Debian's PostgreSQL in a temporary cluster, ``prefect
server start`` on it, the fake TMDB/YTS/EZTV/Trakt over HTTP, two workers sharing one data
directory. Pinned: concurrent deployments all complete, their warehouse work serialised by
the global concurrency limit (Prefect's own acquired/released events); a worker and its
flow run SIGKILLed mid-run (nothing left to report) are marked Crashed by the heartbeat
automation, the slot comes back, a rerun on the surviving worker completes, and the
catalog keeps serving the previous publish throughout and ends as a clean run leaves it;
a worker stopped with SIGTERM mid-run has its run report Crashed at once and give the slot
back.
"""

from __future__ import annotations

import glob
import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from core.catalog.contract import connect_readonly
from core.crypto import Keyring
from core.settings import load_settings
from flows.warehouse_slot import WAREHOUSE_LIMIT
from miauflix.childguard import descendants
from miauflix.processes import GUARD_GRACE, free_port
from sandbox.catalogue import SyntheticCatalogue
from sandbox.fake_upstream import start_fake_upstream

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
MOVIES = 40  # a small synthetic catalogue: every run takes seconds, not minutes
HEARTBEAT, CRASH_AFTER = 30, 40  # Prefect's minimum heartbeat; the worker's smallest window
SLOT_PHASES = ("acquired", "released")
TERMINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}
T = TypeVar("T")


def _wait_for(check: Callable[[], T | None], timeout: float, what: str) -> T:
    """Poll ``check`` until it returns something truthy (returned), or fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            found = check()
        except (httpx.HTTPError, OSError):
            found = None
        if found:
            return found
        time.sleep(0.25)
    raise AssertionError(f"{what}: not within {timeout:.0f} s")


def _stop_group(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, sig)
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        except ProcessLookupError:
            pass


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MIAUFLIX_", "PREFECT_"))}
    env.update(PYTHONPATH=str(ROOT), PREFECT_SERVER_ANALYTICS_ENABLED="false")
    return env


@pytest.fixture
def postgres() -> Iterator[str]:
    """A throwaway PostgreSQL cluster on a free loopback port; yields the asyncpg URL."""
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
    assert bins, "PostgreSQL is missing: run scripts/setup.sh (Debian package postgresql)"
    bin_dir = Path(bins[-1]).parent
    root = Path(tempfile.mkdtemp(prefix="miauflix-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb and postgres refuse to run as root
        shutil.chown(root, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = root / "data", free_port()
    subprocess.run(
        [*as_user, str(bin_dir / "initdb"), "-D", str(data), "-U", "prefect", "--auth=trust",
         "-E", "UTF8"],
        check=True, capture_output=True,
    )  # fmt: skip
    server = subprocess.Popen(
        [*as_user, str(bin_dir / "postgres"), "-D", str(data), "-p", str(port),
         "-k", str(root), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        createdb = [str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "prefect"]
        _wait_for(
            lambda: subprocess.run([*createdb, "prefect"], capture_output=True).returncode == 0,
            30,
            "PostgreSQL accepting connections",
        )
        yield f"postgresql+asyncpg://prefect@127.0.0.1:{port}/prefect"
    finally:
        _stop_group(server, signal.SIGINT)  # fast shutdown
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def prefect_api(postgres: str, tmp_path: Path) -> Iterator[str]:
    """``prefect server start`` on the PostgreSQL cluster; yields its API URL."""
    port = free_port()
    env = _clean_env()
    env.update(
        PREFECT_HOME=str(tmp_path / "prefect-server"),
        PREFECT_API_DATABASE_CONNECTION_URL=postgres,
        PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED="false",  # only the runs the test starts
        PREFECT_SERVER_SERVICES_REPOSSESSOR_LOOP_SECONDS="5",
    )
    log = (tmp_path / "prefect-server.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
         "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    api = f"http://127.0.0.1:{port}/api"
    try:
        _wait_for(lambda: httpx.get(f"{api}/health", timeout=2).status_code == 200, 180, "server")
        yield api
    finally:
        _stop_group(server)
        log.close()


@dataclass
class Cluster:
    api: str
    data_dir: Path
    workers: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def get(self, path: str) -> Any:
        answer = httpx.get(f"{self.api}{path}", timeout=10)
        answer.raise_for_status()
        return answer.json()

    def post(self, path: str, body: dict[str, Any]) -> Any:
        answer = httpx.post(f"{self.api}{path}", json=body, timeout=10)
        answer.raise_for_status()
        return answer.json()

    def start_run(self, deployment: str) -> str:
        found = self.get(f"/deployments/name/miauflix-sync/{deployment}")
        return str(self.post(f"/deployments/{found['id']}/create_flow_run", {})["id"])

    def run(self, run_id: str) -> dict[str, Any]:
        return dict(self.get(f"/flow_runs/{run_id}"))

    def wait_done(self, run_id: str, timeout: float) -> dict[str, Any]:
        return _wait_for(
            lambda: r if (r := self.run(run_id))["state_type"] in TERMINAL else None,
            timeout,
            run_id,
        )

    def slots_in_use(self) -> int:
        return int(self.get(f"/v2/concurrency_limits/{WAREHOUSE_LIMIT}")["active_slots"])

    def slot_events(self, since: datetime) -> list[dict[str, Any]]:
        body = {
            "filter": {
                "event": {
                    "name": [f"prefect.concurrency-limit.{p}" for p in ("acquired", "released")]
                },
                "resource": {"labels": {"prefect.resource.name": [WAREHOUSE_LIMIT]}},
                "occurred": {"since": since.isoformat()},
            },
            "limit": 50,
        }
        return list(self.post("/events/filter", body)["events"])


def _flow_run_pid(worker: subprocess.Popen[bytes], run_id: str) -> int | None:
    """The process below ``worker`` executing flow run ``run_id`` (from its environment)."""
    marker = f"PREFECT__FLOW_RUN_ID={run_id}".encode()
    for pid in descendants(worker.pid):
        try:
            if marker in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0"):
                return pid
        except OSError:
            continue
    return None


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return False
    return stat[stat.rindex(b")") + 2 :].split()[0] != b"Z"


def _catalog_state(path: Path) -> tuple[str, dict[str, Any]]:
    con = connect_readonly(path)
    try:
        row = con.execute("SELECT run_id, counts FROM catalog_version").fetchone()
    finally:
        con.close()
    return str(row["run_id"]), dict(json.loads(row["counts"]))


class CatalogWatch(threading.Thread):
    """Reads the serving catalog every 0.2 s, as the API does (``mode=ro``); records the
    version seen at each read and every read that failed."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.path = path
        self.seen: list[str] = []
        self.failures: list[str] = []
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.2):
            try:
                self.seen.append(_catalog_state(self.path)[0])
            except Exception as exc:  # CatalogUnavailable, sqlite3.Error...: a reader broke
                self.failures.append(repr(exc))


def _slot_spans(events: list[dict[str, Any]], runs: list[str]) -> dict[str, list[datetime]]:
    """Flow run id -> [acquired, released] times of each of ``runs``, from the limit's
    events; empty until every run has both."""
    held: dict[str, list[datetime]] = {run: [] for run in runs}
    for event in sorted(events, key=lambda e: e["occurred"]):
        for related in event["related"]:
            run = related["prefect.resource.id"].removeprefix("prefect.flow-run.")
            if run in held:
                held[run].append(datetime.fromisoformat(event["occurred"]))
    return held if all(len(times) == 2 for times in held.values()) else {}


def _running_interval(cluster: Cluster, run_id: str) -> tuple[datetime, datetime]:
    run = cluster.run(run_id)
    return datetime.fromisoformat(run["start_time"]), datetime.fromisoformat(run["end_time"])


@pytest.fixture
def cluster(prefect_api: str, tmp_path: Path) -> Iterator[Cluster]:
    """Two workers on one data directory, talking HTTP to the fake upstreams."""
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o700)
    Keyring.load(load_settings(data_dir=data_dir).key_path)  # as the first start does
    with start_fake_upstream(SyntheticCatalogue(MOVIES, seed=11)) as upstream:
        base = upstream.base_url
        made = Cluster(prefect_api, data_dir)
        try:
            for name in ("a", "b"):
                env = _clean_env()
                env.update(
                    PREFECT_API_URL=prefect_api,
                    PREFECT_HOME=str(tmp_path / f"prefect-{name}"),
                    PREFECT_RUNNER_POLL_FREQUENCY="1",
                    MIAUFLIX_DATA_DIR=str(data_dir),
                    MIAUFLIX_TMDB_URL=f"{base}/tmdb",
                    MIAUFLIX_YTS_URLS=f"{base}/yts",
                    MIAUFLIX_EZTV_URLS=f"{base}/eztv",
                    MIAUFLIX_TRAKT_URL=f"{base}/trakt",
                )
                log = (tmp_path / f"worker-{name}.log").open("wb")
                made.workers[name] = subprocess.Popen(
                    [sys.executable, "-m", "miauflix.cli", "worker", "--heartbeat",
                     str(HEARTBEAT), "--crash-after", str(CRASH_AFTER)],
                    env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                    cwd=tmp_path,  # module entrypoints: any working directory will do
                )  # fmt: skip
                log.close()
            _wait_for(
                lambda: len(made.post("/deployments/filter", {})) >= 7,
                120,
                "the workers registering the deployments",
            )
            yield made
        finally:
            for proc in made.workers.values():
                _stop_group(proc)


@pytest.mark.timeout(900)  # about 6 minutes on a loaded 2-core machine; Prefect's floors
def test_two_workers_serialise_warehouse_writes_and_recover_from_a_killed_worker(
    cluster: Cluster,
) -> None:
    catalog = cluster.data_dir / "catalog.sqlite"

    # A clean run on an empty warehouse: the reference catalog.
    clean = cluster.wait_done(cluster.start_run("full"), 150)
    assert clean["state_type"] == "COMPLETED", clean["state"]
    reference_run, reference_counts = _catalog_state(catalog)
    assert reference_counts["movies"] > 0

    # Lists, movies and sources at once, on two workers: all complete, in turn.
    since = datetime.now(UTC) - timedelta(seconds=1)
    runs = [cluster.start_run(name) for name in ("lists", "movies", "sources")]
    done = [cluster.wait_done(run, 180) for run in runs]
    assert [r["state_type"] for r in done] == ["COMPLETED"] * 3, [r["state"] for r in done]
    held = _wait_for(
        lambda: (found := _slot_spans(cluster.slot_events(since), runs)) and found,
        30,
        "an acquired and a released event of the warehouse limit per run",
    )
    spans = sorted(held.values())
    assert all(earlier[1] <= later[0] for earlier, later in itertools.pairwise(spans)), spans
    running = sorted(_running_interval(cluster, run) for run in runs)
    assert any(a[1] > b[0] for a, b in itertools.pairwise(running)), (
        "two runs were never RUNNING at once: the limit had nothing to serialise"
    )

    # A worker and its flow run SIGKILLed mid-run: the run is marked Crashed by heartbeat.
    before = _catalog_state(catalog)[0]
    watch = CatalogWatch(catalog)
    watch.start()
    victim_run = cluster.start_run("full")
    _wait_for(
        lambda: cluster.run(victim_run)["state_type"] == "RUNNING" and cluster.slots_in_use() == 1,
        120,
        "the run holding the warehouse slot",
    )
    owner, flow_pid = _wait_for(
        lambda: next(
            ((name, pid) for name, proc in cluster.workers.items()
             if (pid := _flow_run_pid(proc, victim_run)) is not None),
            None,
        ),
        30,
        "the flow-run process of the victim run",
    )  # fmt: skip
    # As when the machine or container dies: SIGKILL for the worker and every process
    # below it at once, so nothing can report the run; the heartbeat automation must.
    for pid in descendants(cluster.workers[owner].pid):
        os.kill(pid, signal.SIGKILL)
    cluster.workers[owner].kill()
    cluster.workers[owner].wait()
    _wait_for(lambda: not _alive(flow_pid), GUARD_GRACE + 10, "the orphaned flow run to die")
    crashed = cluster.wait_done(victim_run, CRASH_AFTER + 60)
    assert crashed["state_type"] == "CRASHED", crashed["state"]
    assert "heartbeat" in (crashed["state"]["message"] or "")

    # The slot comes back (lease expiry), a rerun on the surviving worker completes.
    rerun = cluster.wait_done(cluster.start_run("full"), 200)
    assert rerun["state_type"] == "COMPLETED", rerun["state"]
    watch.done.set()
    watch.join()
    assert not watch.failures, watch.failures[:3]
    # The previous catalog served throughout; the rerun's (if it published) only at the end.
    seen = watch.seen
    assert seen and seen[0] == before
    switched = next((i for i, run in enumerate(seen) if run != before), len(seen))
    assert set(seen[switched:]) <= {rerun["id"]}, set(seen)
    # Nothing lost: the catalog is the one a clean run publishes.
    final_run, final_counts = _catalog_state(catalog)
    assert final_run in {before, rerun["id"]}
    assert final_counts == reference_counts
    assert reference_run != victim_run
    assert cluster.slots_in_use() == 0
    survivor = next(proc for name, proc in cluster.workers.items() if name != owner)
    assert survivor.poll() is None

    # The surviving worker stopped as `docker stop` does (SIGTERM to the worker) mid-run:
    # its flow run is told to stop, ends at once as Crashed by the engine itself (not by
    # the heartbeat automation) and gives the warehouse slot back; the catalog is intact.
    published = _catalog_state(catalog)
    stopped_run = cluster.start_run("full")
    _wait_for(
        lambda: cluster.run(stopped_run)["state_type"] == "RUNNING" and cluster.slots_in_use() == 1,
        120,
        "the run holding the warehouse slot",
    )
    flow_pid = _wait_for(
        lambda: _flow_run_pid(survivor, stopped_run), 30, "the flow run under the survivor"
    )
    survivor.send_signal(signal.SIGTERM)
    assert survivor.wait(timeout=GUARD_GRACE + 20) is not None
    assert not _alive(flow_pid)
    ended = cluster.wait_done(stopped_run, 20)  # well inside the heartbeat window
    assert ended["state_type"] in {"CRASHED", "CANCELLED"}, ended["state"]
    assert "heartbeat" not in (ended["state"]["message"] or ""), ended["state"]
    _wait_for(lambda: cluster.slots_in_use() == 0 or None, 30, "the slot given back")
    assert _catalog_state(catalog) == published
