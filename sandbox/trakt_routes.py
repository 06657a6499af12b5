"""Trakt routes (mounted under ``/trakt``): public lists and the device-code endpoint.

Kept small on purpose: trending/popular lists with Trakt's pagination and rate-limit
headers, and ``POST /oauth/device/code``. Header checks as the real API when a client id
is configured: ``trakt-api-version: 2`` and ``trakt-api-key: <client id>``.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from sandbox import vocab
from sandbox.http_common import UpstreamContext, int_param, json_response
from sandbox.randomness import SALT_TRAKT, mix, rng

DEFAULT_LIMIT, MAX_LIMIT = 10, 100
RATE_LIMIT = 1000
_EPOCH = datetime(2025, 6, 1, tzinfo=UTC)
_device_codes = itertools.count(1)


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


class TraktRoutes:
    def __init__(self, ctx: UpstreamContext) -> None:
        self.ctx = ctx
        self._gets = 0

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
        try:
            payload = json.loads(await request.body() or b"{}")
        except (ValueError, UnicodeDecodeError):
            return json_response({"error": "invalid_request"}, 400)
        if not isinstance(payload, dict) or not isinstance(payload.get("client_id", ""), str):
            return json_response({"error": "invalid_request"}, 400)
        client_id = self.ctx.trakt_client_id
        if client_id and payload.get("client_id") != client_id:
            return json_response({"error": "invalid_client"}, 401)
        n = next(_device_codes)
        digest = hashlib.sha256(f"{self.ctx.catalogue.seed}:device:{n}".encode()).hexdigest()
        return json_response(
            {
                "device_code": digest,
                "user_code": digest[:8].upper(),
                "verification_url": "https://trakt.tv/activate",
                "expires_in": 600,
                "interval": 5,
            },
            media_type="application/json",
        )

    async def not_found(self, request: Request) -> Response:
        return Response(b"", status_code=404)
