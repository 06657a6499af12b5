"""``/api/shows``: the paged TV catalogue, one show with its seasons, one season with its
episodes and their ranked sources; ``/api/tv-genres``.

Show tables never join movie tables (TMDB ids of shows and movies overlap). Every query is
parameterised; the only SQL assembled from input is chosen from fixed whitelists. Sources
never carry an info hash, magnet or torrent URL: only the opaque ``source_id``.
"""

from __future__ import annotations

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
from serve.params import MAX_ID, choice_arg, int_arg, language_arg, parse_int, text_arg
from serve.response_cache import cached_json
from serve.tokens import protect_catalogue

bp = Blueprint("shows", __name__, url_prefix="/api")
protect_catalogue(bp)

MAX_SEASON = 9_999
MAX_RUN = 50  # episodes in one release: the warehouse's release-name parser refuses longer
STILL_SIZE = "w300"
SHOW_SORTS = ("popularity", "vote_average", "first_air_date", "name")
_ORDER = {
    "popularity": "s.popularity DESC, s.tmdb_id",
    "vote_average": "s.vote_average DESC, s.vote_count DESC, s.tmdb_id",
    "first_air_date": "s.first_air_date DESC, s.tmdb_id",
    "name": "s.name COLLATE NOCASE, s.tmdb_id",
}
_TEXT_COLUMNS = ("name", "overview", "tagline")


def tv_genre_names(snapshot: CatalogSnapshot, language: str) -> dict[int, str]:
    """TV genre id -> name in ``language``, falling back to English, then any name."""
    key = ("tv_genres", language)
    if key not in snapshot.cache:
        rows = snapshot.query(
            "SELECT genre_id, COALESCE(MAX(CASE WHEN language = ? THEN name END),"
            " MAX(CASE WHEN language = 'en' THEN name END), MIN(name)) AS name"
            " FROM tv_genres GROUP BY genre_id",
            (language,),
        )
        snapshot.cache[key] = {int(row["genre_id"]): str(row["name"]) for row in rows}
    return dict(snapshot.cache[key])


