"""``miauflix worker``: its refusals, and what it makes sure the Prefect server has.

The refusals run the real command in a subprocess; the server-side set-up runs against
the session's temporary Prefect API. The whole worker on PostgreSQL with two instances is
``test_worker_postgres.py``.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prefect import get_client
from prefect.client.orchestration import SyncPrefectClient
from prefect.client.schemas.actions import GlobalConcurrencyLimitUpdate
from prefect.events.schemas.automations import Posture
from prefect.exceptions import ObjectNotFound

from miauflix.worker import (
    ZOMBIE_AUTOMATION,
    ensure_warehouse_limit,
    ensure_zombie_automation,
    zombie_automation,
)

ROOT = Path(__file__).resolve().parents[2]
LIMIT = "test-worker-warehouse"


def _worker(tmp_path: Path, *args: str, api: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MIAUFLIX_", "PREFECT_"))}
    env.update(
        PYTHONPATH=str(ROOT),
        MIAUFLIX_DATA_DIR=str(tmp_path / "data"),
        PREFECT_HOME=str(tmp_path / "prefect"),  # no profile with an API URL in it
    )
    if api is not None:
        env["PREFECT_API_URL"] = api
    return subprocess.run(
        [sys.executable, "-m", "miauflix.cli", "worker", *args],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_help_documents_the_worker_and_its_options(tmp_path: Path) -> None:
    done = _worker(tmp_path, "--help")
    assert done.returncode == 0
    for text in ("PREFECT_API_URL", "miauflix-warehouse", "--heartbeat", "--crash-after"):
        assert text in done.stdout


def test_without_prefect_api_url_the_worker_refuses_and_says_what_to_set(tmp_path: Path) -> None:
    done = _worker(tmp_path)
    assert done.returncode == 1
    assert "PREFECT_API_URL is not set" in done.stderr


def test_an_unreachable_prefect_api_is_named_in_the_refusal(tmp_path: Path) -> None:
    done = _worker(tmp_path, "--wait", "0", api="http://127.0.0.1:9/api")
    assert done.returncode == 1
    assert "http://127.0.0.1:9/api is not reachable" in done.stderr


def test_credentials_in_the_api_url_stay_out_of_the_refusal(tmp_path: Path) -> None:
    done = _worker(tmp_path, "--wait", "0", api="http://admin:hunter2@127.0.0.1:9/api")
    assert done.returncode == 1
    assert "http://***@127.0.0.1:9/api is not reachable" in done.stderr
    assert "hunter2" not in done.stderr + done.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--heartbeat", "29"], "at least 30"),
        (["--heartbeat", "0"], "at least 30"),
        (["--heartbeat", "-5"], "at least 30"),
        (["--heartbeat", "30", "--crash-after", "39"], "must exceed the heartbeat"),
        (["--crash-after", "nan"], "must exceed the heartbeat"),
        (["--crash-after", "inf"], "must exceed the heartbeat"),
        (["--wait", "nan"], "--wait must be between"),
        (["--wait", "-1"], "--wait must be between"),
        (["--heartbeat", "99999999999999999999"], "at least 30"),
    ],
)
def test_heartbeat_settings_that_would_crash_healthy_runs_are_refused(
    tmp_path: Path, args: list[str], message: str
) -> None:
    done = _worker(tmp_path, *args, api="http://127.0.0.1:9/api")
    assert done.returncode == 1
    assert message in done.stderr


@pytest.mark.parametrize("args", [["--heartbeat", "often"], ["--wait", "1e"], ["--bogus"]])
def test_malformed_options_are_usage_errors(tmp_path: Path, args: list[str]) -> None:
    done = _worker(tmp_path, *args)
    assert done.returncode == 2
    assert "usage: miauflix" in done.stderr and "error:" in done.stderr


@pytest.fixture
def client(prefect_harness: None) -> Iterator[SyncPrefectClient]:
    with get_client(sync_client=True) as made:
        yield made
        for automation in made.read_automations_by_name(ZOMBIE_AUTOMATION):
            made.delete_automation(automation.id)
        with contextlib.suppress(ObjectNotFound):  # not created by this test
            made.delete_global_concurrency_limit_by_name(LIMIT)


def test_the_warehouse_limit_is_created_once_with_one_slot(client: SyncPrefectClient) -> None:
    ensure_warehouse_limit(client, LIMIT)
    first = client.read_global_concurrency_limit_by_name(LIMIT)
    ensure_warehouse_limit(client, LIMIT)
    again = client.read_global_concurrency_limit_by_name(LIMIT)
    assert (first.id, first.limit, first.active) == (again.id, 1, True)


def test_a_widened_or_disabled_warehouse_limit_is_set_back_to_one_slot(
    client: SyncPrefectClient,
) -> None:
    ensure_warehouse_limit(client, LIMIT)
    client.update_global_concurrency_limit(
        LIMIT, GlobalConcurrencyLimitUpdate(limit=5, active=False)
    )
    ensure_warehouse_limit(client, LIMIT)
    fixed = client.read_global_concurrency_limit_by_name(LIMIT)
    assert (fixed.limit, fixed.active) == (1, True)


def test_the_zombie_automation_crashes_runs_whose_heartbeats_stop() -> None:
    made = zombie_automation(90)
    trigger = made.trigger
    assert trigger.posture == Posture.Proactive  # type: ignore[union-attr]
    assert trigger.after == {"prefect.flow-run.heartbeat"}  # type: ignore[union-attr]
    assert "prefect.flow-run.Completed" in trigger.expect  # type: ignore[union-attr]
    assert trigger.within.total_seconds() == 90  # type: ignore[union-attr]
    assert [a.model_dump()["state"] for a in made.actions] == ["CRASHED"]


def test_the_zombie_automation_is_created_once_and_follows_the_window(
    client: SyncPrefectClient,
) -> None:
    ensure_zombie_automation(client, 90)
    ensure_zombie_automation(client, 90)
    found = client.read_automations_by_name(ZOMBIE_AUTOMATION)
    assert len(found) == 1
    kept = found[0].id
    ensure_zombie_automation(client, 120)
    found = client.read_automations_by_name(ZOMBIE_AUTOMATION)
    assert [a.trigger.within.total_seconds() for a in found] == [120]  # type: ignore[union-attr]
    assert found[0].id != kept


def test_duplicate_zombie_automations_from_racing_workers_collapse_to_one(
    client: SyncPrefectClient,
) -> None:
    client.create_automation(zombie_automation(90))
    client.create_automation(zombie_automation(90))
    ensure_zombie_automation(client, 90)
    assert len(client.read_automations_by_name(ZOMBIE_AUTOMATION)) == 1


def _cadence(deployment: Any) -> list[object]:
    """Each schedule's interval or cron (anchor dates are "now" at every build)."""
    return [
        getattr(item.schedule, "interval", None) or getattr(item.schedule, "cron", None)
        for item in deployment.schedules
    ]


def test_the_worker_serves_the_same_schedules_by_module_path_from_any_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prefect.flows import load_flow_from_entrypoint

    from flows.deployments import build_deployments

    by_file = {d.name: d for d in build_deployments()}
    monkeypatch.chdir(tmp_path)  # a worker's working directory is not the source tree
    by_module = {d.name: d for d in build_deployments(module_entrypoints=True)}
    assert set(by_module) == set(by_file)
    for name, served in by_module.items():
        entrypoint = served.entrypoint or ""
        assert ":" not in entrypoint and entrypoint.startswith("flows.")
        assert _cadence(served) == _cadence(by_file[name])
        assert served.parameters == by_file[name].parameters
        assert load_flow_from_entrypoint(entrypoint).name == by_file[name].flow_name
