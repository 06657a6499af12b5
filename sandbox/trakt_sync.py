"""The fake Trakt's authenticated endpoints: ``/sync/*`` and ``/scrobble/*``.

Every request needs ``Authorization: Bearer <access token>``, ``trakt-api-version: 2`` and
``trakt-api-key`` (checked when a client id is configured). Per user, authenticated GETs are
limited to ``get_limit`` per 5 minutes and POSTs to one per ``post_interval_s``; beyond
that the answer is 429 with ``Retry-After``. Every answer carries ``X-Ratelimit``; lists
carry ``X-Pagination-*``. Scrobbles change the library as Trakt does: ``pause`` (or a
``stop`` below 80 %) saves playback progress, a ``stop`` at 80 % or more adds a history entry
and clears the playback; the same ``stop`` again within ``duplicate_window_s`` is a 409.
"""

from __future__ import annotations

import json
import math
import threading
from collections import deque
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from sandbox.http_common import UpstreamContext, int_param, json_response
from sandbox.trakt_media import Library, episode_object, iso, movie_object, show_object
from sandbox.trakt_oauth import TraktAuth

GET_LIMIT, GET_PERIOD_S = 1000, 300
SECTIONS = {"watchlist": "listed_at", "history": "watched_at", "playback": "paused_at",
            "ratings": "rated_at"}  # fmt: skip
TYPES = {"movies": "movie", "episodes": "episode", "shows": "show"}
WATCHED_AT_PERCENT = 80.0


class TraktLibraries:
    """Per-username libraries, rate-limit windows and scrobble records of the fake Trakt."""

    def __init__(self, ctx: UpstreamContext, auth: TraktAuth) -> None:
        self.ctx = ctx
        self.auth = auth
        self.get_limit = GET_LIMIT
        self.post_interval_s = 1.0
        self.duplicate_window_s = 3600.0
        self.scrobbles: list[dict[str, Any]] = []  # every accepted scrobble, in order
        self._lock = threading.RLock()
        self._libraries: dict[str, Library] = {}
        self._gets: dict[str, deque[float]] = {}
        self._last_post: dict[str, float] = {}

    def library(self, username: str) -> Library:
        with self._lock:
            if username not in self._libraries:
                now = datetime.fromtimestamp(self.auth.clock(), UTC)
                self._libraries[username] = Library(self.ctx.catalogue, username, now)
            return self._libraries[username]

    def throttle(self, username: str, method: str) -> float:
        """0 when allowed, else the seconds to wait (and the request is refused)."""
        now = self.auth.clock()
        with self._lock:
            if method == "GET":
                window = self._gets.setdefault(username, deque())
                while window and window[0] <= now - GET_PERIOD_S:
                    window.popleft()
                if len(window) >= self.get_limit:
                    return window[0] + GET_PERIOD_S - now
                window.append(now)
                return 0.0
            last = self._last_post.get(username)
            if last is not None and now - last < self.post_interval_s:
                return self.post_interval_s - (now - last)
            self._last_post[username] = now
            return 0.0

    def ratelimit_header(self, username: str, method: str) -> str:
        now = datetime.fromtimestamp(self.auth.clock(), UTC)
        if method == "GET":
            used = len(self._gets.get(username, ()))
            body = {"name": "AUTHED_API_GET_LIMIT", "period": GET_PERIOD_S,
                    "limit": self.get_limit, "remaining": max(0, self.get_limit - used),
                    "until": iso(now + timedelta(seconds=GET_PERIOD_S))}  # fmt: skip
        else:
            body = {"name": "AUTHED_API_POST_LIMIT", "period": 1, "limit": 1, "remaining": 0,
                    "until": iso(now + timedelta(seconds=self.post_interval_s))}  # fmt: skip
        return json.dumps(body, separators=(",", ":"))


def _match(item: dict[str, Any], ref: dict[str, Any]) -> bool:
    """Whether the scrobbled ``ref`` (``{"ids": {...}}``) names the same title as ``item``."""
    ids = item.get("ids", {})
    raw = ref.get("ids")
    wanted: dict[str, Any] = raw if isinstance(raw, dict) else {}
    return any(wanted.get(k) is not None and wanted.get(k) == ids.get(k) for k in ids)


