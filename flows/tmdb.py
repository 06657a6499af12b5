"""TMDB ingest: configuration, genres, lists and movie details, landed raw.

Each Prefect task here is a batch (a whole list, a chunk of a few hundred movie ids),
fetched concurrently through the shared TMDB client of the run; the plain ``async``
body is reachable as ``task.fn`` for callers that run without Prefect.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import Any

import orjson
from prefect import task
from prefect.cache_policies import NONE

from flows.context import IngestContext, Request, fetch_and_land
from flows.landing import fresh_keys, latest_successes

CONFIGURATION_TABLE = "raw_tmdb_configuration"
GENRES_TABLE = "raw_tmdb_genres"
LISTS_TABLE = "raw_tmdb_lists"
MOVIES_TABLE = "raw_tmdb_movies"

# TMDB's 404 (status_code 34) says the id is gone: an answer, landed and kept fresh.
ANSWER_STATUSES = (404,)
LIST_PATHS = {
    "popular": "/3/movie/popular",
    "top_rated": "/3/movie/top_rated",
    "trending": "/3/trending/movie/week",
}
MAX_PAGE = 500  # TMDB rejects page > 500
DETAILS_APPEND = "external_ids,images,translations"
MAX_TMDB_ID = 2**63 - 1
IMDB_ID = re.compile(r"tt\d{7,10}", re.ASCII)


def configuration_request() -> Request:
    return Request("/3/configuration", {}, "configuration")


def genre_request(language: str) -> Request:
    return Request("/3/genre/movie/list", {"language": language}, language)


def list_page_request(name: str, page: int, language: str) -> Request:
    if name not in LIST_PATHS:
        raise ValueError(f"unknown TMDB list {name!r}; known: {sorted(LIST_PATHS)}")
    return Request(LIST_PATHS[name], {"language": language, "page": page}, f"{name}:{page}")


def details_request(movie_id: int, language: str) -> Request:
    return Request(
        f"/3/movie/{int(movie_id)}",
        {"append_to_response": DETAILS_APPEND, "language": language},
        str(int(movie_id)),
    )


def details_requests(movie_ids: Iterable[int], languages: Sequence[str]) -> list[Request]:
    return [details_request(m, lang) for m in movie_ids for lang in languages]


def is_imdb_id(value: object) -> bool:
    """``tt`` + 7-10 ASCII digits, nothing else (it ends up in a query string)."""
    return isinstance(value, str) and IMDB_ID.fullmatch(value) is not None


def imdb_from_details(data: dict[str, Any]) -> str | None:
    """The IMDb id of a details body: ``imdb_id``, else ``external_ids.imdb_id``."""
    value = data.get("imdb_id")
    if not value:
        external = data.get("external_ids")
        value = external.get("imdb_id") if isinstance(external, dict) else None
    return value if is_imdb_id(value) else None


def is_tmdb_id(value: object) -> bool:
    return type(value) is int and 0 < value <= MAX_TMDB_ID


def total_pages(data: Any) -> int | None:
    """``total_pages`` of a list page when it is a sane integer, else None (unknown)."""
    if not isinstance(data, dict):
        return None
    value = data.get("total_pages")
    return value if type(value) is int and value >= 0 else None


def movie_ids_from_page(data: Any) -> list[int]:
    """Valid movie ids of a list page, in order; anything malformed is skipped."""
    results = data.get("results") if isinstance(data, dict) else None
    if not isinstance(results, list):
        return []
    return [item["id"] for item in results if isinstance(item, dict) and is_tmdb_id(item.get("id"))]


def pages_to_fetch(first_page: Any, configured: int) -> range:
    """Pages 2..N to fetch after page 1: stop at ``total_pages`` when it is known."""
    known = total_pages(first_page)
    last = min(configured, MAX_PAGE) if known is None else min(configured, known, MAX_PAGE)
    return range(2, last + 1)


@task(name="tmdb-configuration", task_run_name="tmdb-configuration", cache_policy=NONE)
async def fetch_configuration(ctx: IngestContext) -> int:
    """Land ``/3/configuration`` (image base URL and sizes)."""
    done = await fetch_and_land(
        ctx, CONFIGURATION_TABLE, ctx.clients.tmdb, [configuration_request()]
    )
    for result in done:
        if result.status in (401, 403):  # a bad key fails every request: stop here
            result.raise_for_error()
    return len(done)


@task(name="tmdb-genres", task_run_name="tmdb-genres", cache_policy=NONE)
async def fetch_genres(ctx: IngestContext) -> int:
    """Land the movie genre list for every configured language."""
    requests = [genre_request(lang) for lang in ctx.settings.tmdb_languages]
    return len(await fetch_and_land(ctx, GENRES_TABLE, ctx.clients.tmdb, requests))


@task(name="tmdb-list", task_run_name="tmdb-list-{name}", cache_policy=NONE)
async def fetch_list(ctx: IngestContext, name: str) -> list[str]:
    """Land all pages of one list (page 1 first, to learn ``total_pages``).

    Returns the request keys of the pages that make up the list this run.
    """
    return await land_list_pages(ctx, LISTS_TABLE, partial(list_page_request, name))


async def land_list_pages(
    ctx: IngestContext, table: str, page_request: Callable[[int, str], Request]
) -> list[str]:
    """Land the pages of one TMDB list (movie or TV) into ``table``: page 1 first (landed
    fresh, or read back when still fresh) to learn ``total_pages``, then the rest.

    ``page_request(page, language)`` builds a page's request; returns the request keys of
    the pages that make up the list this run.
    """
    language = ctx.settings.tmdb_languages[0]
    first = page_request(1, language)
    done = await fetch_and_land(ctx, table, ctx.clients.tmdb, [first], keep_data=True)
    if done:
        first_data = done[0].data if done[0].ok else None
    else:  # fresh: read the landed page 1
        rows = latest_successes(ctx.con, table, [first.key], ctx.since)
        first_data = _loads(rows[0][3]) if rows else None
    rest = [
        page_request(page, language)
        for page in pages_to_fetch(first_data, ctx.settings.tmdb_list_pages)
    ]
    await fetch_and_land(ctx, table, ctx.clients.tmdb, rest)
    return [first.key, *(r.key for r in rest)]


@task(name="tmdb-movie-details", task_run_name="tmdb-movies-{label}", cache_policy=NONE)
async def fetch_movie_details(
    ctx: IngestContext,
    movie_ids: list[int],
    label: str,
    refetch: frozenset[int] = frozenset(),
) -> dict[int, str]:
    """Land details (+external_ids, images, translations) for a chunk of movie ids.

    Only the (id, language) requests that are not fresh are sent, plus every request of
    the ids in ``refetch`` (named by the changes feed, or a full refresh). Returns TMDB id
    -> IMDb id for the movies whose details were fetched now (read from the bodies as they
    arrive, so the YTS step needs no second pass over the payloads).
    """
    requests = details_requests(movie_ids, ctx.settings.tmdb_languages)
    if refetch:
        fresh = fresh_keys(
            ctx.con,
            MOVIES_TABLE,
            [r.key for r in requests],
            ctx.max_age_for(MOVIES_TABLE),
            answer_statuses=ANSWER_STATUSES,
        )
        todo = [r for r in requests if r.key not in fresh or int(r.entity_key) in refetch]
        ctx.count(MOVIES_TABLE).skipped_fresh += len(requests) - len(todo)
        requests = todo
    done = await fetch_and_land(
        ctx,
        MOVIES_TABLE,
        ctx.clients.tmdb,
        requests,
        answer_statuses=ANSWER_STATUSES,
        extract=imdb_from_details,
        check_fresh=not refetch,
    )
    found: dict[int, str] = {}
    for result in done:
        if result.ok and result.status == 200 and is_imdb_id(result.data):
            found.setdefault(int(result.entity_key), result.data)
    return found


def list_movie_ids(ctx: IngestContext, page_keys: Sequence[str]) -> list[int]:
    """Distinct movie ids of the landed list pages (this run's or fresh), in list order."""
    rows = latest_successes(ctx.con, LISTS_TABLE, page_keys, ctx.since)
    by_key = {str(row[0]): row[3] for row in rows}
    seen: dict[int, None] = {}
    for key in page_keys:
        for movie_id in movie_ids_from_page(_loads(by_key.get(key))):
            seen.setdefault(movie_id, None)
    return list(seen)


def _loads(payload: object) -> Any:
    if not isinstance(payload, str):
        return None
    try:
        return orjson.loads(payload)
    except orjson.JSONDecodeError:
        return None