# --- GET /api/shows ------------------------------------------------------------------------
@bp.get("/shows")
def list_shows() -> ResponseReturnValue:
    page = int_arg("page", 1, 1, MAX_PAGE) or 1
    per_page = int_arg("per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE) or DEFAULT_PER_PAGE
    list_name = choice_arg("list", LISTS, None)
    genre = int_arg("genre", None, 1, MAX_ID)
    query = text_arg("q", MAX_QUERY)
    language, region = language_arg()
    sort = choice_arg("sort", SHOW_SORTS, None)
    snapshot = catalog_reader().snapshot()
    key = ("shows", page, per_page, list_name, genre, query, language, region, sort)
    return cached_json(
        response_cache(),
        snapshot,
        key,
        lambda: _show_page(
            snapshot, page, per_page, list_name, genre, query, language, region, sort
        ),
    )


def _show_page(
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
        joins.append("JOIN show_list_members lm ON lm.tmdb_id = s.tmdb_id AND lm.list_name = ?")
        params.append(list_name)
    if genre is not None:
        joins.append("JOIN show_genres sg ON sg.tmdb_id = s.tmdb_id AND sg.genre_id = ?")
        params.append(genre)
    if query is not None:
        where.append("s.search_text LIKE ? ESCAPE '\\'")
        params.append(f"%{escape_like(query.casefold())}%")
    order = "lm.position" if sort is None and list_name else _ORDER[sort or "popularity"]
    base = f"FROM shows s {' '.join(joins)} {'WHERE ' + ' AND '.join(where) if where else ''}"
    total, ids = paged_ids(snapshot, base, params, order, page, per_page)
    return page_answer(show_summaries(snapshot, ids, language, region), page, per_page, total)


def show_summaries(
    snapshot: CatalogSnapshot, ids: list[int], language: str, region: str | None
) -> list[dict[str, Any]]:
    """Card answers for the shows ``ids`` that are in the catalog, in that order."""
    if not ids:
        return []
    marks = placeholders(ids)
    shows = {
        int(row["tmdb_id"]): row
        for row in snapshot.query(
            "SELECT tmdb_id, name, overview, tagline, year, first_air_date, poster_path,"
            " vote_average, vote_count, number_of_seasons, source_count"
            f" FROM shows WHERE tmdb_id IN ({marks})",
            ids,
        )
    }
    translations = rows_by_id(
        snapshot.query(
            "SELECT tmdb_id, region, name, overview, tagline FROM show_translations"
            f" WHERE tmdb_id IN ({marks}) AND language = ?",
            [*ids, language],
        )
    )
    genres = genres_by_id(
        snapshot.query(
            f"SELECT tmdb_id, genre_id FROM show_genres WHERE tmdb_id IN ({marks})"
            " ORDER BY tmdb_id, genre_id",
            ids,
        ),
        tv_genre_names(snapshot, language),
    )
    urls = image_urls(snapshot)
    out = []
    for tmdb_id in ids:
        show = shows.get(tmdb_id)
        if show is None:
            continue
        local = localised(translations.get(tmdb_id, []), show, _TEXT_COLUMNS, region)
        out.append(
            {
                "tmdb_id": tmdb_id,
                "name": local["name"],
                "year": show["year"],
                "first_air_date": show["first_air_date"],
                "poster_url": urls.poster(show["poster_path"]),
                "vote_average": show["vote_average"],
                "vote_count": show["vote_count"],
                "number_of_seasons": show["number_of_seasons"],
                "genres": genres.get(tmdb_id, []),
                "has_sources": bool(show["source_count"]),
            }
        )
    return out


# --- GET /api/shows/<tmdb_id> --------------------------------------------------------------
@bp.get("/shows/<tmdb_id>")
def show_details(tmdb_id: str) -> ResponseReturnValue:
    show_id = parse_int("tmdb_id", tmdb_id, 1, MAX_ID)
    language, region = language_arg()
    snapshot = catalog_reader().snapshot()
    return cached_json(
        response_cache(),
        snapshot,
        ("show", show_id, language, region),
        lambda: _show(snapshot, show_id, language, region),
    )


def _find_show(snapshot: CatalogSnapshot, show_id: int) -> Any:
    found = snapshot.query("SELECT * FROM shows WHERE tmdb_id = ?", (show_id,))
    if not found:
        raise NotFound(f"show {show_id} is not in the catalog", code="show_not_found")
    return found[0]


def _show(
    snapshot: CatalogSnapshot, show_id: int, language: str, region: str | None
) -> dict[str, Any]:
    show = _find_show(snapshot, show_id)
    translations = snapshot.query(
        "SELECT language, region, name, overview, tagline FROM show_translations"
        " WHERE tmdb_id = ? ORDER BY language, region",
        (show_id,),
    )
    local = localised(
        [row for row in translations if row["language"] == language], show, _TEXT_COLUMNS, region
    )
    names = tv_genre_names(snapshot, language)
    genre_ids = [
        int(row[0])
        for row in snapshot.query(
            "SELECT genre_id FROM show_genres WHERE tmdb_id = ? ORDER BY genre_id", (show_id,)
        )
    ]
    lists = snapshot.query(
        "SELECT list_name, position FROM show_list_members WHERE tmdb_id = ? ORDER BY list_name",
        (show_id,),
    )
    seasons = snapshot.query(
        "SELECT season_number, name, overview, air_date, episode_count, poster_path FROM seasons"
        " WHERE show_id = ? ORDER BY season_number = 0, season_number",
        (show_id,),
    )
    urls = image_urls(snapshot)
    return {
        "tmdb_id": show_id,
        "imdb_id": show["imdb_id"],
        "tvdb_id": show["tvdb_id"],
        "name": local["name"],
        "original_name": show["original_name"],
        "original_language": show["original_language"],
        "overview": local["overview"],
        "tagline": local["tagline"],
        "first_air_date": show["first_air_date"],
        "last_air_date": show["last_air_date"],
        "year": show["year"],
        "status": show["status"],
        "in_production": None if show["in_production"] is None else bool(show["in_production"]),
        "popularity": show["popularity"],
        "vote_average": show["vote_average"],
        "vote_count": show["vote_count"],
        "number_of_seasons": show["number_of_seasons"],
        "number_of_episodes": show["number_of_episodes"],
        "episode_runtime_min": show["episode_runtime_min"],
        "language": language if region is None else f"{language}-{region}",
        "genres": [{"id": gid, "name": names.get(gid)} for gid in genre_ids],
        "images": {
            "poster": urls.all_sizes("poster", show["poster_path"]),
            "backdrop": urls.all_sizes("backdrop", show["backdrop_path"]),
            "gallery": gallery(snapshot, urls, "show_images", show_id),
        },
        "translations": [dict(row) for row in translations],
        "lists": [{"name": row["list_name"], "position": row["position"]} for row in lists],
        "seasons": [
            {
                "season_number": row["season_number"],
                "name": row["name"],
                "overview": row["overview"],
                "air_date": row["air_date"],
                "episode_count": row["episode_count"],
                "poster_url": urls.poster(row["poster_path"]),
            }
            for row in seasons
        ],
    }


# --- GET /api/shows/<tmdb_id>/seasons/<n> --------------------------------------------------
@bp.get("/shows/<tmdb_id>/seasons/<season>")
def season_details(tmdb_id: str, season: str) -> ResponseReturnValue:
    show_id = parse_int("tmdb_id", tmdb_id, 1, MAX_ID)
    number = parse_int("season", season, 0, MAX_SEASON)
    profile = choice_arg("profile", PROFILES, "web") or "web"
    snapshot = catalog_reader().snapshot()
    return cached_json(
        response_cache(),
        snapshot,
        ("season", show_id, number, profile),
        lambda: _season(snapshot, show_id, number, profile),
    )


def _season(snapshot: CatalogSnapshot, show_id: int, number: int, profile: str) -> dict[str, Any]:
    show = _find_show(snapshot, show_id)
    found = snapshot.query(
        "SELECT season_number, name, overview, air_date, episode_count, poster_path"
        " FROM seasons WHERE show_id = ? AND season_number = ?",
        (show_id, number),
    )
    if not found:
        raise NotFound(f"show {show_id} has no season {number}", code="season_not_found")
    season = found[0]
    urls = image_urls(snapshot)
    sources = _episode_sources(snapshot, show_id, number, profile)
    episodes = snapshot.query(
        "SELECT episode_number, name, overview, air_date, runtime_min, still_path, vote_average"
        " FROM episodes WHERE show_id = ? AND season_number = ? ORDER BY episode_number",
        (show_id, number),
    )
    return {
        "tmdb_id": show_id,
        "show_name": show["name"],
        "season_number": number,
        "name": season["name"],
        "overview": season["overview"],
        "air_date": season["air_date"],
        "episode_count": season["episode_count"],
        "poster_url": urls.poster(season["poster_path"]),
        "profile": profile,
        "episodes": [
            {
                "episode_number": row["episode_number"],
                "name": row["name"],
                "overview": row["overview"],
                "air_date": row["air_date"],
                "runtime_min": row["runtime_min"],
                "still": urls.url(row["still_path"], STILL_SIZE),
                "vote_average": row["vote_average"],
                "sources": sources.get(int(row["episode_number"]), []),
            }
            for row in episodes
        ],
    }


def _episode_sources(
    snapshot: CatalogSnapshot, show_id: int, season: int, profile: str
) -> dict[int, list[dict[str, Any]]]:
    """Ranked sources per episode of one season, in the movie sources' shape (+ pack,
    release name, and the episodes the file holds)."""
    score, rank = PROFILE_COLUMNS[profile]
    rows = snapshot.query(
        "SELECT es.episode_number, es.source_id, es.components, es." + score + " AS score,"
        " es." + rank + " AS rank, ss.quality, ss.resolution, ss.video_codec, ss.source_type,"
        " NULL AS bit_depth, NULL AS audio_channels, 0 AS is_3d, NULL AS bitrate_mbps,"
        " ss.size_bytes, ss.seeds, ss.peers, ss.uploaded_at, ss.is_repack, ss.is_pack,"
        " ss.episode_number AS first_episode, ss.last_episode_number AS last_episode,"
        " ss.release_name, ss.available, ss.unavailable_reason, ss.reliability_note"
        " FROM episode_sources es JOIN show_sources ss ON ss.source_id = es.source_id"
        " WHERE es.show_id = ? AND es.season_number = ?"
        f" ORDER BY es.episode_number, es.{rank} IS NULL, es.{rank}, ss.available DESC,"
        f" es.{score} DESC, ss.resolution DESC, ss.seeds DESC, es.source_id",
        (show_id, season),
    )
    out: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        answer = source_answer(row)
        answer.update(
            is_pack=bool(row["is_pack"]),
            release_name=row["release_name"],
            episodes=_held_episodes(row),
        )
        out.setdefault(int(row["episode_number"]), []).append(answer)
    return out


def _held_episodes(row: Any) -> list[int] | None:
    """The episode numbers a source's file holds: ``[e]`` for one episode, first..last for a
    run (S01E01E02 -> [1, 2]), None for a season pack. A run the catalog cannot mean (not a
    number, last not after first, longer than :data:`MAX_RUN`) is its first episode only."""
    if row["is_pack"]:
        return None
    first, last = row["first_episode"], row["last_episode"]
    if not isinstance(first, int):  # no episode of its own: the one it plays is all we know
        return [int(row["episode_number"])]
    if isinstance(last, int) and first < last < first + MAX_RUN:
        return list(range(first, last + 1))
    return [first]


# --- GET /api/tv-genres --------------------------------------------------------------------
@bp.get("/tv-genres")
def tv_genres() -> ResponseReturnValue:
    language, _region = language_arg()
    snapshot = catalog_reader().snapshot()
    return cached_json(
        response_cache(), snapshot, ("tv_genres", language), lambda: _genres(snapshot, language)
    )


def _genres(snapshot: CatalogSnapshot, language: str) -> dict[str, Any]:
    names = tv_genre_names(snapshot, language)
    counts = {
        int(row[0]): int(row[1])
        for row in snapshot.query("SELECT genre_id, COUNT(*) FROM show_genres GROUP BY genre_id")
    }
    results = [
        {"id": gid, "name": name, "show_count": counts.get(gid, 0)}
        for gid, name in sorted(names.items(), key=lambda item: (item[1].casefold(), item[0]))
    ]
    return {"language": language, "results": results}
