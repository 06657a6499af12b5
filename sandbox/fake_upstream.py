"""The fake upstream server: TMDB v3, YTS v2 and EZTV (with mirrors) and Trakt over a synthetic
catalogue.

Embed it (tests, ``miauflix demo``) with ``start_fake_upstream`` (uvicorn in a background
thread), or run it in the foreground::

    python -m sandbox.fake_upstream --movies 200 --seed 42 --port 8765 [--error-rate 0.1]
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import uvicorn
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route, Router

from sandbox.catalogue import DAILY_CHANGE_SHARE, SyntheticCatalogue
from sandbox.errors import UpstreamStartError
from sandbox.eztv_routes import EztvRoutes
from sandbox.fast_http import FastHttpProtocol
from sandbox.faults import (
    MALFORMED,
    SLOW,
    Fault,
    FaultConfig,
    FaultInjector,
    UpstreamStats,
)
from sandbox.http_common import UpstreamContext, html_page, tmdb_error
from sandbox.tmdb_routes import MOVIE_LISTS, TV_LISTS, TmdbRoutes
from sandbox.trakt_routes import TraktRoutes, trakt_account_routes
from sandbox.yts_routes import YtsRoutes

Endpoint = Callable[[Request], Awaitable[Response]]
HTTP_IMPLEMENTATIONS = ("fast", "h11")


@dataclass
class UpstreamConfig:
    """Everything the fake upstream is built from (a catalogue is made when none is given)."""

    movies: int = 200
    seed: int = 42
    shows: int | None = None  # default: a tenth of the movies
    dirty_rate: float = 0.0
    catalogue: SyntheticCatalogue | None = None
    tmdb_api_key: str = ""
    trakt_client_id: str = ""
    yts_mirrors: int = 2
    eztv_mirrors: int = 2
    faults: FaultConfig = field(default_factory=FaultConfig)

    def yts_prefixes(self) -> list[str]:
        """``["yts", "yts-mirror2", ...]``: the path prefix of each YTS mirror."""
        return ["yts"] + [f"yts-mirror{n}" for n in range(2, max(1, self.yts_mirrors) + 1)]

    def eztv_prefixes(self) -> list[str]:
        """``["eztv", "eztv-mirror2", ...]``: the path prefix of each EZTV mirror."""
        return ["eztv"] + [f"eztv-mirror{n}" for n in range(2, max(1, self.eztv_mirrors) + 1)]


class FakeUpstream:
    """The ASGI application plus its state (catalogue, fault injector, counters)."""

    def __init__(self, config: UpstreamConfig) -> None:
        self.config = config
        self.catalogue = config.catalogue or SyntheticCatalogue(
            config.movies, config.seed, shows=config.shows, dirty_rate=config.dirty_rate
        )
        self.stats = UpstreamStats()
        self._injector = FaultInjector(config.faults)
        self.context = UpstreamContext(
            catalogue=self.catalogue,
            stats=self.stats,
            tmdb_api_key=config.tmdb_api_key,
            trakt_client_id=config.trakt_client_id,
        )
        self.trakt: TraktRoutes | None = None
        self.app = Router(routes=self._routes())

    @property
    def faults(self) -> FaultConfig:
        return self._injector.config

    def set_faults(self, faults: FaultConfig) -> None:
        """Swap the fault knobs (and restart their seeded stream) while serving."""
        self._injector = FaultInjector(faults)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)

    def _routes(self) -> list[BaseRoute]:
        tmdb = TmdbRoutes(self.context)
        yts = YtsRoutes(self.context)
        trakt = self.trakt = TraktRoutes(self.context)
        eztv = EztvRoutes(self.context)

        def t(path: str, key: str, handler: Endpoint) -> Route:
            return Route(f"/tmdb{path}", self._wrap(f"tmdb.{key}", "tmdb", tmdb.guarded(handler)))

        routes: list[BaseRoute] = [
            t("/3/configuration", "configuration", tmdb.configuration),
            t("/3/genre/{kind}/list", "genres", tmdb.genres),
        ]
        routes += [t(f"/3/movie/{name}", name, tmdb.movie_list(name)) for name in MOVIE_LISTS]
        routes += [
            t("/3/movie/changes", "changes", tmdb.changes),
            t("/3/movie/{name}", "movie", tmdb.movie),
            t("/3/trending/movie/{window}", "trending", tmdb.trending),
            t("/3/trending/tv/{window}", "tv_trending", tmdb.tv_trending),
        ]
        routes += [t(f"/3/tv/{name}", f"tv_{name}", tmdb.tv_list(name)) for name in TV_LISTS]
        routes += [
            t("/3/tv/changes", "tv_changes", tmdb.tv_changes),
            t("/3/tv/{tv_id}", "tv", tmdb.tv),
            t("/3/tv/{tv_id}/season/{season}", "tv_season", tmdb.tv_season),
            t("/{rest:path}", "not_found", tmdb.not_found),
        ]
        for mirror in self.config.yts_prefixes():
            routes += [
                Route(
                    f"/{mirror}/api/v2/list_movies.json",
                    self._wrap(f"{mirror}.list_movies", "yts", yts.list_movies, mirror),
                ),
                Route(
                    f"/{mirror}/torrent/download/{{info_hash}}",
                    self._wrap(f"{mirror}.download", "yts", yts.download, mirror),
                ),
                Route(
                    f"/{mirror}/{{rest:path}}",
                    self._wrap(f"{mirror}.not_found", "yts", yts.not_found, mirror),
                ),
            ]
        for mirror in self.config.eztv_prefixes():
            routes += [
                Route(
                    f"/{mirror}/api/get-torrents",
                    self._wrap(f"{mirror}.get_torrents", "eztv", eztv.get_torrents, mirror),
                ),
                Route(
                    f"/{mirror}/{{rest:path}}",
                    self._wrap(f"{mirror}.not_found", "eztv", eztv.not_found, mirror),
                ),
            ]
        routes += [
            Route("/trakt/lists/{kind}", self._wrap("trakt.lists", "trakt", trakt.lists)),
            Route(
                "/trakt/oauth/device/code",
                self._wrap("trakt.device_code", "trakt", trakt.device_code),
                methods=["POST"],
            ),
            *trakt_account_routes(trakt, self._wrap),
            Route("/trakt/{rest:path}", self._wrap("trakt.not_found", "trakt", trakt.not_found)),
        ]
        return routes

    def _wrap(
        self, key: str, service: str, handler: Endpoint, mirror: str | None = None
    ) -> Endpoint:
        """Count the request, inject this request's fault (if any), count the answer."""
        stats = self.stats

        async def endpoint(request: Request) -> Response:
            stats.count_request(key)
            injector = self._injector
            fault = injector.decide(mirror)
            if fault is None:
                response = await handler(request)
            else:
                stats.count_fault(fault.kind)
                if fault.status:
                    response = _fault_response(service, fault, injector.config.retry_after_s)
                else:
                    if fault.kind == SLOW:
                        await asyncio.sleep(injector.config.slow_seconds)
                    response = await handler(request)
                    if fault.kind == MALFORMED:
                        response = _truncated(response)
            stats.count_status(response.status_code)
            return response

        return endpoint


