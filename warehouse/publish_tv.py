"""The TV part of a publish: the show tables (schema 3, +4), copied from the TV marts.

Called by warehouse/publish.py inside the same SQLite transaction as the movie tables, so a
catalog carries movies and shows of one run or nothing new. Show sources are encrypted like
movie sources, with associated data bound to ``show_sources`` (:func:`secret_aad`); an
episode source refers to its torrent by the same stable ``source_id``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import duckdb

from core.catalog.contract import info_hash_hmac, secret_aad, source_id_for
from core.crypto import FieldCipher, Keyring

Fetch = Callable[[duckdb.DuckDBPyConnection, str], Iterator[list[tuple[Any, ...]]]]
Copy = Callable[[str, tuple[str, ...], Iterator[list[tuple[Any, ...]]]], int]

_INFO_HASH = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")
_DAY = "'%Y-%m-%d'"

PLAIN_TABLES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    (
        "tv_genres",
        ("genre_id", "language", "name"),
        "SELECT genre_id, language, name FROM mart_tv_genres ORDER BY genre_id, language",
    ),
    (
        "show_genres",
        ("tmdb_id", "genre_id"),
        "SELECT DISTINCT tmdb_id, genre_id FROM mart_show_genres ORDER BY tmdb_id, genre_id",
    ),
    (
        "show_translations",
        ("tmdb_id", "language", "region", "name", "overview", "tagline"),
        "SELECT tmdb_id, language, region, name, overview, tagline FROM mart_show_translations"
        " ORDER BY tmdb_id, language, region",
    ),
    (
        "show_images",
        ("tmdb_id", "kind", "file_path", "width", "height", "language", "vote_average"),
        "SELECT tmdb_id, kind, file_path, width, height, language, vote_average"
        " FROM mart_show_images ORDER BY tmdb_id, kind, vote_average DESC NULLS LAST, file_path",
    ),
    (
        "show_list_members",
        ("list_name", "position", "tmdb_id"),
        "SELECT list_name, position, tmdb_id FROM mart_show_list_members"
        " ORDER BY list_name, position",
    ),
    (
        "seasons",
        ("show_id", "season_number", "name", "overview", "air_date", "episode_count",
         "poster_path"),
        f"SELECT show_id, season_number, name, overview, strftime(air_date, {_DAY}),"
        " episode_count, poster_path FROM mart_seasons ORDER BY show_id, season_number",
    ),
    (
        "episodes",
        ("show_id", "season_number", "episode_number", "name", "overview", "air_date",
         "runtime_min", "still_path", "vote_average", "source_count"),
        f"SELECT show_id, season_number, episode_number, name, overview,"
        f" strftime(air_date, {_DAY}), runtime_min, still_path, vote_average, source_count"
        " FROM mart_episodes ORDER BY show_id, season_number, episode_number",
    ),
)  # fmt: skip

SHOW_COLUMNS = (
    "tmdb_id", "imdb_id", "tvdb_id", "name", "original_name", "original_language", "overview",
    "tagline", "first_air_date", "last_air_date", "year", "status", "in_production",
    "popularity", "vote_average", "vote_count", "poster_path", "backdrop_path",
    "number_of_seasons", "number_of_episodes", "episode_runtime_min", "source_count",
    "search_text",
)  # fmt: skip
SHOWS_QUERY = f"""
WITH tr AS (
    SELECT tmdb_id, string_agg(name, chr(10)) AS names
    FROM mart_show_translations WHERE name IS NOT NULL AND name <> '' GROUP BY tmdb_id
)
SELECT s.tmdb_id, s.imdb_id, s.tvdb_id, s.name, s.original_name, s.original_language,
       s.overview, s.tagline, strftime(s.first_air_date, {_DAY}),
       strftime(s.last_air_date, {_DAY}), s.year, s.status, CAST(s.in_production AS INTEGER),
       s.popularity, s.vote_average, s.vote_count, s.poster_path, s.backdrop_path,
       s.number_of_seasons, s.number_of_episodes, s.episode_runtime_min, s.source_count,
       concat_ws(chr(10), s.name, s.original_name, tr.names)
FROM mart_shows s LEFT JOIN tr USING (tmdb_id)
ORDER BY s.tmdb_id
"""

SOURCE_PLAIN = (
    "show_id", "season_number", "episode_number", "last_episode_number", "is_pack",
    "release_name", "quality", "resolution", "source_type", "video_codec", "release_group",
    "is_repack", "size_bytes", "seeds", "peers", "uploaded_at", "available",
    "unavailable_reason", "reliability_note",
)  # fmt: skip
SOURCE_COLUMNS = (
    "source_id", *SOURCE_PLAIN, "info_hash_hmac", "info_hash_enc", "magnet_enc",
    "torrent_url_enc",
)  # fmt: skip
SOURCES_QUERY = """
SELECT info_hash, magnet, torrent_url, show_id, season_number, episode_number,
       last_episode_number, CAST(is_pack AS INTEGER), release_name, quality, resolution,
       source_type, video_codec, release_group, CAST(is_repack AS INTEGER), size_bytes,
       seeds, peers, strftime(uploaded_at, '%Y-%m-%dT%H:%M:%SZ'), CAST(available AS INTEGER),
       unavailable_reason, reliability_note
