"""DuckDB warehouse DDL: the contract between ingest (raw_*), transforms (stg_*, mart_*),
checks (dq_runs) and publish. Layers show in the names; see docs/warehouse.md.

Ownership: flows/ appends to ``raw_*`` and ``sync_runs``; warehouse/ rebuilds ``stg_*``,
``quarantine`` rows for the run, ``mart_*`` and appends ``dq_runs``; publish reads marts.
"""

from __future__ import annotations

import duckdb

# Every raw table has the same shape: one row per upstream response, append-only.
#   request_key  canonical, mirror- and key-independent: "GET /3/movie/550?language=en"
#   entity_key   what the request is about: "550", "popular:3", "en", "tt0137523"
#   url          the URL actually fetched (api keys stripped), fetched_at UTC
#   status       HTTP status of the final attempt (0 = no response: connection/timeout)
#   payload      the body as text, exactly as received (may be malformed: staging decides)
RAW_TABLES: tuple[str, ...] = (
    "raw_tmdb_configuration",
    "raw_tmdb_genres",
    "raw_tmdb_lists",
    "raw_tmdb_movies",
    "raw_yts_movies",
    # TV (issue 9): genres, lists, show details, seasons (with episodes), EZTV pages
    "raw_tmdb_tv_genres",
    "raw_tmdb_tv_lists",
    "raw_tmdb_shows",
    "raw_tmdb_seasons",
    "raw_eztv_torrents",
)

RAW_COLUMNS = """
    request_key VARCHAR NOT NULL,
    entity_key  VARCHAR NOT NULL,
    url         VARCHAR NOT NULL,
    fetched_at  TIMESTAMP NOT NULL,
    status      INTEGER NOT NULL,
    payload     VARCHAR,
    run_id      VARCHAR NOT NULL
"""

# The engine's per-source outcomes (landed from source_outcomes.sqlite by flows/, append-only;
# one row per engine event, not per upstream response: see warehouse/outcomes.py).
ENGINE_OUTCOMES_DDL = """
CREATE TABLE IF NOT EXISTS raw_engine_outcomes (
    event_id  BIGINT NOT NULL,     -- id in source_outcomes.sqlite (the ingest watermark)
    source_id VARCHAR,             -- the catalog's public source id (never an info hash)
    kind      VARCHAR,             -- opened | first_byte | stalled | metadata_timeout | ...
    ms        DOUBLE,              -- milliseconds
    peers     BIGINT,              -- connected peers
    rate      DOUBLE,              -- payload download rate, bytes/s
    recorded_at VARCHAR,           -- as recorded by the engine (ISO-8601 naive UTC)
    landed_at TIMESTAMP NOT NULL,
    run_id    VARCHAR NOT NULL
)
"""

BOOKKEEPING_DDL = """
CREATE TABLE IF NOT EXISTS sync_runs (
    run_id      VARCHAR PRIMARY KEY,
    started_at  TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    status      VARCHAR NOT NULL,          -- running | succeeded | failed | blocked
    summary     JSON                       -- counts per table, fetches, errors
);
CREATE TABLE IF NOT EXISTS quarantine (
    run_id         VARCHAR NOT NULL,
    source_table   VARCHAR NOT NULL,       -- raw table the record came from
    request_key    VARCHAR NOT NULL,
    record_key     VARCHAR,                -- e.g. tmdb id, info hash; NULL if unknown
    reason         VARCHAR NOT NULL,       -- readable: 'size_bytes <= 0', 'malformed JSON: ...'
    payload        VARCHAR,                -- the offending record (or body) as text
    quarantined_at TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS dq_runs (
    run_id      VARCHAR NOT NULL,
    suite       VARCHAR NOT NULL,          -- e.g. 'stg_yts__torrents', 'mart_sources'
    checked_at  TIMESTAMP NOT NULL,
    success     BOOLEAN NOT NULL,
    evaluated   INTEGER NOT NULL,          -- expectations evaluated
    failed      INTEGER NOT NULL,          -- expectations failed
    failures    JSON                       -- [{"expectation", "column", "details"}]
);
"""

