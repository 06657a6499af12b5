"""The roof injects the sandbox's loopback transport into the flows; the runner's flow-run
processes get it through the deployments' entrypoint."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prefect.deployments.runner import RunnerDeployment

from core.settings import Settings
from flows.clients import mount_transport, mounted_transports, open_clients, unmount_transport
from sandbox.loopback_transport import FastHTTPTransport

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def restore_mounts() -> Iterator[None]:
    before = mounted_transports()
    yield
    for pattern in mounted_transports():
        unmount_transport(pattern)
    for pattern, factory in before.items():
        mount_transport(pattern, factory)


def test_loopback_plain_http_goes_through_the_sandbox_transport(
    settings: Settings, restore_mounts: None
) -> None:
    from miauflix.loopback import LOOPBACK_ORIGINS, install_loopback_transport

    install_loopback_transport()
    mounts = mounted_transports()
    assert set(LOOPBACK_ORIGINS) <= set(mounts)
    assert not any(pattern.startswith("https://") for pattern in mounts)
    made = mounts["http://127.0.0.1"](httpx.Limits(max_connections=3))
    assert isinstance(made, FastHTTPTransport)

    async def transports() -> tuple[object, object]:
        cfg = settings.model_copy(update={"tmdb_url": "http://127.0.0.1:9/tmdb"})
        async with open_clients(cfg) as clients:
            pool = clients.tmdb._pools[0]
            return (
                pool._transport_for_url(httpx.URL(cfg.tmdb_url)),
                pool._transport_for_url(httpx.URL("https://api.themoviedb.org/3")),
            )

    loopback, real = asyncio.run(transports())
    assert isinstance(loopback, FastHTTPTransport)
    assert isinstance(real, httpx.AsyncHTTPTransport)


def test_runner_deployments_match_flows_and_point_at_the_roof(
    restore_mounts: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same names, schedules and parameters; only the entrypoint differs."""
    monkeypatch.chdir(REPO)
    from flows.audit_retention import audit_retention
    from flows.deployments import build_deployments
    from flows.pipeline import sync_flow
    from flows.scrape import scrape_flow
    from miauflix import deployments as roof

    plain = build_deployments()
    injected = build_deployments(entrypoint=roof.entrypoint_file())

    def shape(d: RunnerDeployment) -> tuple[object, ...]:
        every = [
            getattr(s.schedule, "interval", None) or getattr(s.schedule, "cron", None)
            for s in d.schedules or []
        ]
        return (d.name, d.flow_name, every, d.parameters, d.description, d.tags,
                d.concurrency_limit)  # fmt: skip

    assert [shape(d) for d in injected] == [shape(d) for d in plain]
    assert {d.entrypoint for d in plain} == {
        "flows/audit_retention.py:audit_retention",
        "flows/pipeline.py:sync_flow",
        "flows/scrape.py:scrape_flow",
        "flows/trakt.py:trakt_flow",
    }
    assert {d.entrypoint for d in injected} == {
        "miauflix/deployments.py:audit_retention",
        "miauflix/deployments.py:sync_flow",
        "miauflix/deployments.py:scrape_flow",
        "miauflix/deployments.py:trakt_flow",
    }
    assert roof.sync_flow is sync_flow and roof.audit_retention is audit_retention
    assert roof.scrape_flow is scrape_flow


def test_a_flow_run_process_that_loads_the_entrypoint_gets_the_mounts() -> None:
    """What `python -m prefect.engine` does with the entrypoint, in a fresh interpreter."""
    import subprocess
    import sys

    code = (
        "from prefect.flows import load_flow_from_entrypoint\n"
        "from flows.clients import mounted_transports\n"
        "flow = load_flow_from_entrypoint('miauflix/deployments.py:sync_flow')\n"
        "from flows.pipeline import sync_flow\n"
        "assert flow is sync_flow, flow\n"
        "print(sorted(mounted_transports()))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert "http://127.0.0.1" in out.stdout
