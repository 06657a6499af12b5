"""open_clients: credentials (Bearer vs api_key), key redaction end to end, pool sizing,
injected transport mounts."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

import httpx
import pytest
from pydantic import SecretStr

from core.settings import Settings
from flows.clients import (
    looks_like_v4_token,
    mount_transport,
    mounted_transports,
    open_clients,
    pool_sizes,
    tmdb_credentials,
    unmount_transport,
)
from flows.http import Fetched
from flows.retry import RetryPolicy
from tests.flows.fakes import FakeUpstream

T = TypeVar("T")
V3_KEY = "0123456789abcdef0123456789abcdef"
V4_TOKEN = "eyJhbGciOiJIUzI1NiJ9." + "a" * 120 + ".signature_part-XYZ"
DETAILS = "/3/movie/550"


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def test_v4_tokens_are_detected_and_v3_keys_are_not() -> None:
    assert looks_like_v4_token(V4_TOKEN)
    assert not looks_like_v4_token(V3_KEY)
    assert not looks_like_v4_token("eyJ" + "a" * 200)  # no dots: not a JWT
    assert not looks_like_v4_token(V4_TOKEN + "\nX-Injected: 1")
    assert tmdb_credentials("  ") == ({}, {})
    assert tmdb_credentials(V3_KEY) == ({}, {"api_key": V3_KEY})
    assert tmdb_credentials(V4_TOKEN) == ({"Authorization": f"Bearer {V4_TOKEN}"}, {})


def _with_key(settings: Settings, key: str) -> Settings:
    return settings.model_copy(update={"tmdb_api_key": SecretStr(key)})


async def _fetch_with(settings: Settings, transport: httpx.MockTransport) -> Fetched:
    policy = RetryPolicy(retries=1, base_delay=0.0)
    async with open_clients(settings, transport=transport, policy=policy) as clients:
        return await clients.tmdb.fetch(DETAILS, {"language": "en"}, entity_key="550")


def test_v4_token_travels_as_bearer_header_not_in_the_url(settings: Settings) -> None:
    fake = FakeUpstream([550])
    run(_fetch_with(_with_key(settings, V4_TOKEN), fake.transport()))
    request = fake.requests[0]
    assert request.headers["authorization"] == f"Bearer {V4_TOKEN}"
    assert "api_key" not in str(request.url)


def test_v3_key_never_leaks_into_results_errors_or_logs(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.params["api_key"] == V3_KEY
        # A hostile transport error that echoes the full URL back.
        raise httpx.ConnectError(f"cannot reach {request.url}")

    caplog.set_level(logging.DEBUG)
    result = run(_fetch_with(_with_key(settings, V3_KEY), httpx.MockTransport(handler)))
    assert not result.ok
    texts = [result.url, result.request_key, result.payload or "", str(result.error)]
    texts += [record.getMessage() for record in caplog.records]
    assert caplog.records, "the failure should have been logged"
    for text in texts:
        assert V3_KEY not in text


def test_httpx_request_log_lines_are_redacted(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="httpx")
    fake = FakeUpstream([550])
    result = run(_fetch_with(_with_key(settings, V3_KEY), fake.transport()))
    assert result.ok
    lines = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    assert lines and all(V3_KEY not in line for line in lines)
    assert any("/3/movie/550" in line for line in lines)


@pytest.mark.parametrize(
    ("concurrency", "expected"),
    [(1, [1]), (4, [4]), (5, [3, 2]), (16, [4, 4, 4, 4]), (17, [4, 4, 3, 3, 3])],
)
def test_connections_are_split_into_small_pools(concurrency: int, expected: list[int]) -> None:
    assert pool_sizes(concurrency) == expected
    assert sum(pool_sizes(concurrency)) == concurrency


def test_clients_follow_the_settings(settings: Settings) -> None:
    async def main() -> None:
        cfg = settings.model_copy(update={"http_concurrency": 8, "yts_rate_limit": 3.0})
        async with open_clients(cfg) as clients:
            assert clients.tmdb.base_urls == [cfg.tmdb_url]
            assert clients.yts.base_urls == cfg.yts_urls
            assert clients.yts.limiter.rate == 3.0
            assert clients.tmdb.limiter.rate == cfg.tmdb_rate_limit
            assert clients.tmdb.not_found_is_answer and not clients.yts.not_found_is_answer
            assert clients.tmdb.policy.retries == cfg.http_retries

    run(main())


@pytest.fixture
def no_process_mounts() -> Iterator[None]:
    """Tests that mount process-wide leave the process as they found it."""
    before = mounted_transports()
    yield
    for pattern in set(mounted_transports()) - set(before):
        unmount_transport(pattern)
    for pattern, factory in before.items():
        mount_transport(pattern, factory)


def _refuse(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"{request.url} reached the default transport")


def test_a_flow_process_uses_httpx_own_transport_unless_told_otherwise() -> None:
    """Importing the flows mounts nothing and loads nothing of the sandbox."""
    code = (
        "import sys, flows.pipeline, flows.deployments\n"
        "from flows.clients import mounted_transports\n"
        "assert mounted_transports() == {}, mounted_transports()\n"
        "assert not [m for m in sys.modules if m.split('.')[0] == 'sandbox']\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_mounts_take_matching_urls_with_one_transport_per_pool(settings: Settings) -> None:
    fake = FakeUpstream([550])
    limits: list[httpx.Limits] = []

    def factory(pool_limits: httpx.Limits) -> httpx.AsyncBaseTransport:
        limits.append(pool_limits)
        return fake.transport()

    async def main() -> Fetched:
        cfg = settings.model_copy(update={"http_concurrency": 8})
        origin = str(httpx.URL(cfg.tmdb_url).copy_with(path="/", query=None)).rstrip("/")
        async with open_clients(
            cfg, transport=httpx.MockTransport(_refuse), mounts={origin: factory}
        ) as clients:
            return await clients.tmdb.fetch(DETAILS, {}, entity_key="550")

    assert run(main()).ok
    assert [lim.max_connections for lim in limits] == pool_sizes(8) * 3  # tmdb, yts, eztv
    assert fake.urls("/movie/550")


def test_process_mounts_reach_every_run_and_per_run_mounts_win(
    settings: Settings, no_process_mounts: None
) -> None:
    default, process, per_run = FakeUpstream([550]), FakeUpstream([550]), FakeUpstream([550])
    origin = str(httpx.URL(settings.tmdb_url).copy_with(path="/", query=None)).rstrip("/")
    mount_transport(origin, lambda limits: process.transport())

    async def fetch(**kw: Any) -> Fetched:
        async with open_clients(settings, transport=default.transport(), **kw) as clients:
            return await clients.tmdb.fetch(DETAILS, {}, entity_key="550")

    assert run(fetch()).ok
    assert run(fetch(mounts={origin: lambda limits: per_run.transport()})).ok
    unmount_transport(origin)
    assert run(fetch()).ok
    assert [len(f.requests) for f in (process, per_run, default)] == [1, 1, 1]