class SyncRoutes:
    """Handlers of ``/sync/*`` and ``/scrobble/*``."""

    def __init__(self, ctx: UpstreamContext, auth: TraktAuth, libs: TraktLibraries) -> None:
        self.ctx = ctx
        self.auth = auth
        self.libs = libs

    def _user(self, request: Request) -> tuple[str | None, Response | None]:
        client_id = self.ctx.trakt_client_id
        if request.headers.get("trakt-api-version") != "2" or (
            client_id and request.headers.get("trakt-api-key") != client_id
        ):
            return None, json_response({"error": "invalid_api_key"}, 403)
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        username = self.auth.user_of(token.strip()) if scheme.lower() == "bearer" else None
        if username is None:
            return None, json_response(
                {"error": "invalid_token", "error_description": "The access token is invalid"},
                401,
            )
        wait = self.libs.throttle(username, request.method)
        if wait > 0:
            header = self.libs.ratelimit_header(username, request.method)
            headers = {"retry-after": str(max(1, math.ceil(wait))), "x-ratelimit": header}
            return None, json_response({"error": "rate_limited"}, 429, headers=headers)
        return username, None

    async def last_activities(self, request: Request) -> Response:
        username, denied = self._user(request)
        if denied is not None or username is None:
            return denied or Response(status_code=401)
        act = self.libs.library(username).activity
        body = {
            "all": max(act.values()),
            "movies": {"watched_at": act["watched"], "collected_at": act["watched"],
                       "rated_at": act["rated"], "watchlisted_at": act["watchlist"],
                       "commented_at": act["watched"], "paused_at": act["paused"],
                       "hidden_at": act["watched"]},
            "episodes": {"watched_at": act["watched"], "collected_at": act["watched"],
                         "rated_at": act["rated"], "watchlisted_at": act["watchlist"],
                         "commented_at": act["watched"], "paused_at": act["paused"]},
            "shows": {"rated_at": act["rated"], "watchlisted_at": act["watchlist"],
                      "commented_at": act["watched"], "hidden_at": act["watched"]},
            "watchlist": {"updated_at": act["watchlist"]},
        }  # fmt: skip
        return json_response(
            body, headers={"x-ratelimit": self.libs.ratelimit_header(username, "GET")}
        )

    async def section(self, request: Request) -> Response:
        """``GET /sync/{watchlist|history|playback|ratings}[/{type}]`` with paging."""
        name = request.path_params["section"]
        kind = request.path_params.get("type")
        if name not in SECTIONS or (kind is not None and kind not in TYPES):
            return Response(b"", status_code=404)
        username, denied = self._user(request)
        if denied is not None or username is None:
            return denied or Response(status_code=401)
        page = int_param(request.query_params.get("page"), 1, 1, 10**6)
        limit = int_param(request.query_params.get("limit"), 10, 1, 1000)
        if page is None or limit is None:
            return json_response({"error": "invalid_parameter"}, 400)
        stamp = SECTIONS[name]
        with self.libs._lock:
            items = [dict(i) for i in getattr(self.libs.library(username), name)]
        if kind is not None:
            items = [i for i in items if i["type"] == TYPES[kind]]
        start_at = request.query_params.get("start_at")
        if start_at and name in ("history", "playback"):
            items = [i for i in items if i[stamp] >= start_at]
        items.sort(key=lambda i: i[stamp], reverse=name != "watchlist")
        for rank, item in enumerate(items, 1):
            if name == "watchlist":
                item["rank"] = rank
        total = len(items)
        headers = {
            "x-pagination-page": str(page),
            "x-pagination-limit": str(limit),
            "x-pagination-page-count": str(max(1, math.ceil(total / limit))),
            "x-pagination-item-count": str(total),
            "x-ratelimit": self.libs.ratelimit_header(username, "GET"),
        }
        return json_response(items[(page - 1) * limit : page * limit], headers=headers)

    async def scrobble(self, request: Request) -> Response:
        action = request.path_params["action"]
        if action not in ("start", "pause", "stop"):
            return Response(b"", status_code=404)
        username, denied = self._user(request)
        if denied is not None or username is None:
            return denied or Response(status_code=401)
        try:
            payload = json.loads(await request.body() or b"null")
        except (ValueError, UnicodeDecodeError):
            payload = None
        progress = payload.get("progress") if isinstance(payload, dict) else None
        kind = next((k for k in ("movie", "episode") if isinstance(payload, dict)
                     and isinstance(payload.get(k), dict)), None)  # fmt: skip
        if (
            kind is None
            or isinstance(progress, bool)
            or not isinstance(progress, int | float)
            or not 0 <= progress <= 100
        ):
            return json_response({"error": "invalid_request"}, 400)
        assert isinstance(payload, dict)
        show = payload.get("show") if isinstance(payload.get("show"), dict) else None
        return self._apply(username, action, kind, payload[kind], float(progress), show)

    def _apply(
        self,
        username: str,
        action: str,
        kind: str,
        ref: dict[str, Any],
        progress: float,
        show_ref: dict[str, Any] | None = None,
    ) -> Response:
        libs = self.libs
        with libs._lock:
            lib = libs.library(username)
            known = [i[kind] for s in (lib.watchlist, lib.history, lib.playback, lib.ratings)
                     for i in s if kind in i]  # fmt: skip
            media = next((m for m in known if _match(m, ref)), None)
            extra: dict[str, Any] = {}
            if media is None and kind == "movie":
                media = _movie_from_ids(self.ctx, ref)
            elif kind == "episode" and show_ref is not None:
                media, extra = _episode_of_show(self.ctx, show_ref, ref)
            if media is None:
                return json_response({"error": "not_found"}, 404)
            now = datetime.fromtimestamp(self.auth.clock(), UTC)
            watched = action == "stop" and progress >= WATCHED_AT_PERCENT
            if watched:
                cutoff = iso(now - timedelta(seconds=libs.duplicate_window_s))
                recent = [h for h in lib.history if h["watched_at"] >= cutoff]
                dup = next((h for h in recent if h["action"] == "scrobble" and kind in h
                            and _match(h[kind], media)), None)  # fmt: skip
                if dup is not None:
                    until = datetime.strptime(dup["watched_at"], "%Y-%m-%dT%H:%M:%S.%fZ")
                    expires = until.replace(tzinfo=UTC) + timedelta(seconds=libs.duplicate_window_s)
                    return json_response(
                        {"watched_at": dup["watched_at"], "expires_at": iso(expires)}, 409
                    )
            lib.playback = [p for p in lib.playback if not (kind in p and _match(p[kind], media))]
            if watched:
                entry = {"id": lib.next_id(), "watched_at": iso(now), "action": "scrobble"}
                lib.history.append({**entry, "type": kind, kind: media, **extra})
                lib.activity["watched"] = iso(now)
            elif action in ("pause", "stop"):
                entry = {"id": lib.next_id(), "progress": progress, "paused_at": iso(now)}
                lib.playback.append({**entry, "type": kind, kind: media, **extra})
                lib.activity["paused"] = iso(now)
            record = {"id": len(libs.scrobbles) + 1, "action": "scrobble" if watched else
                      ("pause" if action == "stop" else action), "progress": progress,
                      "sharing": {"twitter": False, "mastodon": False, "tumblr": False},
                      kind: media}  # fmt: skip
            libs.scrobbles.append({"username": username, **record})
        return json_response(
            record, 201, headers={"x-ratelimit": libs.ratelimit_header(username, "POST")}
        )