def _fault_response(service: str, fault: Fault, retry_after_s: int) -> Response:
    headers = {"retry-after": str(retry_after_s)} if fault.status == 429 else None
    if service == "tmdb" and fault.status != 502:
        code = {429: 25, 500: 11, 503: 9}[fault.status]
        return tmdb_error(code, headers)
    return html_page(fault.status, headers)


def _truncated(response: Response) -> Response:
    """The same answer with its body cut in half (status 200 stays: a broken transfer)."""
    body = bytes(response.body)
    headers = {k: v for k, v in response.headers.items() if k != "content-length"}
    return Response(body[: len(body) // 2], status_code=response.status_code, headers=headers)


class RunningUpstream:
    """A fake upstream serving in a background thread; ``stop()`` or use as a context manager."""

    def __init__(
        self, upstream: FakeUpstream, server: uvicorn.Server, thread: threading.Thread, url: str
    ) -> None:
        self.upstream = upstream
        self.base_url = url
        self._server = server
        self._thread = thread

    @property
    def tmdb_url(self) -> str:
        return f"{self.base_url}/tmdb"

    @property
    def yts_urls(self) -> list[str]:
        return [f"{self.base_url}/{prefix}" for prefix in self.upstream.config.yts_prefixes()]

    @property
    def eztv_urls(self) -> list[str]:
        return [f"{self.base_url}/{prefix}" for prefix in self.upstream.config.eztv_prefixes()]

    @property
    def trakt_url(self) -> str:
        return f"{self.base_url}/trakt"

    @property
    def stats(self) -> UpstreamStats:
        return self.upstream.stats

    @property
    def catalogue(self) -> SyntheticCatalogue:
        return self.upstream.catalogue

    def set_faults(self, faults: FaultConfig) -> None:
        self.upstream.set_faults(faults)

    def stop(self, timeout: float = 10.0) -> None:
        """Ask uvicorn to exit and wait for the thread (idempotent)."""
        self._server.should_exit = True
        self._thread.join(timeout)

    def __enter__(self) -> RunningUpstream:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _uvicorn_config(app: FakeUpstream, http: str = "fast", **kwargs: Any) -> uvicorn.Config:
    """One worker, no access log; ``http="fast"`` (sandbox.fast_http) or ``"h11"``."""
    if http not in HTTP_IMPLEMENTATIONS:
        raise UpstreamStartError(f"unknown HTTP implementation {http!r}")
    return uvicorn.Config(
        app,
        loop="asyncio",
        http=FastHttpProtocol if http == "fast" else "h11",
        lifespan="off",
        access_log=False,
        log_level="warning",
        timeout_graceful_shutdown=1,
        backlog=2048,
        **kwargs,
    )


def start_fake_upstream(
    catalogue_or_config: SyntheticCatalogue | UpstreamConfig,
    host: str = "127.0.0.1",
    port: int = 0,
    faults: FaultConfig | None = None,
    *,
    http: str = "fast",
    startup_timeout: float = 15.0,
) -> RunningUpstream:
    """Serve in a background thread; returns once the port accepts connections.

    ``port=0`` picks a free port. ``faults`` (when given) overrides the config's.
    ``http="h11"`` switches to uvicorn's own (slower) HTTP implementation.
    """
    if isinstance(catalogue_or_config, SyntheticCatalogue):
        config = UpstreamConfig(catalogue=catalogue_or_config)
    else:
        config = catalogue_or_config
    if faults is not None:
        config = UpstreamConfig(**{**config.__dict__, "faults": faults})
    upstream = FakeUpstream(config)
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise UpstreamStartError(f"cannot bind fake upstream to {host}:{port}: {exc}") from exc
    bound_port = sock.getsockname()[1]
    server = uvicorn.Server(_uvicorn_config(upstream, http))
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="fake-upstream", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            raise UpstreamStartError(f"fake upstream on {host}:{bound_port} did not start")
        time.sleep(0.01)
    url_host = f"[{host}]" if ":" in host else host
    return RunningUpstream(upstream, server, thread, f"http://{url_host}:{bound_port}")


def _share(text: str) -> float:
    """A share within 0..1 (argparse type)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.0 <= value <= 1.0:  # also refuses nan
        raise argparse.ArgumentTypeError(f"must be within 0..1, got {text!r}")
    return value


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m sandbox.fake_upstream",
        description="Fake TMDB/YTS/Trakt upstream over a seeded synthetic catalogue.",
    )
    parser.add_argument("--movies", type=int, default=200, help="catalogue size (10-100000)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--shows", type=int, default=None, help="TV shows (5-20000)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--dirty-rate", type=float, default=0.0, help="share of dirty records")
    parser.add_argument(
        "--change-rate",
        type=_share,
        default=DAILY_CHANGE_SHARE,
        help="share of titles the TMDB changes feeds name per day (0: nothing changes)",
    )
    parser.add_argument("--tmdb-api-key", default="", help="require this TMDB key")
    parser.add_argument("--trakt-client-id", default="", help="require this Trakt client id")
    parser.add_argument("--yts-mirrors", type=int, default=2)
    parser.add_argument("--eztv-mirrors", type=int, default=2)
    parser.add_argument("--error-rate", type=float, default=0.0, help="share of 5xx answers")
    parser.add_argument("--rate-limit-every", type=int, default=0, help="429 burst every N")
    parser.add_argument("--rate-limit-len", type=int, default=3)
    parser.add_argument("--retry-after", type=int, default=1, help="Retry-After seconds")
    parser.add_argument("--slow-rate", type=float, default=0.0)
    parser.add_argument("--slow-seconds", type=float, default=15.0)
    parser.add_argument("--malformed-rate", type=float, default=0.0)
    parser.add_argument("--dead-mirror", action="append", default=[], help="e.g. yts, eztv")
    parser.add_argument("--fault-seed", type=int, default=0)
    parser.add_argument("--http", choices=HTTP_IMPLEMENTATIONS, default="fast")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    faults = FaultConfig(
        error_rate=args.error_rate,
        rate_limit_burst_every=args.rate_limit_every,
        rate_limit_burst_len=args.rate_limit_len,
        retry_after_s=args.retry_after,
        slow_rate=args.slow_rate,
        slow_seconds=args.slow_seconds,
        malformed_rate=args.malformed_rate,
        dead_mirrors=frozenset(args.dead_mirror),
        seed=args.fault_seed,
    )
    config = UpstreamConfig(
        movies=args.movies,
        seed=args.seed,
        shows=args.shows,
        dirty_rate=args.dirty_rate,
        tmdb_api_key=args.tmdb_api_key,
        trakt_client_id=args.trakt_client_id,
        yts_mirrors=args.yts_mirrors,
        eztv_mirrors=args.eztv_mirrors,
        faults=faults,
    )
    upstream = FakeUpstream(config)
    upstream.catalogue.change_rate = args.change_rate
    base = f"http://{args.host}:{args.port}"
    print(f"fake upstream: {config.movies} movies, seed {config.seed}", flush=True)
    print(f"  TMDB   {base}/tmdb", flush=True)
    for prefix in config.yts_prefixes():
        print(f"  YTS    {base}/{prefix}", flush=True)
    for prefix in config.eztv_prefixes():
        print(f"  EZTV   {base}/{prefix}", flush=True)
    print(f"  Trakt  {base}/trakt", flush=True)
    uvicorn.Server(_uvicorn_config(upstream, args.http, host=args.host, port=args.port)).run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
