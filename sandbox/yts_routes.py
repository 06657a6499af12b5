"""YTS v2 routes (mounted under every mirror prefix: ``/yts``, ``/yts-mirror2``, ...)."""

from __future__ import annotations

import re
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from sandbox.catalogue import YTS_SORT_KEYS
from sandbox.http_common import (
    JSON_UTF8,
    UpstreamContext,
    dirty_html_page,
    html_page,
    int_param,
    json_response,
    service_base,
)
from sandbox.yts_records import QUALITY_FILTERS

DEFAULT_LIMIT, MAX_LIMIT = 20, 50
MAX_QUERY_TERM = 200
_HASH_RE = re.compile(r"^[0-9A-Fa-f]{40}$")


def _meta() -> dict[str, Any]:
    return {
        "server_time": int(time.time()),
        "server_timezone": "CET",
        "api_version": 2,
        "execution_time": "0 ms",
    }


def yts_error(message: str) -> Response:
    """YTS reports bad parameters inside a 200 envelope: ``status: error``."""
    return json_response({"status": "error", "status_message": message, "@meta": _meta()})


class YtsRoutes:
    """Handlers for one catalogue; the mirror prefix comes from the route's path params."""

    def __init__(self, ctx: UpstreamContext) -> None:
        self.ctx = ctx

    async def list_movies(self, request: Request) -> Response:
        params = request.query_params
        limit = int_param(params.get("limit"), DEFAULT_LIMIT, 1, MAX_LIMIT)
        if limit is None:
            return yts_error(f"Invalid limit: must be an integer between 1 and {MAX_LIMIT}")
        page = int_param(params.get("page"), 1, 1, 10**6)
        if page is None:
            return yts_error("Invalid page: must be a positive integer")
        quality = params.get("quality", "all")
        if quality.lower() not in ("all", *(q.lower() for q in QUALITY_FILTERS)):
            return yts_error(f"Invalid quality: expected one of {', '.join(QUALITY_FILTERS)}")
        minimum_rating = int_param(params.get("minimum_rating"), 0, 0, 9)
        if minimum_rating is None:
            return yts_error("Invalid minimum_rating: must be an integer between 0 and 9")
        sort_by = params.get("sort_by", "date_added")
        if sort_by not in YTS_SORT_KEYS:
            return yts_error(f"Invalid sort_by: expected one of {', '.join(YTS_SORT_KEYS)}")
        order_by = params.get("order_by", "desc")
        if order_by not in ("desc", "asc"):
            return yts_error("Invalid order_by: expected desc or asc")
        query_term = params.get("query_term", "0")
        if len(query_term) > MAX_QUERY_TERM:
            return yts_error(f"Invalid query_term: longer than {MAX_QUERY_TERM} characters")

        catalogue = self.ctx.catalogue
        ids = catalogue.yts_search(
            query_term=query_term,
            quality=quality,
            minimum_rating=minimum_rating,
            sort_by=sort_by,
            order_by=order_by,
        )
        looked_up = catalogue.tmdb_id_of(query_term)
        if looked_up is not None and catalogue.dirty_kind(looked_up) == "yts_html":
            return dirty_html_page()
        base = service_base(request, request.url.path.split("/")[1])
        data: dict[str, Any] = {"movie_count": len(ids), "limit": limit, "page_number": page}
        movies = []
        for tmdb_id in ids[(page - 1) * limit : page * limit]:
            movie = catalogue.yts_movie_of(tmdb_id, base)
            if movie is not None:
                movies.append(movie)
        if movies:
            data["movies"] = movies
        body = {
            "status": "ok",
            "status_message": "Query was successful",
            "data": data,
            "@meta": _meta(),
        }
        return json_response(body, media_type=JSON_UTF8)

    async def download(self, request: Request) -> Response:
        info_hash: str = request.path_params["info_hash"]
        blob = self.ctx.catalogue.torrent_file(info_hash) if _HASH_RE.match(info_hash) else None
        if blob is None:
            return html_page(404)
        return Response(
            blob,
            media_type="application/x-bittorrent",
            headers={"content-disposition": f'attachment; filename="{info_hash.upper()}.torrent"'},
        )

    async def not_found(self, request: Request) -> Response:
        return html_page(404)