FROM mart_show_sources
"""
# No ORDER BY: warehouse.marts_tv writes the mart sorted by show, season, episode (nulls
# last), info hash, and DuckDB scans a table in insertion order (preserve_insertion_order);
# sorting again here held every row's magnet at once (~95 MB with 1,000 shows).
EPISODE_SOURCE_COLUMNS = (
    "show_id", "season_number", "episode_number", "source_id", "file_hint", "components",
    "score_web", "score_tv", "rank_web", "rank_tv",
)  # fmt: skip


def _components_sql(warehouse: duckdb.DuckDBPyConnection) -> str:
    described = warehouse.execute("DESCRIBE mart_episode_sources").fetchall()
    names = sorted(str(r[0]) for r in described if re.fullmatch(r"c_[a-z0-9_]+", str(r[0])))
    pairs = ", ".join(f"'{name[2:]}', \"{name}\"" for name in names)
    return f"CAST(json_object({pairs}) AS VARCHAR)" if pairs else "'{}'"


class TvPublisher:
    """Copies the TV marts; remembers each torrent's source id for its episode rows."""

    def __init__(
        self,
        warehouse: duckdb.DuckDBPyConnection,
        cipher: FieldCipher | Keyring,
        fetch: Fetch,
        error: Callable[[str], Exception],
    ) -> None:
        self.warehouse = warehouse
        self.cipher = cipher
        self.fetch = fetch
        self.error = error
        self.source_ids: dict[str, str] = {}

    def copy_all(self, copy: Copy) -> dict[str, int]:
        """Write every TV table through ``copy(table, columns, batches)``; rows per table."""
        counts = {"shows": copy("shows", SHOW_COLUMNS, self._show_rows())}
        for table, columns, query in PLAIN_TABLES:
            counts[table] = copy(table, columns, self.fetch(self.warehouse, query))
        counts["show_sources"] = copy("show_sources", SOURCE_COLUMNS, self._source_rows())
        counts["episode_sources"] = copy(
            "episode_sources", EPISODE_SOURCE_COLUMNS, self._episode_source_rows()
        )
        return counts

    def _show_rows(self) -> Iterator[list[tuple[Any, ...]]]:
        for batch in self.fetch(self.warehouse, SHOWS_QUERY):
            yield [(*row[:-1], (row[-1] or "").casefold()) for row in batch]

    def _source_id(self, info_hash: str) -> str:
        source_id = self.source_ids.get(info_hash)
        if source_id is None:
            source_id = self.source_ids[info_hash] = source_id_for(self.cipher, info_hash)
        return source_id

    def _source_rows(self) -> Iterator[list[tuple[Any, ...]]]:
        cipher = self.cipher
        for batch in self.fetch(self.warehouse, SOURCES_QUERY):
            out: list[tuple[Any, ...]] = []
            for info_hash_raw, magnet, torrent_url, *plain in batch:
                info_hash = str(info_hash_raw or "").strip().lower()
                if not _INFO_HASH.match(info_hash) or not magnet:
                    raise self.error(
                        f"mart_show_sources row for show {plain[0]} has a malformed info hash "
                        "or no magnet link"
                    )
                sid = self._source_id(info_hash)

                def seal(column: Any, value: str, sid: str = sid) -> bytes:
                    return cipher.encrypt(value, aad=secret_aad(column, sid, table="show_sources"))

                out.append(
                    (
                        sid,
                        *plain,
                        info_hash_hmac(cipher, info_hash),
                        seal("info_hash", info_hash),
                        seal("magnet", magnet),
                        seal("torrent_url", torrent_url) if torrent_url else None,
                    )
                )
            yield out

    def _episode_source_rows(self) -> Iterator[list[tuple[Any, ...]]]:
        query = (
            "SELECT show_id, season_number, episode_number, info_hash, file_hint,"
            f" {_components_sql(self.warehouse)}, score_web, score_tv, rank_web, rank_tv"
            " FROM mart_episode_sources"
            " ORDER BY show_id, season_number, episode_number, rank_web NULLS LAST, info_hash"
        )
        for batch in self.fetch(self.warehouse, query):
            out: list[tuple[Any, ...]] = []
            for show, season, episode, info_hash, *rest in batch:
                sid = self.source_ids.get(str(info_hash))
                if sid is None:
                    raise self.error(
                        f"mart_episode_sources row {show}/{season}/{episode} names a torrent "
                        "that mart_show_sources does not carry"
                    )
                out.append((show, season, episode, sid, *rest))
            yield out
