"""A flow that writes the warehouse waits for the warehouse slot (the async path: scrape).

Real Prefect API (the session's temporary server) with the production limit name created
for the test, real DuckDB, the sandbox's HTTP tracker on loopback. The sync path
(``sync_flow``) is pinned on PostgreSQL with two workers in
``tests/miauflix/test_worker_postgres.py``.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from prefect import get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate

from core.settings import Settings
from flows.warehouse_slot import WAREHOUSE_LIMIT, warehouse_slot
from sandbox.tracker import Tracker
from tests.flows.scrape_helpers import hash_of, join_swarm
from tests.flows.test_scrape import publish, rows


@pytest.fixture
def warehouse_limit(prefect_harness: None) -> Iterator[str]:
    with get_client(sync_client=True) as client:
        client.create_global_concurrency_limit(
            GlobalConcurrencyLimitCreate(name=WAREHOUSE_LIMIT, limit=1)
        )
    yield WAREHOUSE_LIMIT
    with get_client(sync_client=True) as client:
        client.delete_global_concurrency_limit_by_name(WAREHOUSE_LIMIT)


@pytest.mark.slow
def test_the_scrape_flow_waits_for_the_warehouse_slot_held_elsewhere(
    settings: Settings, warehouse_limit: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.scrape import scrape_flow

    with Tracker() as http:
        publish(settings, [hash_of(4)])
        join_swarm(http.registry, hash_of(4), seeders=2, leechers=0)
        monkeypatch.setenv("MIAUFLIX_DATA_DIR", str(settings.data_dir))
        monkeypatch.setenv("MIAUFLIX_SECRET_KEY", settings.secret_key.get_secret_value())
        monkeypatch.setenv("MIAUFLIX_SCRAPE_TRACKERS", http.announce_url)
        result: dict[str, Any] = {}
        started = threading.Event()

        def run() -> None:
            started.set()
            result.update(asyncio.run(scrape_flow()))

        with warehouse_slot(warehouse_limit):  # another writer holds the warehouse
            flow_thread = threading.Thread(target=run)
            flow_thread.start()
            assert started.wait(30)
            # Nothing to poll for "still waiting": give the flow a window to (wrongly) write.
            time.sleep(3.0)
            assert not result
            assert rows(settings, "SELECT count(*) FROM information_schema.tables "
                        "WHERE table_name = 'raw_source_stats'") == [(0,)]  # fmt: skip
        flow_thread.join(120)
        assert not flow_thread.is_alive()
    assert (result["published"], result["scraped"]) == (1, 1)
    with get_client(sync_client=True) as client:
        assert client.read_global_concurrency_limit_by_name(warehouse_limit).active_slots == 0
