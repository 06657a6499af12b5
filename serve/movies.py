"""``/api/movies``: the paged, filtered catalogue and one movie with its ranked sources.

Every query is parameterised; the only SQL assembled from input is chosen from fixed
whitelists (sort orders, profile columns). Sources never carry an info hash, magnet or
torrent URL: only the opaque ``source_id`` the engine resolves.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from typing import Any

from flask import Blueprint
from flask.typing import ResponseReturnValue

from core.catalog.snapshots import CatalogSnapshot
from serve.errors import NotFound
from serve.extensions import catalog_reader, response_cache
from serve.images import GALLERY_SIZE, ImageUrls
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

LISTS = ("popular", "top_rated", "trending")
CURATED_LIST = re.compile(r"trakt-[a-z0-9-]{1,58}")  # Trakt's public lists, as published
SORTS = ("popularity", "vote_average", "release_date", "title")
PROFILES = ("web", "tv")
MAX_PAGE = 1_000_000
MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 20
MAX_QUERY = 100
GALLERY_PER_KIND = 10
MAX_CACHED_COUNTS = 4096

_ORDER = {
    "popularity": "m.popularity DESC, m.tmdb_id",
    "vote_average": "m.vote_average DESC, m.vote_count DESC, m.tmdb_id",
    "release_date": "m.release_date DESC, m.tmdb_id",
    "title": "m.title COLLATE NOCASE, m.tmdb_id",
    # Title in another language: movie_titles holds one sort title per (language, movie).
    "localised_title": "lt.title COLLATE NOCASE, lt.tmdb_id",
}
_SOURCE_COLUMNS = (
    "source_id, quality, resolution, video_codec, source_type, bit_depth, audio_channels,"
    " size_bytes, seeds, peers, uploaded_at, is_repack, is_3d, bitrate_mbps, components,"
    " available, unavailable_reason, reliability_note"
)
# profile -> (score column, rank column); whitelisted, never taken from the request.
_PROFILE_COLUMNS = {"web": ("score_web", "rank_web"), "tv": ("score_tv", "rank_tv")}


protect_catalogue(bp)


def escape_like(text: str) -> str:
    """Escape LIKE wildcards so user text matches literally (with ``ESCAPE '\\'``)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _image_urls(snapshot: CatalogSnapshot) -> ImageUrls:
    if "image_urls" not in snapshot.cache:
        snapshot.cache["image_urls"] = ImageUrls(snapshot.config())
    urls: ImageUrls = snapshot.cache["image_urls"]
    return urls


def _title_languages(snapshot: CatalogSnapshot) -> frozenset[str]:
    if "title_languages" not in snapshot.cache:
        rows = snapshot.query("SELECT DISTINCT language FROM movie_titles")
        snapshot.cache["title_languages"] = frozenset(str(row[0]) for row in rows)
    languages: frozenset[str] = snapshot.cache["title_languages"]
    return languages


def _placeholders(values: Iterable[Any]) -> str:
    return ", ".join("?" for _ in values)


def _localised(
    rows: list[Any], movie: Any, language: str, region: str | None
) -> dict[str, str | None]:
    """title/overview/tagline in ``language``: region match first, else the movie's own."""
    ranked = sorted(rows, key=lambda row: (row["region"] != region, row["region"] or ""))
    out: dict[str, str | None] = {}
    for column in ("title", "overview", "tagline"):
        chosen = next((row[column] for row in ranked if row[column]), None)
        out[column] = chosen if chosen else movie[column]
    return out


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
    total = _count(snapshot, base, params)
    ids = [
        int(row[0])
        for row in snapshot.query(
            f"SELECT m.tmdb_id {base} ORDER BY {order} LIMIT ? OFFSET ?",
            [*params, per_page, (page - 1) * per_page],
        )
    ]
    return {
        "results": _summaries(snapshot, ids, language, region),
        "page": page,
        "per_page": per_page,
        "total_results": total,
        "total_pages": math.ceil(total / per_page),
    }


def _count(snapshot: CatalogSnapshot, base: str, params: list[Any]) -> int:
    """COUNT(*) for a filter, cached on the snapshot (the file is immutable)."""
    counts: dict[tuple[str, tuple[Any, ...]], int] = snapshot.cache.setdefault("counts", {})
    key = (base, tuple(params))
    if key not in counts:
        if len(counts) >= MAX_CACHED_COUNTS:
            counts.clear()
        counts[key] = int(snapshot.query(f"SELECT COUNT(*) {base}", params)[0][0])
    return counts[key]


