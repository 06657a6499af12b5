"""TMDB v3 routes (mounted under ``/tmdb``): paths, paging, auth and error bodies as real."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta

from starlette.requests import Request
from starlette.responses import Response

from sandbox.catalogue import MAX_PAGE
from sandbox.http_common import (
    TMDB_JSON,
    UpstreamContext,
    dirty_html_page,
    int_param,
    json_response,
    tmdb_error,
)

Handler = Callable[[Request], Awaitable[Response]]

MOVIE_LISTS = ("popular", "top_rated", "now_playing", "upcoming")
TV_LISTS = ("popular", "top_rated")
APPENDABLE = ("translations", "images", "external_ids")
MAX_CHANGES_DAYS = 14
_LANGUAGE_RE = re.compile(r"^[a-zA-Z]{2}(-[a-zA-Z]{2})?$")
_MAX_ID = 10**9


def _language(request: Request) -> str:
    raw = request.query_params.get("language", "en-US")
    return raw if _LANGUAGE_RE.match(raw) else "en-US"


def _authorized(ctx: UpstreamContext, request: Request) -> bool:
    if not ctx.tmdb_api_key:
        return True
    if request.query_params.get("api_key") == ctx.tmdb_api_key:
        return True
    return request.headers.get("authorization", "") == f"Bearer {ctx.tmdb_api_key}"


def _ok(body: object) -> Response:
    return json_response(body, media_type=TMDB_JSON)


class TmdbRoutes:
    """Handlers; each takes the request and returns the full response."""

    def __init__(self, ctx: UpstreamContext) -> None:
        self.ctx = ctx

    def guarded(self, handler: Handler) -> Handler:
        """Wrap ``handler`` with TMDB's API-key check (401 status_code 7)."""

        async def endpoint(request: Request) -> Response:
            if not _authorized(self.ctx, request):
                return tmdb_error(7)
            return await handler(request)

        return endpoint

    async def configuration(self, request: Request) -> Response:
        return _ok(self.ctx.catalogue.configuration())

    async def genres(self, request: Request) -> Response:
        kind = request.path_params["kind"]
        catalogue = self.ctx.catalogue
        if kind == "movie":
            return _ok(catalogue.genres(_language(request)))
        if kind == "tv":
            return _ok(catalogue.tv_genres(_language(request)))
        return tmdb_error(34)

    def movie_list(self, name: str) -> Handler:
        """Handler of ``/3/movie/{popular|top_rated|now_playing|upcoming}``."""

        async def endpoint(request: Request) -> Response:
            return self._list_page(request, name)

        return endpoint

    async def movie(self, request: Request) -> Response:
        """``/3/movie/{id}?append_to_response=...&language=...``."""
        name: str = request.path_params["name"]
        tmdb_id = _id_param(name)
        catalogue = self.ctx.catalogue
        body = catalogue.movie(tmdb_id, _language(request)) if tmdb_id else None
        if body is None:
            return tmdb_error(34)
        if catalogue.dirty_kind(tmdb_id) == "tmdb_html":
            return dirty_html_page()
        wanted = _appended(request)
        for key in APPENDABLE:
            if key not in wanted:
                del body[key]
        return _ok(body)

    def tv_list(self, name: str) -> Handler:
        """Handler of ``/3/tv/{popular|top_rated}``."""

        async def endpoint(request: Request) -> Response:
            return self._tv_list_page(request, name)

        return endpoint

    async def tv_trending(self, request: Request) -> Response:
        window = request.path_params["window"]
        if window not in ("day", "week"):
            return tmdb_error(34)
        return self._tv_list_page(request, f"trending_{window}")

    def _tv_list_page(self, request: Request, name: str) -> Response:
        page = int_param(request.query_params.get("page"), 1, 1, MAX_PAGE)
        if page is None:
            return tmdb_error(22)
        return _ok(self.ctx.catalogue.tv_list_page(name, page, _language(request)))

    async def tv(self, request: Request) -> Response:
        """``/3/tv/{id}?append_to_response=external_ids,translations,images``."""
        tv_id = _id_param(request.path_params["tv_id"])
        body = self.ctx.catalogue.tv_show(tv_id, _language(request)) if tv_id else None
        if body is None:
            return tmdb_error(34)
        wanted = _appended(request)
        for key in APPENDABLE:
            if key not in wanted:
                del body[key]
        return _ok(body)

    async def tv_season(self, request: Request) -> Response:
        tv_id = _id_param(request.path_params["tv_id"])
        number = _id_param(request.path_params["season"])
        body = self.ctx.catalogue.tv_season(tv_id, number) if tv_id and number else None
        return tmdb_error(34) if body is None else _ok(body)

    async def trending(self, request: Request) -> Response:
        window = request.path_params["window"]
        if window not in ("day", "week"):
            return tmdb_error(34)
        return self._list_page(request, f"trending_{window}")

    async def not_found(self, request: Request) -> Response:
        return tmdb_error(34)

    def _list_page(self, request: Request, name: str) -> Response:
        page = int_param(request.query_params.get("page"), 1, 1, MAX_PAGE)
        if page is None:
            return tmdb_error(22)
        return _ok(self.ctx.catalogue.list_page(name, page, _language(request)))

    async def changes(self, request: Request) -> Response:
        """``/3/movie/changes?start_date=&end_date=&page=`` (at most 14 days)."""
        return self._changes(request, "movie")

    async def tv_changes(self, request: Request) -> Response:
        """``/3/tv/changes?start_date=&end_date=&page=`` (at most 14 days)."""
        return self._changes(request, "tv")

    def _changes(self, request: Request, kind: str) -> Response:
        page = int_param(request.query_params.get("page"), 1, 1, MAX_PAGE)
        if page is None:
            return tmdb_error(22)
        today = datetime.now(UTC).date()
        try:
            end = _date_param(request.query_params.get("end_date"), today)
            start = _date_param(request.query_params.get("start_date"), end - timedelta(days=1))
        except ValueError:
            return tmdb_error(23)
        if start > end or (end - start).days > MAX_CHANGES_DAYS:
            return tmdb_error(20)
        catalogue = self.ctx.catalogue
        feed = catalogue.changes if kind == "movie" else catalogue.tv_changes
        return _ok(feed(start, end, page))


def _id_param(raw: str) -> int:
    """A path id as an int; 0 (never an id) when it is not a plain decimal number."""
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 10:
        return 0
    value = int(raw)
    return value if value < _MAX_ID else 0


def _appended(request: Request) -> set[str]:
    raw = request.query_params.get("append_to_response", "")
    return {part.strip() for part in raw.split(",")}


def _date_param(raw: str | None, default: date) -> date:
    if raw is None:
        return default
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
        raise ValueError(f"not a YYYY-MM-DD date: {raw!r}")
    return date.fromisoformat(raw)