def _movie_from_ids(ctx: UpstreamContext, ref: dict[str, Any]) -> dict[str, Any] | None:
    ids = ref.get("ids") if isinstance(ref.get("ids"), dict) else {}
    assert isinstance(ids, dict)
    tmdb_id = ids.get("tmdb")
    if isinstance(tmdb_id, int) and not isinstance(tmdb_id, bool) and ctx.catalogue.exists(tmdb_id):
        return movie_object(ctx.catalogue, tmdb_id)
    imdb = ids.get("imdb")
    found = ctx.catalogue.tmdb_id_of(imdb) if isinstance(imdb, str) else None
    return movie_object(ctx.catalogue, found) if found else None


def _episode_of_show(
    ctx: UpstreamContext, show_ref: dict[str, Any], ref: dict[str, Any]
) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """``({"season", "number", ...}, {"show": {...}})`` for a show given by its TMDB id."""
    raw = show_ref.get("ids")
    ids: dict[str, Any] = raw if isinstance(raw, dict) else {}
    tv_id, season, number = ids.get("tmdb"), ref.get("season"), ref.get("number")
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (tv_id, season, number)):
        return None, {}
    assert isinstance(tv_id, int) and isinstance(season, int) and isinstance(number, int)
    body = ctx.catalogue.tv_season(tv_id, season) if tv_id > 0 and season >= 0 else None
    if not body or not any(e.get("episode_number") == number for e in body.get("episodes", [])):
        return None, {}
    return episode_object(tv_id, season, number), {"show": show_object(ctx.catalogue, tv_id)}
