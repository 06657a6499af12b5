"""Hand-written test doubles for the ingest layer: a scriptable upstream and a virtual clock.

``FakeUpstream`` speaks just enough TMDB v3 and YTS v2 (same paths and shapes as the
recorded samples) to drive the clients through ``httpx.MockTransport``; faults are
scripted per URL substring (a queue of statuses/exceptions served before the real answer).
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from typing import Any

import httpx

TMDB = "http://tmdb.test/tmdb"
YTS_MIRRORS = ("http://yts-a.test/yts", "http://yts-b.test/yts", "http://yts-c.test/yts")

Fault = int | str | Callable[[httpx.Request], httpx.Response] | Exception


class FakeClock:
    """Virtual monotonic time: ``sleep`` advances it instantly and records the call."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)
        await asyncio.sleep(0)


def movie_details(movie_id: int, language: str = "en", imdb: str | None = None) -> dict[str, Any]:
    return {
        "id": movie_id,
        "imdb_id": imdb,
        "title": f"Movie {movie_id} ({language})",
        "external_ids": {"imdb_id": imdb},
        "images": {"posters": [], "backdrops": []},
        "translations": {"translations": []},
    }


def yts_answer(imdb: str) -> dict[str, Any]:
    return {
        "status": "ok",
        "status_message": "Query was successful",
        "data": {
            "movie_count": 1,
            "limit": 20,
            "page_number": 1,
            "movies": [{"imdb_code": imdb, "torrents": [{"hash": "A" * 40}]}],
        },
    }


class FakeUpstream:
    """TMDB + YTS over ``httpx.MockTransport``; records every request it sees."""

    def __init__(
        self,
        movie_ids: Iterable[int] = range(1, 31),
        *,
        per_page: int = 20,
        missing: Iterable[int] = (),
        without_imdb: Iterable[int] = (),
        dead_mirrors: Iterable[str] = (),
        html_mirrors: Iterable[str] = (),
    ) -> None:
        self.movie_ids = list(movie_ids)
        self.per_page = per_page
        self.missing = set(missing)
        self.without_imdb = set(without_imdb)
        self.dead_mirrors = set(dead_mirrors)
        self.html_mirrors = set(html_mirrors)
        self.requests: list[httpx.Request] = []
        self.changed: list[int] = []  # what the changes feeds name (for any day)
        self._faults: dict[str, deque[Fault]] = defaultdict(deque)

    @staticmethod
    def imdb_of(movie_id: int) -> str:
        return f"tt{movie_id:07d}"

    def fail(self, url_part: str, *faults: Fault) -> None:
        """Serve ``faults`` (status, body text, callable or exception) to matching URLs first."""
        self._faults[url_part].extend(faults)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def urls(self, part: str = "") -> list[str]:
        return [str(r.url) for r in self.requests if part in str(r.url)]

    def content_requests(self) -> list[httpx.Request]:
        """Requests for content: everything but the changes feeds' pages."""
        return [r for r in self.requests if not r.url.path.endswith("/changes")]

    # --- routing -------------------------------------------------------------------------
    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        url = str(request.url)
        for part, queue in self._faults.items():
            if part in url and queue:
                return self._fault(queue.popleft(), request)
        for mirror in self.dead_mirrors:
            if url.startswith(mirror):
                raise httpx.ConnectError("connection refused", request=request)
        for mirror in self.html_mirrors:
            if url.startswith(mirror):
                return httpx.Response(200, text="<html>domain for sale</html>")
        path = request.url.path
        if "/yts/" in url and path.endswith("/api/v2/list_movies.json"):
            return self._yts(request)
        if "/tmdb/3/" in url:
            return self._tmdb(request, path.split("/tmdb", 1)[1])
        return httpx.Response(404, text="no route")

    @staticmethod
    def _fault(fault: Fault, request: httpx.Request) -> httpx.Response:
        if isinstance(fault, Exception):
            raise fault
        if isinstance(fault, int):
            return httpx.Response(fault, json={"status_code": 0, "status_message": "fault"})
        if isinstance(fault, str):
            return httpx.Response(200, text=fault)
        return fault(request)

    def _tmdb(self, request: httpx.Request, path: str) -> httpx.Response:
        language = request.url.params.get("language", "en")
        if path == "/3/configuration":
            return httpx.Response(
                200, json={"images": {"secure_base_url": "https://image.test/t/p/"}}
            )
        if path == "/3/genre/movie/list":
            return httpx.Response(200, json={"genres": [{"id": 28, "name": f"Action-{language}"}]})
        if path in ("/3/movie/popular", "/3/movie/top_rated", "/3/trending/movie/week"):
            return self._list_page(request)
        if path in ("/3/movie/changes", "/3/tv/changes"):
            return self._changes(request)
        if path.startswith("/3/movie/"):
            movie_id = int(path.rsplit("/", 1)[1])
            if movie_id in self.missing or movie_id not in self.movie_ids:
                return httpx.Response(
                    404,
                    json={
                        "success": False,
                        "status_code": 34,
                        "status_message": "The resource you requested could not be found.",
                    },
                )
            imdb = None if movie_id in self.without_imdb else self.imdb_of(movie_id)
            return httpx.Response(200, json=movie_details(movie_id, language, imdb))
        return httpx.Response(404, json={"success": False, "status_code": 34})

    def _changes(self, request: httpx.Request) -> httpx.Response:
        """TMDB's changes page: the ids of ``self.changed`` (one day's worth), 100 a page."""
        page = int(request.url.params.get("page", "1"))
        chunk = self.changed[(page - 1) * 100 : page * 100]
        body = {
            "results": [{"id": m, "adult": False} for m in chunk],
            "page": page,
            "total_pages": -(-len(self.changed) // 100),
            "total_results": len(self.changed),
        }
        return httpx.Response(200, json=body)

    def _list_page(self, request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("page", "1"))
        total = max(1, -(-len(self.movie_ids) // self.per_page))
        if not 1 <= page <= 500:
            return httpx.Response(400, json={"success": False, "status_code": 22})
        chunk = self.movie_ids[(page - 1) * self.per_page : page * self.per_page]
        body = {
            "page": page,
            "results": [{"id": m, "title": f"Movie {m}"} for m in chunk],
            "total_pages": total,
            "total_results": len(self.movie_ids),
        }
        return httpx.Response(200, json=body)

    def _yts(self, request: httpx.Request) -> httpx.Response:
        imdb = request.url.params.get("query_term", "")
        known = {self.imdb_of(m) for m in self.movie_ids}
        if imdb in known:
            return httpx.Response(200, json=yts_answer(imdb))
        empty = {"status": "ok", "data": {"movie_count": 0, "limit": 20, "page_number": 1}}
        return httpx.Response(200, content=json.dumps(empty).encode())
