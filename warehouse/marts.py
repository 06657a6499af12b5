"""Marts: what publish copies into catalog.sqlite and what analysts query.

Pure polars ``LazyFrame -> LazyFrame`` builders over the staging frames; columns are
exactly those of ``MART_DDL`` in warehouse/schema.py. Sources are scored and ranked by
warehouse/scoring.py; the magnet link carries a fixed list of public trackers.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from urllib.parse import quote

import duckdb
import polars as pl

from warehouse.db import insert_frame
from warehouse.expectations import (
    HASH_PATTERN,
    IMDB_PATTERN,
    Expect,
    between,
    exists_in,
    finite,
    in_set,
    matches,
    min_rows,
    not_null,
    unique,
    unique_together,
)
from warehouse.outcomes import AGG as OUTCOMES_AGG
from warehouse.parse import QUALITIES
from warehouse.schema import MART_DDL, MART_TABLES, TV_MART_DDL
from warehouse.scoring import OUTCOME_COLUMNS, RELIABILITY_FLOOR, score_sources

# Well-known public trackers (the set YTS itself lists in its magnet links).
PUBLIC_TRACKERS: tuple[str, ...] = (
    "udp://tracker.opentrackr.org:1337/announce",
    "udp://open.demonii.com:1337/announce",
    "udp://open.stealth.si:80/announce",
    "udp://tracker.torrent.eu.org:451/announce",
    "udp://exodus.desync.com:6969/announce",
    "udp://tracker.openbittorrent.com:6969/announce",
    "udp://explodie.org:6969/announce",
)
TRACKER_PARAMS = "".join(f"&tr={quote(tracker, safe='')}" for tracker in PUBLIC_TRACKERS)

REASON_NO_SEEDERS = "no seeders"
REASON_NO_PEERS = "no seeders, and the engine found no peer this week"
CONFIG_KEYS: tuple[str, ...] = ("image_base_url", "poster_sizes", "backdrop_sizes", "logo_sizes")
SOURCE_COLUMNS: tuple[str, ...] = (
    "info_hash",
    "tmdb_id",
    "imdb_id",
    "quality",
    "resolution",
    "is_3d",
    "source_type",
    "video_codec",
    "bit_depth",
    "audio_channels",
    "size_bytes",
    "seeds",
    "peers",
    "uploaded_at",
    "is_repack",
    "bitrate_mbps",
    "torrent_url",
    "magnet",
    "c_resolution",
    "c_codec",
    "c_source",
    "c_bit_depth",
    "c_audio",
    "c_bitrate",
    "c_health",
    "c_repack",
    "c_3d",
    "c_age",
    "c_reliability",
    "stalls_7d",
    "failures_7d",
    "engine_peers_7d",
    "available",
    "unavailable_reason",
    "reliability_note",
    "score_web",
    "score_tv",
    "rank_web",
    "rank_tv",
)
MOVIE_COLUMNS: tuple[str, ...] = (
    "tmdb_id",
    "imdb_id",
    "title",
    "original_title",
    "original_language",
    "overview",
    "tagline",
    "release_date",
    "year",
    "runtime_min",
    "popularity",
    "vote_average",
    "vote_count",
    "poster_path",
    "backdrop_path",
    "status",
    "source_count",
    "fetched_at",
)


MOVIE_EXISTS = exists_in("tmdb_id", "mart_movies", "tmdb_id")
# Data-quality suites of the marts (run by warehouse/checks.py); a failure blocks publish.
SUITES: dict[str, list[Expect]] = {
    "mart_movies": [
        min_rows(1),
        not_null("tmdb_id"),
        unique("tmdb_id"),
        matches("imdb_id", IMDB_PATTERN),
        not_null("title"),
        between("source_count", 0, None),
        not_null("fetched_at"),
    ],
    "mart_sources": [
        not_null("info_hash"),
        unique("info_hash"),
        matches("info_hash", HASH_PATTERN),
        MOVIE_EXISTS,
        matches("imdb_id", IMDB_PATTERN),
        between("seeds", 0, None),
        between("peers", 0, None),
        between("size_bytes", 1, None),
        in_set("quality", list(QUALITIES)),
        in_set("resolution", sorted({r for r, _ in QUALITIES.values()})),
        matches("magnet", r"^magnet:\?xt=urn:btih:[0-9a-f]{40}&dn="),
        between("rank_web", 1, None),
        between("rank_tv", 1, None),
        *(e for c in SOURCE_COLUMNS if c.startswith("c_") for e in finite(c)),
        *finite("score_tv"),
        between("score_web", -1e9, 1e9),
        not_null("available"),
        between("stalls_7d", 0, None),
        between("failures_7d", 0, None),
        between("engine_peers_7d", 0, None),
        between("c_reliability", RELIABILITY_FLOOR, 0),
        in_set("unavailable_reason", [REASON_NO_SEEDERS, REASON_NO_PEERS]),
    ],
    "mart_movie_genres": [unique_together("tmdb_id", "genre_id"), MOVIE_EXISTS],
    "mart_genres": [unique_together("genre_id", "language"), not_null("name")],
    "mart_translations": [MOVIE_EXISTS, not_null("language")],
    "mart_images": [
        MOVIE_EXISTS,
        in_set("kind", ["poster", "backdrop", "logo"]),
        not_null("file_path"),
    ],
    "mart_list_members": [unique_together("list_name", "position"), MOVIE_EXISTS],
    "mart_config": [unique("key"), in_set("key", list(CONFIG_KEYS)), not_null("value")],
}


def magnet_link(info_hash: str, title: str) -> str:
    """``magnet:?xt=urn:btih:<hash>&dn=<title>&tr=...`` (one scalar; marts use the vector form)."""
    return f"magnet:?xt=urn:btih:{info_hash}&dn={quote(title, safe='')}{TRACKER_PARAMS}"


def build_config(config: pl.LazyFrame) -> pl.LazyFrame:
    """One key/value row per setting of the (single, newest) TMDB configuration."""
    return config.select(CONFIG_KEYS).unpivot(variable_name="key", value_name="value")


def with_outcomes(
    torrents: pl.LazyFrame,
    outcomes: pl.LazyFrame | None,
    source_key: Callable[[str], str] | None,
) -> pl.LazyFrame:
    """The engine's 7-day aggregates of each torrent (joined on the catalog's source id);
    zeros and no note when there is no key to derive source ids or nothing was recorded."""
    if outcomes is None or source_key is None:
        return torrents.with_columns(
            *(pl.lit(0, dtype=pl.Int32).alias(c) for c in OUTCOME_COLUMNS),
            pl.lit(None, dtype=pl.String).alias("reliability_note"),
        )
    facts = outcomes.select("source_id", *OUTCOME_COLUMNS, "reliability_note")
    return (
        torrents.with_columns(
            pl.col("info_hash").map_elements(source_key, return_dtype=pl.String).alias("_sid")
        )
        .join(facts, left_on="_sid", right_on="source_id", how="left", maintain_order="left")
        .with_columns(pl.col(c).fill_null(0).cast(pl.Int32) for c in OUTCOME_COLUMNS)
        .drop("_sid")
    )


def unavailable_reason() -> pl.Expr:
    """Why a source gets no rank although it may be playable (NULL when available)."""
    return (
        pl.when(pl.col("available"))
        .then(None)
        .when(pl.col("failures_7d") > 0)
        .then(pl.lit(REASON_NO_PEERS))
        .otherwise(pl.lit(REASON_NO_SEEDERS))
        .alias("unavailable_reason")
    )


def build_sources(
    torrents: pl.LazyFrame,
    movies: pl.LazyFrame,
    as_of: datetime | None = None,
    outcomes: pl.LazyFrame | None = None,
    source_key: Callable[[str], str] | None = None,
) -> pl.LazyFrame:
    """Torrents of known movies, scored, ranked, with their magnet link."""
    movie_facts = movies.select(
        "tmdb_id",
        pl.col("runtime_min").alias("tmdb_runtime_min"),
        pl.col("title")
        .map_elements(lambda title: quote(title, safe=""), return_dtype=pl.String)
        .alias("dn"),
    )
    joined = torrents.join(movie_facts, on="tmdb_id", how="inner").with_columns(
        pl.coalesce("tmdb_runtime_min", "yts_runtime_min").alias("runtime_min"),
        pl.concat_str(
            pl.lit("magnet:?xt=urn:btih:"),
            pl.col("info_hash"),
            pl.lit("&dn="),
            pl.col("dn"),
            pl.lit(TRACKER_PARAMS),
        ).alias("magnet"),
    )
    return (
        score_sources(with_outcomes(joined, outcomes, source_key), as_of)
        .with_columns(unavailable_reason())
        .select(SOURCE_COLUMNS)
        .sort(["tmdb_id", "rank_tv", "info_hash"], nulls_last=True)
    )


def build_movies(movies: pl.LazyFrame, sources: pl.LazyFrame) -> pl.LazyFrame:
    """Movies that exist upstream, with how many sources each has."""
    counts = sources.group_by("tmdb_id").agg(pl.len().cast(pl.Int32).alias("source_count"))
    return (
        movies.join(counts, on="tmdb_id", how="left")
        .with_columns(pl.col("source_count").fill_null(0))
        .select(MOVIE_COLUMNS)
        .sort("tmdb_id")
    )


def build_marts(
    stg: dict[str, pl.DataFrame],
    as_of: datetime | None = None,
    source_key: Callable[[str], str] | None = None,
) -> dict[str, pl.LazyFrame]:
    """Every ``mart_*`` table as a LazyFrame, from the staging frames."""
    movies = stg["stg_tmdb__movies"].lazy()
    aggregates = stg.get(OUTCOMES_AGG)
    sources = build_sources(
        stg["stg_yts__torrents"].lazy(),
        movies,
        as_of,
        aggregates.lazy() if aggregates is not None else None,
        source_key,
    )
    return {
        "mart_config": build_config(stg["stg_tmdb__config"].lazy()),
        "mart_genres": stg["stg_tmdb__genres"]
        .lazy()
        .select("genre_id", "language", "name")
        .sort("language", "genre_id"),
        "mart_movies": build_movies(movies, sources),
        "mart_movie_genres": stg["stg_tmdb__movie_genres"]
        .lazy()
        .select("tmdb_id", "genre_id")
        .sort("tmdb_id", "genre_id"),
        "mart_translations": stg["stg_tmdb__translations"]
        .lazy()
        .select("tmdb_id", "language", "region", "title", "overview", "tagline"),
        "mart_images": stg["stg_tmdb__images"]
        .lazy()
        .select("tmdb_id", "kind", "file_path", "width", "height", "language", "vote_average"),
        "mart_list_members": stg["stg_tmdb__list_members"]
        .lazy()
        .select("list_name", "position", "tmdb_id")
        .sort("list_name", "position"),
        "mart_sources": sources,
    }


def write_marts(con: duckdb.DuckDBPyConnection, marts: dict[str, pl.LazyFrame]) -> dict[str, int]:
    """Recreate every mart table (MART_DDL, TV_MART_DDL) and bulk-load the collected frames
    (a table ``marts`` does not carry stays empty)."""
    frames = dict(zip(marts, pl.collect_all(list(marts.values())), strict=True))
    con.execute(MART_DDL + TV_MART_DDL)
    counts: dict[str, int] = {}
    for table in MART_TABLES:
        frame = frames.pop(table, None)  # dropped once written: the peak shrinks as it goes
        if frame is None:
            counts[table] = 0
            continue
        insert_frame(con, table, frame)
        counts[table] = frame.height
    return counts
