"""TMDB TV ingest: TV genres, TV lists, show details and seasons, landed raw.

Like flows/tmdb.py for movies: each Prefect task is a batch (all languages' genres, one list,
a chunk of shows, the seasons of a chunk of shows), fetched concurrently through the run's
shared TMDB client. Show details carry ``external_ids,translations,images``; a season is
one request (``/3/tv/{id}/season/{n}``, its episodes inside).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial

import orjson
from prefect import task
from prefect.cache_policies import NONE

from flows.context import IngestContext, Request, fetch_and_land
from flows.landing import fresh_keys, latest_successes
from flows.tmdb import ANSWER_STATUSES, is_imdb_id, is_tmdb_id, land_list_pages
from flows.tmdb import movie_ids_from_page as ids_from_page  # any TMDB list page

TV_GENRES_TABLE = "raw_tmdb_tv_genres"
TV_LISTS_TABLE = "raw_tmdb_tv_lists"
SHOWS_TABLE = "raw_tmdb_shows"
SEASONS_TABLE = "raw_tmdb_seasons"

TV_LIST_PATHS = {
    "popular": "/3/tv/popular",
    "top_rated": "/3/tv/top_rated",
    "trending": "/3/trending/tv/week",
}
SHOW_APPEND = "external_ids,translations,images"
MAX_SEASON = 1_000  # season numbers are small; anything beyond is garbage
MAX_SEASONS_PER_SHOW = 100

_FACTS_SQL = (
    "json_extract_string(payload, '$.external_ids.imdb_id'), "
    "CAST(json_extract(payload, '$.seasons[*].season_number') AS VARCHAR)"
)


@dataclass(frozen=True)
class ShowFacts:
    """What the season and EZTV steps need from a landed show: IMDb id, season numbers."""

    show_id: int
    imdb_id: str | None
    seasons: tuple[int, ...]


def tv_genre_request(language: str) -> Request:
    return Request("/3/genre/tv/list", {"language": language}, language)


def tv_list_page_request(name: str, page: int, language: str) -> Request:
    if name not in TV_LIST_PATHS:
        raise ValueError(f"unknown TMDB TV list {name!r}; known: {sorted(TV_LIST_PATHS)}")
    return Request(TV_LIST_PATHS[name], {"language": language, "page": page}, f"{name}:{page}")


def show_request(show_id: int, language: str) -> Request:
    if not is_tmdb_id(show_id):
        raise ValueError(f"not a TMDB id: {show_id!r}")
    return Request(
        f"/3/tv/{show_id}", {"append_to_response": SHOW_APPEND, "language": language}, str(show_id)
    )


def season_request(show_id: int, season: int, language: str) -> Request:
    if not is_tmdb_id(show_id) or type(season) is not int or not 0 <= season <= MAX_SEASON:
        raise ValueError(f"not a show/season pair: {show_id!r}/{season!r}")
    return Request(
        f"/3/tv/{show_id}/season/{season}", {"language": language}, f"{show_id}:{season}"
    )


def show_requests(show_ids: Iterable[int], languages: Sequence[str]) -> list[Request]:
    return [show_request(s, lang) for s in show_ids for lang in languages]


def due_requests(
    ctx: IngestContext, table: str, requests: list[Request], refetch: frozenset[int]
) -> list[Request]:
    """The requests that are not fresh, plus every one of a show in ``refetch`` (named by
    the TV changes feed, or a full refresh); entity keys start with the show id."""
    fresh = fresh_keys(
        ctx.con,
        table,
        [r.key for r in requests],
        ctx.max_age_for(table),
        answer_statuses=ANSWER_STATUSES,
    )
    todo = [
        r for r in requests if r.key not in fresh or int(r.entity_key.partition(":")[0]) in refetch
    ]
    ctx.count(table).skipped_fresh += len(requests) - len(todo)
    return todo


def season_numbers(raw: object) -> tuple[int, ...]:
    """Distinct sane season numbers of a JSON list (as text); anything malformed is dropped."""
    if not isinstance(raw, str):
        return ()
    try:
        values = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return ()
    if not isinstance(values, list):
        return ()
    good = (v for v in values if type(v) is int and 0 <= v <= MAX_SEASON)
    return tuple(sorted(dict.fromkeys(good)))[:MAX_SEASONS_PER_SHOW]


def show_facts(ctx: IngestContext, show_ids: Iterable[int]) -> dict[int, ShowFacts]:
    """Facts of the shows whose details (first language) landed successfully and are fresh."""
    language = ctx.settings.tmdb_languages[0]
    keys = [show_request(s, language).key for s in show_ids]
    rows = latest_successes(ctx.con, SHOWS_TABLE, keys, ctx.since, select=_FACTS_SQL)
    facts: dict[int, ShowFacts] = {}
    for _key, entity_key, status, imdb, seasons in rows:
        if status != 200 or not str(entity_key).isdigit():
            continue
        show_id = int(str(entity_key))
        imdb_id = str(imdb) if is_imdb_id(imdb) else None
        facts[show_id] = ShowFacts(show_id, imdb_id, season_numbers(seasons))
    return facts


def list_show_ids(ctx: IngestContext, page_keys: Sequence[str]) -> list[int]:
    """Distinct show ids of the landed TV list pages (this run's or fresh), in list order."""
    rows = latest_successes(ctx.con, TV_LISTS_TABLE, page_keys, ctx.since)
    by_key = {str(row[0]): row[3] for row in rows}
    seen: dict[int, None] = {}
    for key in page_keys:
        for show_id in ids_from_page(_loads(by_key.get(key))):
            seen.setdefault(show_id, None)
    return list(seen)


@task(name="tmdb-tv-genres", task_run_name="tmdb-tv-genres", cache_policy=NONE)
async def fetch_tv_genres(ctx: IngestContext) -> int:
    """Land the TV genre list for every configured language."""
    requests = [tv_genre_request(lang) for lang in ctx.settings.tmdb_languages]
    return len(await fetch_and_land(ctx, TV_GENRES_TABLE, ctx.clients.tmdb, requests))


@task(name="tmdb-tv-list", task_run_name="tmdb-tv-list-{name}", cache_policy=NONE)
async def fetch_tv_list(ctx: IngestContext, name: str) -> list[str]:
    """Land all pages of one TV list (page 1 first, to learn ``total_pages``); returns the
    request keys of the pages that make up the list this run."""
    return await land_list_pages(ctx, TV_LISTS_TABLE, partial(tv_list_page_request, name))


@task(name="tmdb-show-details", task_run_name="tmdb-shows-{label}", cache_policy=NONE)
async def fetch_show_details(
    ctx: IngestContext, show_ids: list[int], label: str, refetch: frozenset[int] = frozenset()
) -> int:
    """Land details (+external_ids, translations, images) of a chunk of shows, per language;
    only the requests that are not fresh are sent, plus every one of the shows in
    ``refetch``. TMDB's 404 (show gone) is an answer."""
    requests = show_requests(show_ids, ctx.settings.tmdb_languages)
    if refetch:
        requests = due_requests(ctx, SHOWS_TABLE, requests, refetch)
    done = await fetch_and_land(
        ctx,
        SHOWS_TABLE,
        ctx.clients.tmdb,
        requests,
        answer_statuses=ANSWER_STATUSES,
        check_fresh=not refetch,
    )
    return len(done)


@task(name="tmdb-seasons", task_run_name="tmdb-seasons-{label}", cache_policy=NONE)
async def fetch_seasons(
    ctx: IngestContext, facts: list[ShowFacts], label: str, refetch: frozenset[int] = frozenset()
) -> int:
    """Land every season (with its episodes) of a chunk of shows: one request per season;
    fresh seasons are skipped unless their show is in ``refetch``."""
    language = ctx.settings.tmdb_languages[0]
    requests = [season_request(f.show_id, n, language) for f in facts for n in f.seasons]
    if refetch:
        requests = due_requests(ctx, SEASONS_TABLE, requests, refetch)
    done = await fetch_and_land(
        ctx,
        SEASONS_TABLE,
        ctx.clients.tmdb,
        requests,
        answer_statuses=ANSWER_STATUSES,
        check_fresh=not refetch,
    )
    return len(done)


def _loads(payload: object) -> object:
    if not isinstance(payload, str):
        return None
    try:
        return orjson.loads(payload)
    except orjson.JSONDecodeError:
        return None
