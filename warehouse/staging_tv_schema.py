"""DuckDB DDL of the TV staging tables (``stg_*``; see docs/warehouse.md for units).

Merged into ``warehouse.staging_schema.STAGING_DDL``: rebuilt in full by every transform.
"""

from __future__ import annotations

TV_STAGING_DDL: dict[str, str] = {
    "stg_tmdb__tv_genres": """
        genre_id INTEGER NOT NULL, language VARCHAR NOT NULL, name VARCHAR NOT NULL,
        request_key VARCHAR NOT NULL, fetched_at TIMESTAMP NOT NULL
    """,
    "stg_tmdb__shows": """
        tmdb_id BIGINT NOT NULL, imdb_id VARCHAR, tvdb_id BIGINT, name VARCHAR NOT NULL,
        original_name VARCHAR, original_language VARCHAR, overview VARCHAR, tagline VARCHAR,
        first_air_date DATE, last_air_date DATE, year INTEGER, status VARCHAR,
        in_production BOOLEAN, popularity DOUBLE, vote_average DOUBLE, vote_count INTEGER,
        poster_path VARCHAR, backdrop_path VARCHAR, number_of_seasons INTEGER,
        number_of_episodes INTEGER,
        episode_runtime_min INTEGER,    -- first non-zero of TMDB's episode_run_time, minutes
        language VARCHAR, request_key VARCHAR NOT NULL, fetched_at TIMESTAMP NOT NULL
    """,
    "stg_tmdb__show_genres": "tmdb_id BIGINT NOT NULL, genre_id INTEGER NOT NULL, name VARCHAR",
    "stg_tmdb__show_translations": """
        tmdb_id BIGINT NOT NULL, language VARCHAR NOT NULL, region VARCHAR,
        name VARCHAR, overview VARCHAR, tagline VARCHAR
    """,
    "stg_tmdb__show_images": """
        tmdb_id BIGINT NOT NULL, kind VARCHAR NOT NULL, file_path VARCHAR NOT NULL,
        width INTEGER, height INTEGER, language VARCHAR, vote_average DOUBLE, vote_count INTEGER
    """,
    # Seasons as the show's details list them (with TMDB's episode_count).
    "stg_tmdb__seasons": """
        show_id BIGINT NOT NULL, season_number INTEGER NOT NULL, name VARCHAR, overview VARCHAR,
        air_date DATE, episode_count INTEGER NOT NULL, poster_path VARCHAR
    """,
    "stg_tmdb__tv_list_members": """
        list_name VARCHAR NOT NULL, page INTEGER NOT NULL, position INTEGER NOT NULL,
        tmdb_id BIGINT NOT NULL, request_key VARCHAR NOT NULL, fetched_at TIMESTAMP NOT NULL
    """,
    "stg_tmdb__episodes": """
        show_id BIGINT NOT NULL, season_number INTEGER NOT NULL, episode_number INTEGER NOT NULL,
        name VARCHAR, overview VARCHAR, air_date DATE,
        runtime_min INTEGER,            -- NULL when TMDB says 0 or nothing
        still_path VARCHAR, vote_average DOUBLE,  -- NULL when TMDB says 0 (no votes)
        request_key VARCHAR NOT NULL, fetched_at TIMESTAMP NOT NULL
    """,
    "stg_eztv__torrents": """
        info_hash VARCHAR NOT NULL, imdb_id VARCHAR NOT NULL, show_id BIGINT,
        eztv_id BIGINT, release_name VARCHAR NOT NULL, filename VARCHAR,
        season_number INTEGER NOT NULL,
        episode_number INTEGER,         -- NULL for a season pack; the first of a multi-episode
        last_episode_number INTEGER,    -- the last of a multi-episode release, else NULL
        is_pack BOOLEAN NOT NULL,
        quality VARCHAR NOT NULL, resolution INTEGER NOT NULL,
        source_type VARCHAR,            -- hdtv | web (WEB-DL, WEB) | webrip | bluray
        video_codec VARCHAR,            -- x264 | x265
        release_group VARCHAR, is_repack BOOLEAN NOT NULL,  -- REPACK or PROPER
        size_bytes BIGINT NOT NULL, seeds INTEGER NOT NULL, peers INTEGER NOT NULL,
        uploaded_at TIMESTAMP, torrent_url VARCHAR,
        position INTEGER NOT NULL,      -- (page - 1) * 1000 + index on the EZTV page
        request_key VARCHAR NOT NULL, fetched_at TIMESTAMP NOT NULL
    """,
}
