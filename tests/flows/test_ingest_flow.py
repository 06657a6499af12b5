"""The real ``@flow``: ingest_flow on a temporary Prefect API against the fake upstream."""

from __future__ import annotations

import asyncio
import json
import threading

import pytest
from pydantic import SecretStr

from core.settings import Settings
from flows.ingest import IngestSummary, _run_coroutine, ingest_flow
from sandbox.catalogue import SyntheticCatalogue
from sandbox.fake_upstream import UpstreamConfig, start_fake_upstream
from warehouse.db import open_warehouse

KEY = "0123456789abcdef0123456789abcdef"


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_harness")
def test_ingest_flow_runs_batches_as_prefect_tasks(settings: Settings) -> None:
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
    from prefect.client.schemas.sorting import TaskRunSort

    catalogue = SyntheticCatalogue(30, seed=5)
    with start_fake_upstream(UpstreamConfig(catalogue=catalogue)) as upstream:
        cfg = settings.model_copy(
            update={
                "tmdb_url": upstream.tmdb_url,
                "yts_urls": upstream.yts_urls,
                "eztv_urls": upstream.eztv_urls,
                "tmdb_rate_limit": 1000.0,
                "yts_rate_limit": 1000.0,
                "eztv_rate_limit": 1000.0,
                "tmdb_api_key": SecretStr(KEY),
            }
        )
        state = ingest_flow(cfg, "run-prefect", return_state=True)
    assert state.is_completed()
    flow_run_id = state.state_details.flow_run_id
    assert flow_run_id is not None
    summary = state.result()
    assert isinstance(summary, IngestSummary)
    assert summary.failed == 0 and summary.movies == 30 + len(catalogue.missing_ids)
    assert summary.tables["raw_tmdb_movies"].landed == summary.movies

    with open_warehouse(cfg, read_only=True) as con:
        runs = con.execute("SELECT DISTINCT run_id FROM raw_tmdb_movies").fetchall()
    assert runs == [("run-prefect",)]

    with get_client(sync_client=True) as client:
        task_runs = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])),
            sort=TaskRunSort.EXPECTED_START_TIME_ASC,
            limit=200,  # explicit: this server version rejects a null limit
        )
    names = {run.name for run in task_runs}
    assert {"tmdb-configuration", "tmdb-genres", "tmdb-list-popular", "tmdb-movies-0000"} <= names
    assert any(name.startswith("yts-") for name in names)
    # The TV part runs in the same flow, batched the same way.
    tv = {"tmdb-tv-genres", "tmdb-tv-list-popular", "tmdb-shows-0000", "tmdb-seasons-0000"}
    assert tv | {"eztv-0000"} <= names
    assert summary.tv["shows"] == len(catalogue.tv_ids)
    assert all(run.state is not None and run.state.is_completed() for run in task_runs)
    # Flow parameters are stored by the Prefect API: the key must not be among them.
    with get_client(sync_client=True) as client:
        flow_run = client.read_flow_run(flow_run_id)
    stored = json.dumps(flow_run.parameters, default=str)
    assert "tmdb_api_key" in stored and KEY not in stored


def test_flow_body_also_runs_when_an_event_loop_is_already_running() -> None:
    async def inner() -> str:
        return threading.current_thread().name

    async def outer() -> str:
        return _run_coroutine(inner)

    assert asyncio.run(outer()).startswith("miauflix-ingest")
    assert _run_coroutine(inner) == threading.current_thread().name
