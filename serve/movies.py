"""``/api/movies``: the paged, filtered catalogue and one movie with its ranked sources.

Every query is parameterised; the only SQL assembled from input is chosen from fixed
whitelists (sort orders, profile columns). Sources never carry an info hash, magnet or
torrent URL: only the opaque ``source_id`` the engine resolves.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint
from flask.typing import ResponseReturnValue

from core.catalog.snapshots import CatalogSnapshot
from serve.catalogue import (
    DEFAULT_PER_PAGE,
    LISTS,
    MAX_PAGE,
    MAX_PER_PAGE,
    MAX_QUERY,
    PROFILE_COLUMNS,
    PROFILES,
    escape_like,
    gallery,
    genres_by_id,
    image_urls,
    localised,
    page_answer,
    paged_ids,
    placeholders,
    rows_by_id,
    source_answer,
)
from serve.errors import NotFound
from serve.extensions import catalog_reader, response_cache
from serve.params import (
    MAX_ID,
    InvalidParameter,
    choice_arg,
    int_arg,
    language_arg,
    parse_int,
    text_arg,
)
from serve.response_cache import cached_json
from serve.tokens import protect_catalogue

bp = Blueprint("movies", __name__, url_prefix="/api/movies")

CURATED_LIST = re.compile(r"trakt-[a-z0-9-]{1,58}")  # Trakt's public lists, as published
SORTS = ("popularity", "vote_average", "release_date", "title")

_ORDER = {
    "popularity": "m.popularity DESC, m.tmdb_id",
    "vote_average": "m.vote_average DESC, m.vote_count DESC, m.tmdb_id",
    "release_date": "m.release_date DESC, m.tmdb_id",
    "title": "m.title COLLATE NOCASE, m.tmdb_id",
    # Title in another language: movie_titles holds one sort title per (language, movie).
    "localised_title": "lt.title COLLATE NOCASE, lt.tmdb_id",
}
_TEXT_COLUMNS = ("title", "overview", "tagline")
_SOURCE_COLUMNS = (
    "source_id, quality, resolution, video_codec, source_type, bit_depth, audio_channels,"
    " size_bytes, seeds, peers, uploaded_at, is_repack, is_3d, bitrate_mbps, components,"
    " available, unavailable_reason, reliability_note"
)


protect_catalogue(bp)


def _title_languages(snapshot: CatalogSnapshot) -> frozenset[str]:
    if "title_languages" not in snapshot.cache:
        rows = snapshot.query("SELECT DISTINCT language FROM movie_titles")
        snapshot.cache["title_languages"] = frozenset(str(row[0]) for row in rows)
    languages: frozenset[str] = snapshot.cache["title_languages"]
    return languages


def _list_arg() -> str | None:
    """``list``: a TMDB list, or a curated one (``trakt-<slug>``) the catalog publishes."""
    raw = text_arg("list", 64)
    if raw is None or raw in LISTS or CURATED_LIST.fullmatch(raw):
        return raw
    raise InvalidParameter(f"list must be one of: {', '.join(LISTS)}, or trakt-<slug>")


@bp.get("")
def list_movies() -> ResponseReturnValue:
    page = int_arg("page", 1, 1, MAX_PAGE) or 1
    per_page = int_arg("per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE) or DEFAULT_PER_PAGE
    list_name = _list_arg()
    genre = int_arg("genre", None, 1, MAX_ID)
    query = text_arg("q", MAX_QUERY)
    language, region = language_arg()
    sort = choice_arg("sort", SORTS, None)
    snapshot = catalog_reader().snapshot()
    key = ("movies", page, per_page, list_name, genre, query, language, region, sort)
    return cached_json(
        response_cache(),
        snapshot,
        key,
        lambda: _movie_page(
            snapshot, page, per_page, list_name, genre, query, language, region, sort
        ),
    )


def _movie_page(
    snapshot: CatalogSnapshot,
    page: int,
    per_page: int,
    list_name: str | None,
    genre: int | None,
    query: str | None,
    language: str,
    region: str | None,
    sort: str | None,
) -> dict[str, Any]:
    joins: list[str] = []
    where: list[str] = []
    params: list[Any] = []
    if list_name is not None:
        joins.append("JOIN list_members lm ON lm.tmdb_id = m.tmdb_id AND lm.list_name = ?")
        params.append(list_name)
    if genre is not None:
        joins.append("JOIN movie_genres mg ON mg.tmdb_id = m.tmdb_id AND mg.genre_id = ?")
        params.append(genre)
    if query is not None:
        where.append("m.search_text LIKE ? ESCAPE '\\'")
        params.append(f"%{escape_like(query.casefold())}%")

    if sort is None and list_name is not None:
        order = "lm.position"
    elif sort == "title" and language != "en" and language in _title_languages(snapshot):
        joins.insert(0, "JOIN movie_titles lt ON lt.tmdb_id = m.tmdb_id AND lt.language = ?")
        params.insert(0, language)
        order = _ORDER["localised_title"]
    else:
        order = _ORDER[sort or "popularity"]

    base = f"FROM movies m {' '.join(joins)} {'WHERE ' + ' AND '.join(where) if where else ''}"
    total, ids = paged_ids(snapshot, base, params, order, page, per_page)
    return page_answer(movie_summaries(snapshot, ids, language, region), page, per_page, total)


def movie_summaries(
    snapshot: CatalogSnapshot, ids: list[int], language: str, region: str | None
) -> list[dict[str, Any]]:
    """Card answers for the movies ``ids``, in that order."""
    if not ids:
        return []
    marks = placeholders(ids)
    movies = {
        int(row["tmdb_id"]): row
        for row in snapshot.query(
            "SELECT tmdb_id, title, overview, tagline, year, release_date, poster_path,"
            f" vote_average, vote_count FROM movies WHERE tmdb_id IN ({marks})",
            ids,
        )
    }
    translations = rows_by_id(
        snapshot.query(
            "SELECT tmdb_id, region, title, overview, tagline FROM translations"
            f" WHERE tmdb_id IN ({marks}) AND language = ?",
            [*ids, language],
        )
    )
    genres = genres_by_id(
        snapshot.query(
            f"SELECT tmdb_id, genre_id FROM movie_genres WHERE tmdb_id IN ({marks})"
            " ORDER BY tmdb_id, genre_id",
            ids,
        ),
        snapshot.genre_names(language),
    )
    best: dict[int, str] = {}
    for row in snapshot.query(
        f"SELECT tmdb_id, quality FROM sources WHERE tmdb_id IN ({marks})"
        " ORDER BY tmdb_id, rank_web IS NULL, is_3d, resolution DESC, seeds DESC",
        ids,
    ):
        best.setdefault(int(row["tmdb_id"]), str(row["quality"]))
    urls = image_urls(snapshot)
    out = []
    for tmdb_id in ids:
        movie = movies[tmdb_id]
        local = localised(translations.get(tmdb_id, []), movie, _TEXT_COLUMNS, region)
        out.append(
            {
                "tmdb_id": tmdb_id,
                "title": local["title"],
                "year": movie["year"],
                "release_date": movie["release_date"],
                "poster_url": urls.poster(movie["poster_path"]),
                "vote_average": movie["vote_average"],
                "vote_count": movie["vote_count"],
                "genres": genres.get(tmdb_id, []),
                "has_sources": tmdb_id in best,
                "best_quality": best.get(tmdb_id),
            }
        )
    return out


@bp.get("/<tmdb_id>")
def movie_details(tmdb_id: str) -> ResponseReturnValue:
    movie_id = parse_int("tmdb_id", tmdb_id, 1, MAX_ID)
    profile = choice_arg("profile", PROFILES, "web") or "web"
    language, region = language_arg()
    snapshot = catalog_reader().snapshot()
    return cached_json(
        response_cache(),
        snapshot,
        ("movie", movie_id, profile, language, region),
        lambda: _movie(snapshot, movie_id, profile, language, region),
    )


def _movie(
    snapshot: CatalogSnapshot, movie_id: int, profile: str, language: str, region: str | None
) -> dict[str, Any]:
    found = snapshot.query("SELECT * FROM movies WHERE tmdb_id = ?", (movie_id,))
    if not found:
        raise NotFound(f"movie {movie_id} is not in the catalog", code="movie_not_found")
    movie = found[0]
    translations = snapshot.query(
        "SELECT language, region, title, overview, tagline FROM translations"
        " WHERE tmdb_id = ? ORDER BY language, region",
        (movie_id,),
    )
    local = localised(
        [row for row in translations if row["language"] == language], movie, _TEXT_COLUMNS, region
    )
    names = snapshot.genre_names(language)
    genre_ids = [
        int(row[0])
        for row in snapshot.query(
            "SELECT genre_id FROM movie_genres WHERE tmdb_id = ? ORDER BY genre_id", (movie_id,)
        )
    ]
    lists = snapshot.query(
        "SELECT list_name, position FROM list_members WHERE tmdb_id = ? ORDER BY list_name",
        (movie_id,),
    )
    urls = image_urls(snapshot)
    return {
        "tmdb_id": movie_id,
        "imdb_id": movie["imdb_id"],
        "title": local["title"],
        "original_title": movie["original_title"],
        "original_language": movie["original_language"],
        "overview": local["overview"],
        "tagline": local["tagline"],
        "release_date": movie["release_date"],
        "year": movie["year"],
        "runtime_min": movie["runtime_min"],
        "popularity": movie["popularity"],
        "vote_average": movie["vote_average"],
        "vote_count": movie["vote_count"],
        "status": movie["status"],
        "language": language if region is None else f"{language}-{region}",
        "genres": [{"id": gid, "name": names.get(gid)} for gid in genre_ids],
        "images": {
            "poster": urls.all_sizes("poster", movie["poster_path"]),
            "backdrop": urls.all_sizes("backdrop", movie["backdrop_path"]),
            "gallery": gallery(snapshot, urls, "images", movie_id),
        },
        "translations": [dict(row) for row in translations],
        "lists": [{"name": row["list_name"], "position": row["position"]} for row in lists],
        "profile": profile,
        "sources": _sources(snapshot, movie_id, profile),
    }


def _sources(snapshot: CatalogSnapshot, movie_id: int, profile: str) -> list[dict[str, Any]]:
    score, rank = PROFILE_COLUMNS[profile]
    rows = snapshot.query(
        f"SELECT {_SOURCE_COLUMNS}, {score} AS score, {rank} AS rank FROM sources"
        f" WHERE tmdb_id = ? ORDER BY {rank} IS NULL, {rank}, available DESC, {score} DESC,"
        " resolution DESC, seeds DESC, source_id",
        (movie_id,),
    )
    return [source_answer(row) for row in rows]