# Marts: what is published and what analysts query. Transforms must produce exactly these
# columns (extra staging tables are free-form and documented in docs/warehouse.md).
MART_DDL = """
CREATE OR REPLACE TABLE mart_config (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);
CREATE OR REPLACE TABLE mart_genres (
    genre_id INTEGER NOT NULL, language VARCHAR NOT NULL, name VARCHAR NOT NULL
);
CREATE OR REPLACE TABLE mart_movies (
    tmdb_id BIGINT PRIMARY KEY, imdb_id VARCHAR, title VARCHAR NOT NULL,
    original_title VARCHAR, original_language VARCHAR, overview VARCHAR, tagline VARCHAR,
    release_date DATE, year INTEGER, runtime_min INTEGER, popularity DOUBLE,
    vote_average DOUBLE, vote_count INTEGER, poster_path VARCHAR, backdrop_path VARCHAR,
    status VARCHAR, source_count INTEGER NOT NULL, fetched_at TIMESTAMP NOT NULL
);
CREATE OR REPLACE TABLE mart_movie_genres (tmdb_id BIGINT NOT NULL, genre_id INTEGER NOT NULL);
CREATE OR REPLACE TABLE mart_translations (
    tmdb_id BIGINT NOT NULL, language VARCHAR NOT NULL, region VARCHAR,
    title VARCHAR, overview VARCHAR, tagline VARCHAR
);
CREATE OR REPLACE TABLE mart_images (
    tmdb_id BIGINT NOT NULL, kind VARCHAR NOT NULL,          -- poster | backdrop | logo
    file_path VARCHAR NOT NULL, width INTEGER, height INTEGER, language VARCHAR,
    vote_average DOUBLE
);
CREATE OR REPLACE TABLE mart_list_members (
    list_name VARCHAR NOT NULL,                               -- popular | top_rated | trending
    position INTEGER NOT NULL, tmdb_id BIGINT NOT NULL
);
-- One row per torrent. c_* are the score components (points, documented in docs/ranking.md);
-- score_<profile> = their weighted sum for the profile, NULL when the profile cannot play
-- the source; rank_<profile> = 1 for the best playable available source of the movie (NULL
-- when unplayable or unavailable).
CREATE OR REPLACE TABLE mart_sources (
    info_hash VARCHAR NOT NULL,                               -- 40 lowercase hex
    tmdb_id BIGINT NOT NULL, imdb_id VARCHAR NOT NULL,
    quality VARCHAR NOT NULL,                                 -- 480p|720p|1080p|2160p|3D
    resolution INTEGER NOT NULL, is_3d BOOLEAN NOT NULL,
    source_type VARCHAR,                                      -- bluray | web | NULL
    video_codec VARCHAR,                                      -- x264 | x265
    bit_depth INTEGER, audio_channels DOUBLE,
    size_bytes BIGINT NOT NULL, seeds INTEGER NOT NULL, peers INTEGER NOT NULL,
    uploaded_at TIMESTAMP, is_repack BOOLEAN NOT NULL,
    bitrate_mbps DOUBLE,                                      -- size*8/runtime, Mbit/s
    torrent_url VARCHAR, magnet VARCHAR NOT NULL,
    c_resolution DOUBLE, c_codec DOUBLE, c_source DOUBLE, c_bit_depth DOUBLE,
    c_audio DOUBLE, c_bitrate DOUBLE, c_health DOUBLE, c_repack DOUBLE, c_3d DOUBLE,
    c_age DOUBLE, c_reliability DOUBLE,
    stalls_7d INTEGER NOT NULL, failures_7d INTEGER NOT NULL,   -- engine events, last 7 days
    engine_peers_7d INTEGER NOT NULL,                         -- most peers the engine saw
    available BOOLEAN NOT NULL,                               -- seeds > 0 or engine saw a peer
    unavailable_reason VARCHAR,                               -- 'no seeders', NULL if available
    reliability_note VARCHAR,                                 -- 'stalled twice this week'
    score_web DOUBLE, score_tv DOUBLE, rank_web INTEGER, rank_tv INTEGER
);
"""

