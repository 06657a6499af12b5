"""EZTV ingest: ``/api/get-torrents?imdb_id=<digits>&limit=100&page=n`` per show.

EZTV is the episode :class:`~flows.providers.SourceProvider`: the show's IMDb id (from the
landed TMDB show's ``external_ids``) goes in without its ``tt``; a show with more than
``PAGE_LIMIT`` torrents is paged, up to ``MAX_PAGES`` (the first answer's
``torrents_count`` says how many pages there are). Mirrors, rate limit and fault handling
are the shared provider client's (``MIAUFLIX_EZTV_URLS``, ``MIAUFLIX_EZTV_RATE_LIMIT``).
"""

from __future__ import annotations

import math
from typing import Any

from prefect import task
from prefect.cache_policies import NONE

from flows.context import IngestContext, Request
from flows.providers import SourceProvider, fetch_sources
from flows.tmdb import is_imdb_id

EZTV_TABLE = "raw_eztv_torrents"
GET_TORRENTS_PATH = "/api/get-torrents"
PAGE_LIMIT = 100  # EZTV's ceiling per page
MAX_PAGES = 30  # 3,000 torrents per show: beyond that, the oldest are not worth streaming


def eztv_request(imdb_id: str, page: int = 1) -> Request:
    """The request of one page; entity key ``"<imdb id>:<page>"``."""
    if not is_imdb_id(imdb_id):
        raise ValueError(f"not an IMDb id: {imdb_id!r}")
    if not 1 <= page <= MAX_PAGES:
        raise ValueError(f"EZTV page must be 1..{MAX_PAGES}, got {page}")
    params: dict[str, str | int] = {"imdb_id": imdb_id[2:], "limit": PAGE_LIMIT, "page": page}
    return Request(GET_TORRENTS_PATH, params, f"{imdb_id}:{page}")


def split_entity_key(entity_key: str) -> tuple[str, int | None]:
    """``"tt1234567:2"`` -> ``("tt1234567", 2)``; a key without a usable page -> None."""
    imdb_id, _, page = entity_key.partition(":")
    return imdb_id, int(page) if page.isascii() and page.isdigit() and len(page) < 6 else None


def page_count(torrents_count: Any) -> int:
    """Pages announced by ``torrents_count`` (0 for a missing or nonsensical count)."""
    if type(torrents_count) is not int or torrents_count <= 0:
        return 0
    return min(math.ceil(torrents_count / PAGE_LIMIT), MAX_PAGES)


class EztvProvider(SourceProvider):
    """Episodes and season packs of a show, newest first, paged."""

    name = "eztv"
    table = EZTV_TABLE

    def first_request(self, imdb_id: str) -> Request:
        return eztv_request(imdb_id, 1)

    def extract(self, data: dict[str, Any]) -> Any:
        return data.get("torrents_count")

    def more_requests(self, imdb_id: str, first_page: Any) -> list[Request]:
        imdb, page = split_entity_key(imdb_id)
        if page != 1 or not is_imdb_id(imdb):
            return []
        return [eztv_request(imdb, n) for n in range(2, page_count(first_page) + 1)]


EZTV = EztvProvider()


@task(name="eztv-shows", task_run_name="eztv-{label}", cache_policy=NONE)
async def fetch_eztv_shows(ctx: IngestContext, imdb_ids: list[str], label: str) -> int:
    """Land every EZTV page of a chunk of shows (invalid IMDb ids are skipped)."""
    return await fetch_sources(ctx, EZTV, imdb_ids)
