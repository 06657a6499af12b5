"""Trakt routes (mounted under ``/trakt``): public lists and their items here; OAuth in
:mod:`sandbox.trakt_oauth`, sync and scrobble in :mod:`sandbox.trakt_sync`.

Trending/popular lists carry Trakt's pagination and rate-limit headers. Header checks as
the real API when a client id is configured: ``trakt-api-version: 2`` and
``trakt-api-key: <client id>``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from sandbox import vocab
from sandbox.http_common import UpstreamContext, int_param, json_response
from sandbox.randomness import SALT_TRAKT, mix, rng
from sandbox.trakt_activate import ActivatePage
from sandbox.trakt_media import _clean_movies, iso, movie_object, unmatched_movie
from sandbox.trakt_oauth import OAuthRoutes, TraktAuth
from sandbox.trakt_sync import SyncRoutes, TraktLibraries

Endpoint = Callable[[Request], Awaitable[Response]]
DEFAULT_LIMIT, MAX_LIMIT = 10, 100
RATE_LIMIT = 1000
_EPOCH = datetime(2025, 6, 1, tzinfo=UTC)


def list_count(movies: int) -> int:
    """How many public lists the fake Trakt has for a catalogue of ``movies``."""
    return 50 + movies // 20


def trakt_list(seed: int, rank: int, kind: str) -> dict[str, Any]:
    """The list item at ``rank`` (0-based) of ``/lists/{kind}``."""
    trakt_id = 1_000_000 + mix(seed, SALT_TRAKT, rank, 0 if kind == "trending" else 1) % 30_000_000
    r = rng(seed, SALT_TRAKT, trakt_id)
    name = f"{r.choice(vocab.ADJECTIVES)} {r.choice(vocab.NOUNS)} Movies"
    slug = name.lower().replace(" ", "-")
    username = f"{r.choice(vocab.HOST_WORDS)}{r.choice(vocab.NOUNS).lower()}{r.randint(1, 99)}"
    created = _EPOCH - timedelta(days=r.randint(30, 3000), seconds=r.randint(0, 86399))
    updated = _EPOCH - timedelta(days=r.randint(0, 29), seconds=r.randint(0, 86399))
    likes = int(5000 / (rank + 1)) + r.randint(0, 40)
    return {
        "like_count": r.randint(0, 60),
        "comment_count": r.randint(0, 5),
        "list": {
            "name": name,
            "description": "" if r.random() < 0.5 else f"Curated {name.lower()}.",
            "privacy": "public",
            "share_link": f"https://trakt.tv/lists/{trakt_id}",
            "type": "personal",
            "display_numbers": r.random() < 0.3,
            "allow_comments": r.random() < 0.9,
            "sort_by": r.choice(("rank", "added", "title", "released")),
            "sort_how": r.choice(("asc", "desc")),
            "created_at": created.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "updated_at": updated.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "item_count": r.randint(5, 500),
            "comment_count": r.randint(0, 20),
            "likes": likes,
            "ids": {"trakt": trakt_id, "slug": slug},
            "user": {
                "username": username,
                "private": False,
                "deleted": False,
                "name": username.capitalize(),
                "vip": r.random() < 0.3,
                "vip_ep": False,
                "director": False,
                "ids": {"slug": username},
            },
        },
    }


def list_ids(seed: int, movies: int) -> set[int]:
    """The Trakt ids of every public list (trending and popular) of the catalogue."""
    return {
        1_000_000 + mix(seed, SALT_TRAKT, rank, k) % 30_000_000
        for rank in range(list_count(movies))
        for k in (0, 1)
    }


def list_items(cat: Any, clean: list[int], trakt_id: int) -> list[dict[str, Any]]:
    """The movies of list ``trakt_id`` by ascending rank: catalogue movies (the third one
    without its TMDB id, so only its IMDb id maps it) and one movie the catalogue lacks."""
    r = rng(cat.seed, SALT_TRAKT, trakt_id, 2)
    picks = r.sample(clean, k=min(len(clean), r.randint(8, 24)))
    movies = [movie_object(cat, tmdb_id, drop_tmdb=n == 2) for n, tmdb_id in enumerate(picks)]
    movies.insert(len(movies) // 2, unmatched_movie())
    return [
        {"rank": n + 1, "id": trakt_id * 100 + n + 1,
         "listed_at": iso(_EPOCH - timedelta(days=len(movies) - n)), "notes": None,
         "type": "movie", "movie": movie}
        for n, movie in enumerate(movies)
    ]  # fmt: skip


class TraktRoutes:
    def __init__(self, ctx: UpstreamContext) -> None:
        self.ctx = ctx
        self._gets = 0
        self.auth = TraktAuth()
        self.libraries = TraktLibraries(ctx, self.auth)
        self.oauth = OAuthRoutes(ctx, self.auth)
        self.sync = SyncRoutes(ctx, self.auth, self.libraries)
        self._list_ids: set[int] | None = None
        self._clean: list[int] | None = None

    def _unauthorized(self, request: Request) -> Response | None:
        client_id = self.ctx.trakt_client_id
        if not client_id:
            return None
        if (
            request.headers.get("trakt-api-version") == "2"
            and request.headers.get("trakt-api-key") == client_id
        ):
            return None
        return json_response(
            {"error": "invalid_api_key", "error_description": "trakt-api-key is missing or wrong"},
            401,
        )

    async def lists(self, request: Request) -> Response:
        kind = request.path_params["kind"]
        if kind not in ("trending", "popular"):
            return await self.not_found(request)
        denied = self._unauthorized(request)
        if denied is not None:
            return denied
        page = int_param(request.query_params.get("page"), 1, 1, 10**6) or 1
        limit = int_param(request.query_params.get("limit"), DEFAULT_LIMIT, 1, MAX_LIMIT)
        limit = limit or DEFAULT_LIMIT
        total = list_count(self.ctx.catalogue.movies)
        seed = self.ctx.catalogue.seed
        ranks = range((page - 1) * limit, min(page * limit, total))
        self._gets += 1
        headers = {
            "x-pagination-page": str(page),
            "x-pagination-limit": str(limit),
            "x-pagination-page-count": str(math.ceil(total / limit)),
            "x-pagination-item-count": str(total),
            "x-ratelimit": self._ratelimit_header(),
        }
        return json_response([trakt_list(seed, rank, kind) for rank in ranks], headers=headers)

    async def items(self, request: Request) -> Response:
        """``/lists/{id}/items/{type}``: a public list's movies (404 for an unknown list
        or a type other than movies); paginated when ``page`` or ``limit`` is given."""
        denied = self._unauthorized(request)
        if denied is not None:
            return denied
        raw_id, kind = request.path_params["id"], request.path_params["type"]
        cat = self.ctx.catalogue
        if self._list_ids is None:
            self._list_ids = list_ids(cat.seed, cat.movies)
        trakt_id = int_param(raw_id, 0, 1, 10**9)
        if kind not in ("movie", "movies") or trakt_id not in self._list_ids:
            return await self.not_found(request)
        if self._clean is None:
            self._clean = _clean_movies(cat)
        items = list_items(cat, self._clean, trakt_id)
        self._gets += 1
        headers = {"x-ratelimit": self._ratelimit_header(), "x-sort-by": "rank",
                   "x-sort-how": "asc"}  # fmt: skip
        query = request.query_params
        if "page" not in query and "limit" not in query:
            return json_response(items, headers=headers)
        page = int_param(query.get("page"), 1, 1, 10**6) or 1
        limit = int_param(query.get("limit"), DEFAULT_LIMIT, 1, MAX_LIMIT) or DEFAULT_LIMIT
        headers |= {
            "x-pagination-page": str(page),
            "x-pagination-limit": str(limit),
            "x-pagination-page-count": str(max(1, math.ceil(len(items) / limit))),
            "x-pagination-item-count": str(len(items)),
        }
        return json_response(items[(page - 1) * limit : page * limit], headers=headers)

    def _ratelimit_header(self) -> str:
        now = datetime.now(UTC)
        until = (now + timedelta(minutes=5 - now.minute % 5)).replace(second=0, microsecond=0)
        return json.dumps(
            {
                "name": "UNAUTHED_API_GET_LIMIT",
                "period": 300,
                "limit": RATE_LIMIT,
                "remaining": max(0, RATE_LIMIT - self._gets % RATE_LIMIT),
                "until": until.strftime("%Y-%m-%dT%H:%M:%SZ"),
            },
            separators=(",", ":"),
        )

    async def device_code(self, request: Request) -> Response:
        return await self.oauth.device_code(request)

    async def not_found(self, request: Request) -> Response:
        return Response(b"", status_code=404)


def trakt_account_routes(
    trakt: TraktRoutes, wrap: Callable[[str, str, Endpoint], Endpoint]
) -> list[BaseRoute]:
    """The OAuth, sync and scrobble routes under ``/trakt`` (``wrap`` counts and faults)."""
    oauth, sync = trakt.oauth, trakt.sync

    def r(path: str, key: str, handler: Endpoint, method: str) -> Route:
        return Route(f"/trakt{path}", wrap(f"trakt.{key}", "trakt", handler), methods=[method])

    return [
        r("/oauth/device/token", "device_token", oauth.device_token, "POST"),
        r("/oauth/token", "token", oauth.token, "POST"),
        r("/oauth/revoke", "revoke", oauth.revoke, "POST"),
        # Sandbox only: stands in for the person entering the code at trakt.tv/activate.
        r("/_sandbox/device/{decision}", "sandbox_decide", oauth.sandbox_decide, "POST"),
        Route(
            "/trakt/_sandbox/activate",
            wrap("trakt.activate", "trakt", ActivatePage(trakt.auth).page),
            methods=["GET", "POST"],
        ),
        r("/lists/{id}/items/{type}", "list_items", trakt.items, "GET"),
        r("/sync/last_activities", "last_activities", sync.last_activities, "GET"),
        r("/sync/{section}", "sync", sync.section, "GET"),
        r("/sync/{section}/{type}", "sync", sync.section, "GET"),
        r("/scrobble/{action}", "scrobble", sync.scrobble, "POST"),
    ]