# TV marts (issue 9). Show ids are TMDB TV ids: they overlap movie ids, never join them.
TV_MART_DDL = """
CREATE OR REPLACE TABLE mart_tv_genres (
    genre_id INTEGER NOT NULL, language VARCHAR NOT NULL, name VARCHAR NOT NULL
);
CREATE OR REPLACE TABLE mart_shows (
    tmdb_id BIGINT PRIMARY KEY, imdb_id VARCHAR, tvdb_id BIGINT, name VARCHAR NOT NULL,
    original_name VARCHAR, original_language VARCHAR, overview VARCHAR, tagline VARCHAR,
    first_air_date DATE, last_air_date DATE, year INTEGER, status VARCHAR,
    in_production BOOLEAN, popularity DOUBLE, vote_average DOUBLE, vote_count INTEGER,
    poster_path VARCHAR, backdrop_path VARCHAR, number_of_seasons INTEGER,
    number_of_episodes INTEGER, episode_runtime_min INTEGER,
    source_count INTEGER NOT NULL,                            -- torrents (a pack counts once)
    fetched_at TIMESTAMP NOT NULL
);
CREATE OR REPLACE TABLE mart_show_genres (tmdb_id BIGINT NOT NULL, genre_id INTEGER NOT NULL);
CREATE OR REPLACE TABLE mart_show_translations (
    tmdb_id BIGINT NOT NULL, language VARCHAR NOT NULL, region VARCHAR,
    name VARCHAR, overview VARCHAR, tagline VARCHAR
);
CREATE OR REPLACE TABLE mart_show_images (
    tmdb_id BIGINT NOT NULL, kind VARCHAR NOT NULL, file_path VARCHAR NOT NULL,
    width INTEGER, height INTEGER, language VARCHAR, vote_average DOUBLE
);
CREATE OR REPLACE TABLE mart_show_list_members (
    list_name VARCHAR NOT NULL, position INTEGER NOT NULL, tmdb_id BIGINT NOT NULL
);
CREATE OR REPLACE TABLE mart_seasons (
    show_id BIGINT NOT NULL, season_number INTEGER NOT NULL, name VARCHAR, overview VARCHAR,
    air_date DATE, episode_count INTEGER NOT NULL, poster_path VARCHAR
);
CREATE OR REPLACE TABLE mart_episodes (
    show_id BIGINT NOT NULL, season_number INTEGER NOT NULL, episode_number INTEGER NOT NULL,
    name VARCHAR, overview VARCHAR, air_date DATE, runtime_min INTEGER, still_path VARCHAR,
    vote_average DOUBLE, source_count INTEGER NOT NULL        -- sources playing it (packs too)
);
-- One row per torrent that plays at least one published episode.
CREATE OR REPLACE TABLE mart_show_sources (
    info_hash VARCHAR NOT NULL, show_id BIGINT NOT NULL, season_number INTEGER NOT NULL,
    episode_number INTEGER,                                   -- NULL: season pack
    last_episode_number INTEGER,                    -- a run (S01E01E02): its last; else NULL
    is_pack BOOLEAN NOT NULL, release_name VARCHAR NOT NULL, quality VARCHAR NOT NULL,
    resolution INTEGER NOT NULL, source_type VARCHAR, video_codec VARCHAR,
    release_group VARCHAR, is_repack BOOLEAN NOT NULL, size_bytes BIGINT NOT NULL,
    seeds INTEGER NOT NULL, peers INTEGER NOT NULL, uploaded_at TIMESTAMP,
    available BOOLEAN NOT NULL, unavailable_reason VARCHAR, reliability_note VARCHAR,
    torrent_url VARCHAR, magnet VARCHAR NOT NULL
);
-- Which source plays which episode: a pack has one row per episode of its season. c_* as for
-- movies plus c_pack; score/rank per episode (docs/ranking.md, "Episodes").
CREATE OR REPLACE TABLE mart_episode_sources (
    show_id BIGINT NOT NULL, season_number INTEGER NOT NULL, episode_number INTEGER NOT NULL,
    info_hash VARCHAR NOT NULL, is_pack BOOLEAN NOT NULL,
    file_hint VARCHAR,                                        -- file inside a pack, when known
    bitrate_mbps DOUBLE,
    c_resolution DOUBLE, c_codec DOUBLE, c_source DOUBLE, c_bit_depth DOUBLE,
    c_audio DOUBLE, c_bitrate DOUBLE, c_health DOUBLE, c_repack DOUBLE, c_3d DOUBLE,
    c_age DOUBLE, c_reliability DOUBLE, c_pack DOUBLE,
    available BOOLEAN NOT NULL,
    score_web DOUBLE, score_tv DOUBLE, rank_web INTEGER, rank_tv INTEGER
);
"""

TV_MART_TABLES: tuple[str, ...] = (
    "mart_tv_genres",
    "mart_shows",
    "mart_show_genres",
    "mart_show_translations",
    "mart_show_images",
    "mart_show_list_members",
    "mart_seasons",
    "mart_episodes",
    "mart_show_sources",
    "mart_episode_sources",
)

MART_TABLES: tuple[str, ...] = (
    "mart_config",
    "mart_genres",
    "mart_movies",
    "mart_movie_genres",
    "mart_translations",
    "mart_images",
    "mart_list_members",
    "mart_sources",
    *TV_MART_TABLES,
)


def ensure_base_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create raw and bookkeeping tables when missing (idempotent; never drops data)."""
    for table in RAW_TABLES:
        con.execute(f"CREATE TABLE IF NOT EXISTS {table} ({RAW_COLUMNS})")
    con.execute(ENGINE_OUTCOMES_DDL)
    con.execute(BOOKKEEPING_DDL)
