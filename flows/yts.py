"""YTS ingest: ``list_movies.json?query_term=<imdb id>`` per movie, through the mirrors.

YTS is one :class:`~flows.providers.SourceProvider` (one answer per movie, no paging); the
mirrors, rate limit and fault handling are the shared provider client's. IMDb ids come from
the landed TMDB details (``imdb_id``, else ``external_ids.imdb_id``) of this run and of
earlier fresh rows, read back from DuckDB in one query per batch.
"""

from __future__ import annotations

from collections.abc import Iterable

from prefect import task
from prefect.cache_policies import NONE

from flows.context import IngestContext, Request
from flows.landing import latest_successes
from flows.providers import SourceProvider, fetch_sources
from flows.tmdb import MOVIES_TABLE, details_requests, is_imdb_id

YTS_TABLE = "raw_yts_movies"
LIST_MOVIES_PATH = "/api/v2/list_movies.json"

_IMDB_SQL = (
    "coalesce(nullif(json_extract_string(payload, '$.imdb_id'), ''), "
    "json_extract_string(payload, '$.external_ids.imdb_id'))"
)


def yts_request(imdb_id: str) -> Request:
    if not is_imdb_id(imdb_id):
        raise ValueError(f"not an IMDb id: {imdb_id!r}")
    return Request(LIST_MOVIES_PATH, {"query_term": imdb_id}, imdb_id)


class YtsProvider(SourceProvider):
    """Movies: ``query_term=<imdb id>`` answers with the movie and all its torrents."""

    name = "yts"
    table = YTS_TABLE

    def first_request(self, imdb_id: str) -> Request:
        return yts_request(imdb_id)


YTS = YtsProvider()


def imdb_ids_for(ctx: IngestContext, movie_ids: Iterable[int]) -> dict[int, str]:
    """TMDB id -> IMDb id from the latest successful details rows (this run or fresh).

    Values that are not well-formed IMDb ids (``tt`` + 7-10 digits) are ignored.
    """
    keys = [r.key for r in details_requests(movie_ids, ctx.settings.tmdb_languages)]
    rows = latest_successes(ctx.con, MOVIES_TABLE, keys, ctx.since, select=_IMDB_SQL)
    found: dict[int, str] = {}
    for _key, entity_key, _status, imdb in rows:
        if is_imdb_id(imdb) and str(entity_key).isdigit():
            found.setdefault(int(str(entity_key)), str(imdb))
    return found


@task(name="yts-movies", task_run_name="yts-{label}", cache_policy=NONE)
async def fetch_yts_movies(
    ctx: IngestContext, imdb_ids: list[str], label: str, checked_fresh: bool = False
) -> int:
    """Land the YTS answers for a chunk of IMDb ids (invalid ids are skipped).

    ``checked_fresh=True``: the caller already dropped the fresh ids.
    """
    return await fetch_sources(ctx, YTS, imdb_ids, check_fresh=not checked_fresh)
