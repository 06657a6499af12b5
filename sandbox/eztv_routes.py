"""EZTV API routes (mounted under every mirror prefix: ``/eztv``, ``/eztv-mirror2``, ...).

``GET /api/get-torrents?imdb_id=<digits>&limit=&page=`` as the real API answers it: the
envelope carries ``imdb_id``, ``torrents_count``, ``limit`` and ``page``; ``torrents`` is left
out when the page is empty. EZTV clamps ``limit`` to 1..100 instead of refusing it, and an
``imdb_id`` it cannot read gives an empty listing.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from sandbox.http_common import JSON_UTF8, UpstreamContext, html_page, json_response, service_base

DEFAULT_LIMIT, MAX_LIMIT = 30, 100
MAX_PAGE = 10**6


def _clamped(raw: str | None, default: int, low: int, high: int) -> int:
    raw = (raw or "").strip()
    if not raw or not raw.isascii() or not raw.isdigit() or len(raw) > 9:
        return default
    return min(max(int(raw), low), high)


class EztvRoutes:
    """Handlers for one catalogue; the mirror prefix comes from the request path."""

    def __init__(self, ctx: UpstreamContext) -> None:
        self.ctx = ctx

    async def get_torrents(self, request: Request) -> Response:
        params = request.query_params
        limit = _clamped(params.get("limit"), DEFAULT_LIMIT, 1, MAX_LIMIT)
        page = _clamped(params.get("page"), 1, 1, MAX_PAGE)
        raw_imdb = params.get("imdb_id", "")[:20]
        digits = raw_imdb.strip().lower().removeprefix("tt")
        prefix = request.url.path.split("/")[1]
        torrents = self.ctx.catalogue.eztv_torrents(digits, service_base(request, prefix))
        body: dict[str, Any] = {
            "imdb_id": digits,
            "torrents_count": len(torrents),
            "limit": limit,
            "page": page,
        }
        chunk = torrents[(page - 1) * limit : page * limit]
        if chunk:
            body["torrents"] = chunk
        return json_response(body, media_type=JSON_UTF8)

    async def not_found(self, request: Request) -> Response:
        return html_page(404)
