"""Fixtures shared by the flow tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from prefect import get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate


@pytest.fixture
def limit(prefect_harness: None, request: pytest.FixtureRequest) -> Iterator[str]:
    """A one-slot global concurrency limit under a test-only name (the real warehouse limit
    may exist in the session), created for the test and deleted after it."""
    name = f"test-{request.module.__name__.rsplit('.', 1)[-1]}"
    with get_client(sync_client=True) as client:
        client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=name, limit=1))
    yield name
    with get_client(sync_client=True) as client:
        client.delete_global_concurrency_limit_by_name(name)
