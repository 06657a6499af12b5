"""The demo's deployment runner (``python -m miauflix.deployments``) on a real Prefect server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from flows.deployments import build_deployments
from miauflix.childguard import descendants
from miauflix.processes import GUARD_GRACE, Supervisor, free_port

ROOT = Path(__file__).resolve().parents[2]


def _wait_until(check: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():  # type: ignore[operator]
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{what} not within {timeout}s")


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return False
    return stat[stat.rindex(b")") + 2 :].split()[0] != b"Z"


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


@pytest.mark.slow
def test_runner_and_its_flow_runs_stop_promptly_once_the_prefect_server_is_gone(
    tmp_path: Path,
) -> None:
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MIAUFLIX_", "PREFECT_"))}
    env.update(
        PREFECT_HOME=str(tmp_path / "prefect"),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_API_URL=api,
        MIAUFLIX_DATA_DIR=str(tmp_path / "data"),
        # nothing listens here: the flow run keeps retrying its upstream requests
        MIAUFLIX_TMDB_URL=f"http://127.0.0.1:{free_port()}/tmdb",
        PYTHONPATH=str(ROOT),
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
         "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    sup = Supervisor()
    try:
        _wait_until(lambda: httpx.get(f"{api}/health").status_code == 200, 240, "server up")
        runner = sup.start("deployment runner", [sys.executable, "-m", "miauflix.deployments"], env)
        expected = {deployment.name for deployment in build_deployments()}
        _wait_until(
            lambda: (
                {d["name"] for d in httpx.post(f"{api}/deployments/filter", json={}).json()}
                >= expected
            ),
            180,
            "deployments registered",
        )
        deployments = httpx.post(f"{api}/deployments/filter", json={}).json()
        full = next(d for d in deployments if d["name"] == "full")
        created: dict[str, str] = {}

        def create_run() -> bool:  # a busy server may refuse once (its SQLite is locked)
            answer = httpx.post(f"{api}/deployments/{full['id']}/create_flow_run", json={})
            if answer.status_code == 201:
                created.update(answer.json())
            return answer.status_code == 201

        _wait_until(create_run, 60, "flow run created")
        run = created
        _wait_until(
            lambda: httpx.get(f"{api}/flow_runs/{run['id']}").json()["state_type"] == "RUNNING",
            180,
            "flow run running",
        )
        tree = descendants(runner.pid)  # the runner and its flow-run process (own session)
        assert len(tree) >= 2
        _stop(server)
        os.kill(runner.pid, signal.SIGTERM)  # what the kernel sends when the demo dies
        # The guard's grace is 8 s; the runner alone took more than 18 s before.
        assert runner.wait(timeout=GUARD_GRACE + 4) is not None
        assert [pid for pid in tree if _alive(pid)] == []
    finally:
        _stop(server)
        sup.stop_all()
