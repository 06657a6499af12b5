"""Building the upstream clients of a run from settings: pools, transports, credentials.

:func:`open_clients` is the one place where httpx clients are created: explicit timeouts
(``http_timeout``), ``http_concurrency`` connections per service split into small pools
(see :func:`pool_sizes`), httpx's own transport, one token bucket per service, and the
TMDB key sent the safest way it allows.

Other transports are injected, never imported: :func:`mount_transport` registers an httpx
mount (``"http://127.0.0.1"`` -> a transport factory) for every pool this process opens,
and ``open_clients(mounts=...)`` adds mounts for one run. The roof (``miauflix``) mounts
the sandbox's lean loopback transport this way; this module knows nothing of it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import math
import re
import ssl
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from core.settings import Settings
from flows.http import UpstreamClient
from flows.ratelimit import Clock, Sleep, TokenBucket
from flows.redact import install_httpx_log_filter
from flows.retry import RetryPolicy

POOL_CONNECTIONS = 4  # connections per httpx pool; see pool_sizes()
USER_AGENT = "miauflix/0.1 (+self-hosted)"
BASE_HEADERS = {"Accept": "application/json", "User-Agent": USER_AGENT}
_V4_TOKEN = re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")

TransportFactory = Callable[[httpx.Limits], httpx.AsyncBaseTransport]
"""Builds the transport of one pool, given that pool's connection limits."""

_PROCESS_MOUNTS: dict[str, TransportFactory] = {}


def mount_transport(pattern: str, factory: TransportFactory) -> None:
    """Route requests matching ``pattern`` through transports made by ``factory``.

    ``pattern`` is an httpx mount key (``"http://127.0.0.1"`` matches any port of that
    host over plain http). It applies to every pool opened afterwards in this process;
    mounting the same pattern again replaces the factory.
    """
    _PROCESS_MOUNTS[pattern] = factory


def unmount_transport(pattern: str) -> None:
    """Undo :func:`mount_transport` for ``pattern`` (no error when nothing is mounted)."""
    _PROCESS_MOUNTS.pop(pattern, None)


def mounted_transports() -> dict[str, TransportFactory]:
    """The process-wide mounts, pattern -> factory (a copy)."""
    return dict(_PROCESS_MOUNTS)


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """One TLS context shared by every pool: building one costs ~35 ms of CPU."""
    return httpx.create_ssl_context()


def _default_transport(limits: httpx.Limits) -> httpx.AsyncHTTPTransport:
    """httpx's own transport for one pool (explicit, so proxy variables stay unused)."""
    return httpx.AsyncHTTPTransport(limits=limits, verify=_ssl_context())


def looks_like_v4_token(key: str) -> bool:
    """TMDB v4 read tokens are JWTs (long, three dot-separated base64url parts)."""
    return len(key) > 100 and _V4_TOKEN.fullmatch(key) is not None


def tmdb_credentials(key: str) -> tuple[dict[str, str], dict[str, str]]:
    """``(headers, query params)`` carrying a TMDB key: Bearer for v4, ``api_key`` for v3."""
    key = key.strip()
    if not key:
        return {}, {}
    if looks_like_v4_token(key):
        return {"Authorization": f"Bearer {key}"}, {}
    return {}, {"api_key": key}


def pool_sizes(concurrency: int, per_pool: int = POOL_CONNECTIONS) -> list[int]:
    """Split ``concurrency`` connections into pools of at most ``per_pool``.

    httpcore scans every pooled connection (a readability poll each) on every request,
    so one pool of 16 costs about twice the CPU per request of four pools of 4
    (measured on loopback: ~2.2 ms vs ~1.0 ms). Requests are spread round-robin.
    """
    count = max(1, math.ceil(concurrency / per_pool))
    base, extra = divmod(max(1, concurrency), count)
    return [base + (1 if n < extra else 0) for n in range(count)]


@dataclass(frozen=True)
class SourceEndpoint:
    """Where a torrent provider answers and how fast it may be asked (from settings)."""

    urls: Callable[[Settings], list[str]]  # mirrors, tried in order
    rate_limit: Callable[[Settings], float]  # requests/s


SOURCE_ENDPOINTS: dict[str, SourceEndpoint] = {
    "yts": SourceEndpoint(lambda s: s.yts_urls, lambda s: s.yts_rate_limit),
    "eztv": SourceEndpoint(lambda s: s.eztv_urls, lambda s: s.eztv_rate_limit),
}


@dataclass
class Clients:
    """The upstream clients of one ingest run (one event loop): TMDB and one per provider."""

    tmdb: UpstreamClient
    sources: dict[str, UpstreamClient] = field(default_factory=dict)

    @property
    def yts(self) -> UpstreamClient:
        return self.sources["yts"]

    @property
    def eztv(self) -> UpstreamClient:
        return self.sources["eztv"]


@contextlib.asynccontextmanager
async def open_clients(
    settings: Settings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    mounts: Mapping[str, TransportFactory] | None = None,
    policy: RetryPolicy | None = None,
    clock: Clock | None = None,
    sleep: Sleep | None = None,
) -> AsyncIterator[Clients]:
    """TMDB and torrent-provider clients configured from ``settings``; closes their pools on
    exit. Every provider of :data:`SOURCE_ENDPOINTS` gets the same kind of client: its own
    mirror list and token bucket, the shared retry policy.

    Each pool uses httpx's own transport, except for URLs matching a mount: the
    process-wide ones (:func:`mount_transport`) and ``mounts`` (which win on the same
    pattern). ``transport`` (e.g. ``httpx.MockTransport``) replaces the default
    transport; it, ``policy``, ``clock`` and ``sleep`` are for tests; the policy defaults
    to ``settings.http_retries``.
    """
    install_httpx_log_filter()
    policy = policy or RetryPolicy(retries=settings.http_retries)
    sleep = sleep or asyncio.sleep
    clock_kw: dict[str, Any] = {"sleep": sleep}
    if clock is not None:
        clock_kw["clock"] = clock
    concurrency = settings.http_concurrency
    key = settings.tmdb_api_key.get_secret_value()
    headers, auth_params = tmdb_credentials(key)
    factories = {**_PROCESS_MOUNTS, **(mounts or {})}

    async with contextlib.AsyncExitStack() as stack:

        async def pools(extra_headers: Mapping[str, str]) -> list[httpx.AsyncClient]:
            clients = []
            for size in pool_sizes(concurrency):
                limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
                client = httpx.AsyncClient(
                    timeout=httpx.Timeout(settings.http_timeout),
                    limits=limits,
                    headers={
                        "Accept": "application/json",
                        "User-Agent": USER_AGENT,
                        **extra_headers,
                    },
                    follow_redirects=True,
                    transport=transport or _default_transport(limits),
                    mounts={pattern: make(limits) for pattern, make in factories.items()},
                )
                clients.append(await stack.enter_async_context(client))
            return clients

        yield Clients(
            tmdb=UpstreamClient(
                "tmdb",
                [settings.tmdb_url],
                await pools(headers),
                limiter=TokenBucket(settings.tmdb_rate_limit, **clock_kw),
                policy=policy,
                concurrency=concurrency,
                auth_params=auth_params,
                secrets=[key] if key else [],
                not_found_is_answer=True,
                sleep=sleep,
            ),
            sources={
                name: UpstreamClient(
                    name,
                    endpoint.urls(settings),
                    await pools({}),
                    limiter=TokenBucket(endpoint.rate_limit(settings), **clock_kw),
                    policy=policy,
                    concurrency=concurrency,
                    sleep=sleep,
                )
                for name, endpoint in SOURCE_ENDPOINTS.items()
            },
        )
