"""DuckDB DDL of the staging layer (``stg_*``), rebuilt from the raw tables by every transform.

Staging only renames, casts, validates and deduplicates (see docs/warehouse.md for units).
Every staged row keeps ``request_key`` and ``fetched_at`` of the raw response it came from.
"""

from __future__ import annotations

import duckdb

from warehouse.outcomes import STAGING_DDL as OUTCOME_STAGING_DDL
from warehouse.source_stats import STAGING_DDL as SOURCE_STATS_STAGING_DDL
from warehouse.staging_tv_schema import TV_STAGING_DDL

STAGING_DDL: dict[str, str] = {
    # One row per request_key: the raw response that won and what staging made of it.
    "stg_raw_responses": """
        source_table VARCHAR NOT NULL, request_key VARCHAR NOT NULL, entity_key VARCHAR NOT NULL,
        url VARCHAR, fetched_at TIMESTAMP NOT NULL, status INTEGER NOT NULL, run_id VARCHAR,
        attempts INTEGER NOT NULL,      -- raw rows for this request_key
        stale BOOLEAN NOT NULL,         -- a newer attempt failed; this older answer was kept
        outcome VARCHAR NOT NULL,       -- staged | quarantined | gone
        records INTEGER NOT NULL,       -- records found in a staged body
        superseded INTEGER NOT NULL,    -- of those, dropped for a newer copy of the same key
        reason VARCHAR                  -- quarantine reason when not staged
    """,
    "stg_tmdb__config": """
        image_base_url VARCHAR NOT NULL, base_url VARCHAR, poster_sizes VARCHAR NOT NULL,
        backdrop_sizes VARCHAR NOT NULL, logo_sizes VARCHAR NOT NULL,
        request_key VARCHAR NOT NULL, fetched_at TIMESTAMP NOT NULL
    """,
    "stg_tmdb__genres": """
        genre_id INTEGER NOT NULL, language VARCHAR NOT NULL, name VARCHAR NOT NULL,
        request_key VARCHAR NOT NULL, fetched_at TIMESTAMP NOT NULL
    """,
    "stg_tmdb__movies": """
        tmdb_id BIGINT NOT NULL, imdb_id VARCHAR, title VARCHAR NOT NULL,
        original_title VARCHAR, original_language VARCHAR, overview VARCHAR, tagline VARCHAR,
        release_date DATE, year INTEGER, runtime_min INTEGER, popularity DOUBLE,
        vote_average DOUBLE, vote_count INTEGER, poster_path VARCHAR, backdrop_path VARCHAR,
        status VARCHAR, adult BOOLEAN, language VARCHAR,
        request_key VARCHAR NOT NULL, fetched_at TIMESTAMP NOT NULL
    """,
    "stg_tmdb__movie_genres": """
        tmdb_id BIGINT NOT NULL, genre_id INTEGER NOT NULL, name VARCHAR
    """,
    "stg_tmdb__translations": """
        tmdb_id BIGINT NOT NULL, language VARCHAR NOT NULL, region VARCHAR,
        title VARCHAR, overview VARCHAR, tagline VARCHAR, runtime_min INTEGER
    """,
    "stg_tmdb__images": """
        tmdb_id BIGINT NOT NULL, kind VARCHAR NOT NULL, file_path VARCHAR NOT NULL,
        width INTEGER, height INTEGER, language VARCHAR, vote_average DOUBLE,
        vote_count INTEGER
    """,
    "stg_tmdb__list_members": """
        list_name VARCHAR NOT NULL, page INTEGER NOT NULL, position INTEGER NOT NULL,
        tmdb_id BIGINT NOT NULL, request_key VARCHAR NOT NULL, fetched_at TIMESTAMP NOT NULL
    """,
    "stg_yts__torrents": """
        info_hash VARCHAR NOT NULL, imdb_id VARCHAR NOT NULL, tmdb_id BIGINT,
        yts_movie_id BIGINT, yts_title VARCHAR, yts_year INTEGER, yts_runtime_min INTEGER,
        quality VARCHAR NOT NULL, resolution INTEGER NOT NULL, is_3d BOOLEAN NOT NULL,
        source_type VARCHAR, video_codec VARCHAR, bit_depth INTEGER, audio_channels DOUBLE,
        size_bytes BIGINT NOT NULL, seeds INTEGER NOT NULL, peers INTEGER NOT NULL,
        uploaded_at TIMESTAMP, is_repack BOOLEAN NOT NULL, torrent_url VARCHAR,
        position INTEGER NOT NULL,      -- index of the torrent in the YTS answer
        request_key VARCHAR NOT NULL, fetched_at TIMESTAMP NOT NULL
    """,
    **OUTCOME_STAGING_DDL,
    **SOURCE_STATS_STAGING_DDL,
    **TV_STAGING_DDL,
}

STAGING_TABLES: tuple[str, ...] = tuple(STAGING_DDL)


def create_staging_tables(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)create every ``stg_*`` table empty; staging is rebuilt in full on each transform."""
    for table, columns in STAGING_DDL.items():
        con.execute(f"CREATE OR REPLACE TABLE {table} ({columns})")
