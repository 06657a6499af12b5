"""YTS request building and IMDb id extraction from landed TMDB details."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import timedelta

import duckdb
import httpx
import pytest

from core.clock import utcnow
from core.settings import Settings
from flows.clients import Clients, open_clients
from flows.context import IngestContext
from flows.http import Fetched
from flows.landing import land
from flows.tmdb import MOVIES_TABLE, details_request
from flows.yts import imdb_ids_for, is_imdb_id, yts_request
from warehouse.schema import ensure_base_schema


@pytest.mark.parametrize("value", ["tt0137523", "tt1234567", "tt1234567890", "tt29623480"])
def test_valid_imdb_ids(value: str) -> None:
    assert is_imdb_id(value)


@pytest.mark.parametrize(
    "value",
    [
        "tt123456",
        "tt12345678901",
        "TT0137523",
        " tt0137523",
        "tt0137523\n",
        "tt0137523&limit=50",
        "tt013752a",
        "nm0000001",
        "",
        None,
        137523,
        "tt\u0661\u0662\u0663\u0664\u0665\u0666\u0667",  # Arabic-Indic digits
    ],
)
def test_invalid_imdb_ids(value: object) -> None:
    assert not is_imdb_id(value)


def test_yts_request_key_is_mirror_independent() -> None:
    request = yts_request("tt0137523")
    assert request.key == "GET /api/v2/list_movies.json?query_term=tt0137523"
    assert request.entity_key == "tt0137523"
    with pytest.raises(ValueError, match="not an IMDb id"):
        yts_request("tt1&page=2")


@pytest.fixture
def ctx(settings: Settings) -> Iterator[IngestContext]:
    con = duckdb.connect(":memory:")
    ensure_base_schema(con)
    # imdb_ids_for only reads DuckDB; the clients are never used.
    clients: Clients = asyncio.run(_dummy_clients(settings))
    yield IngestContext(con, clients, settings, "run-1")
    con.close()


async def _dummy_clients(settings: Settings) -> Clients:
    transport = httpx.MockTransport(lambda r: httpx.Response(500))
    async with open_clients(settings, transport=transport) as clients:
        return clients


def _row(movie_id: int, payload: object, *, status: int = 200, age_h: float = 0) -> Fetched:
    request = details_request(movie_id, "en")
    return Fetched(
        request_key=request.key,
        entity_key=request.entity_key,
        url=f"http://tmdb.test/3/movie/{movie_id}",
        fetched_at=utcnow() - timedelta(hours=age_h),
        status=status,
        payload=payload if isinstance(payload, str) else json.dumps(payload),
        ok=True,
        attempts=1,
    )


def test_imdb_ids_come_from_imdb_id_or_external_ids(ctx: IngestContext) -> None:
    land(
        ctx.con,
        MOVIES_TABLE,
        [
            _row(1, {"imdb_id": "tt0000001"}),
            _row(2, {"imdb_id": None, "external_ids": {"imdb_id": "tt0000002"}}),
            _row(3, {"imdb_id": "", "external_ids": {"imdb_id": "tt0000003"}}),
            _row(4, {"imdb_id": None, "external_ids": {}}),
        ],
        "run-1",
    )
    assert imdb_ids_for(ctx, [1, 2, 3, 4, 5]) == {1: "tt0000001", 2: "tt0000002", 3: "tt0000003"}


def test_hostile_imdb_values_are_ignored(ctx: IngestContext) -> None:
    land(
        ctx.con,
        MOVIES_TABLE,
        [
            _row(1, {"imdb_id": "tt1&limit=50"}),
            _row(2, {"imdb_id": 1234567}),
            _row(3, {"imdb_id": ["tt0000003"]}),
            _row(4, "<html>not json</html>"),
            _row(5, {"imdb_id": "tt0000005' OR 1=1 --"}),
        ],
        "run-1",
    )
    assert imdb_ids_for(ctx, [1, 2, 3, 4, 5]) == {}


def test_404_failed_and_stale_rows_give_no_imdb_id(ctx: IngestContext) -> None:
    land(
        ctx.con,
        MOVIES_TABLE,
        [
            _row(1, {"imdb_id": "tt0000001"}, status=404),
            _row(2, {"imdb_id": "tt0000002"}, status=503),
            _row(3, {"imdb_id": "tt0000003"}, age_h=ctx.settings.details_freshness_hours + 1),
        ],
        "run-1",
    )
    assert imdb_ids_for(ctx, [1, 2, 3]) == {}


def test_latest_success_wins(ctx: IngestContext) -> None:
    land(ctx.con, MOVIES_TABLE, [_row(1, {"imdb_id": "tt0000001"}, age_h=2)], "old")
    land(ctx.con, MOVIES_TABLE, [_row(1, {"imdb_id": "tt0000009"}, age_h=1)], "new")
    assert imdb_ids_for(ctx, [1]) == {1: "tt0000009"}