def _summaries(
    snapshot: CatalogSnapshot, ids: list[int], language: str, region: str | None
) -> list[dict[str, Any]]:
    if not ids:
        return []
    marks = _placeholders(ids)
    movies = {
        int(row["tmdb_id"]): row
        for row in snapshot.query(
            "SELECT tmdb_id, title, overview, tagline, year, release_date, poster_path,"
            f" vote_average, vote_count FROM movies WHERE tmdb_id IN ({marks})",
            ids,
        )
    }
    translations: dict[int, list[Any]] = {}
    for row in snapshot.query(
        "SELECT tmdb_id, region, title, overview, tagline FROM translations"
        f" WHERE tmdb_id IN ({marks}) AND language = ?",
        [*ids, language],
    ):
        translations.setdefault(int(row["tmdb_id"]), []).append(row)
    names = snapshot.genre_names(language)
    genres: dict[int, list[dict[str, Any]]] = {}
    for row in snapshot.query(
        f"SELECT tmdb_id, genre_id FROM movie_genres WHERE tmdb_id IN ({marks})"
        " ORDER BY tmdb_id, genre_id",
        ids,
    ):
        gid = int(row["genre_id"])
        genres.setdefault(int(row["tmdb_id"]), []).append({"id": gid, "name": names.get(gid)})
    best: dict[int, str] = {}
    for row in snapshot.query(
        f"SELECT tmdb_id, quality FROM sources WHERE tmdb_id IN ({marks})"
        " ORDER BY tmdb_id, rank_web IS NULL, is_3d, resolution DESC, seeds DESC",
        ids,
    ):
        best.setdefault(int(row["tmdb_id"]), str(row["quality"]))
    urls = _image_urls(snapshot)
    out = []
    for tmdb_id in ids:
        movie = movies[tmdb_id]
        local = _localised(translations.get(tmdb_id, []), movie, language, region)
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
    local = _localised(
        [row for row in translations if row["language"] == language], movie, language, region
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
    urls = _image_urls(snapshot)
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
            "gallery": _gallery(snapshot, urls, movie_id),
        },
        "translations": [dict(row) for row in translations],
        "lists": [{"name": row["list_name"], "position": row["position"]} for row in lists],
        "profile": profile,
        "sources": _sources(snapshot, movie_id, profile),
    }


def _gallery(snapshot: CatalogSnapshot, urls: ImageUrls, movie_id: int) -> list[dict[str, Any]]:
    per_kind: dict[str, int] = {}
    out = []
    for row in snapshot.query(
        "SELECT kind, file_path, width, height, language FROM images WHERE tmdb_id = ?"
        " ORDER BY kind, vote_average DESC, file_path",
        (movie_id,),
    ):
        kind = str(row["kind"])
        url = urls.url(row["file_path"], GALLERY_SIZE.get(kind, "original"))
        if url is None or per_kind.get(kind, 0) >= GALLERY_PER_KIND:
            continue
        per_kind[kind] = per_kind.get(kind, 0) + 1
        out.append(
            {
                "kind": kind,
                "url": url,
                "width": row["width"],
                "height": row["height"],
                "language": row["language"],
            }
        )
    return out


def _sources(snapshot: CatalogSnapshot, movie_id: int, profile: str) -> list[dict[str, Any]]:
    score, rank = _PROFILE_COLUMNS[profile]
    rows = snapshot.query(
        f"SELECT {_SOURCE_COLUMNS}, {score} AS score, {rank} AS rank FROM sources"
        f" WHERE tmdb_id = ? ORDER BY {rank} IS NULL, {rank}, available DESC, {score} DESC,"
        " resolution DESC, seeds DESC, source_id",
        (movie_id,),
    )
    return [
        {
            "source_id": row["source_id"],
            "quality": row["quality"],
            "resolution": row["resolution"],
            "codec": row["video_codec"],
            "source_type": row["source_type"],
            "bit_depth": row["bit_depth"],
            "audio_channels": row["audio_channels"],
            "size_bytes": row["size_bytes"],
            "seeds": row["seeds"],
            "peers": row["peers"],
            "uploaded_at": row["uploaded_at"],
            "is_repack": bool(row["is_repack"]),
            "is_3d": bool(row["is_3d"]),
            "bitrate_mbps": row["bitrate_mbps"],
            "score": row["score"],
            "rank": row["rank"],
            "playable": row["score"] is not None,
            "available": bool(row["available"]),
            "unavailable_reason": row["unavailable_reason"],
            "reliability_note": row["reliability_note"],
            "components": json.loads(row["components"]),
        }
        for row in rows
    ]
