"""DuckDB tables of the Trakt ingest: ``raw_trakt_*`` (landed answers, append-only, keyed by
the Miauflix user id — never by Trakt credentials) and ``stg_trakt__*`` (typed, mapped to
TMDB ids, rebuilt by each run from the raw tables).

A raw row is one section of one user's library as Trakt answered it (every page joined):
``payload`` is the JSON list. No token, device code or Trakt username is ever landed.
"""

from __future__ import annotations

import duckdb

from warehouse.schema import ensure_base_schema

RAW_SECTIONS = ("activities", "watchlist", "history", "playback", "ratings")
RAW_TABLES = tuple(f"raw_trakt_{s}" for s in RAW_SECTIONS)
STG_TABLES = (
    "stg_trakt__watchlist",
    "stg_trakt__history",
    "stg_trakt__playback",
    "stg_trakt__ratings",
)

_RAW_DDL = """
CREATE TABLE IF NOT EXISTS {table} (
    run_id      VARCHAR NOT NULL,
    user_id     BIGINT NOT NULL,           -- the Miauflix user (app.sqlite users.id)
    request_key VARCHAR NOT NULL,          -- path and query, e.g. '/sync/history?start_at=..'
    fetched_at  TIMESTAMP NOT NULL,        -- UTC
    status      INTEGER NOT NULL,
    payload     VARCHAR                    -- the answer's JSON (all pages of a list joined)
);
"""

STG_DDL = """
CREATE TABLE IF NOT EXISTS stg_trakt__watchlist (
    user_id BIGINT NOT NULL, kind VARCHAR NOT NULL,        -- 'movie' | 'show'
    tmdb_id BIGINT NOT NULL, trakt_id BIGINT, imdb_id VARCHAR,
    mapped_by VARCHAR NOT NULL,                             -- 'tmdb' | 'imdb'
    rank INTEGER NOT NULL, listed_at TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS stg_trakt__history (
    user_id BIGINT NOT NULL, history_id BIGINT NOT NULL,
    kind VARCHAR NOT NULL,                                  -- 'movie' | 'episode'
    tmdb_id BIGINT NOT NULL,                                -- the movie, or the show
    season INTEGER NOT NULL, episode INTEGER NOT NULL,      -- 0, 0 for movies
    mapped_by VARCHAR NOT NULL, watched_at TIMESTAMP NOT NULL, action VARCHAR
);
CREATE TABLE IF NOT EXISTS stg_trakt__playback (
    user_id BIGINT NOT NULL, playback_id BIGINT NOT NULL, kind VARCHAR NOT NULL,
    tmdb_id BIGINT NOT NULL, season INTEGER NOT NULL, episode INTEGER NOT NULL,
    mapped_by VARCHAR NOT NULL,
    progress DOUBLE NOT NULL,                               -- percent, 0..100
    paused_at TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS stg_trakt__ratings (
    user_id BIGINT NOT NULL, kind VARCHAR NOT NULL, tmdb_id BIGINT NOT NULL,
    season INTEGER NOT NULL, episode INTEGER NOT NULL, mapped_by VARCHAR NOT NULL,
    rating INTEGER NOT NULL,                                -- 1..10
    rated_at TIMESTAMP NOT NULL
);
"""


def ensure_trakt_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the Trakt tables (and the shared ones, quarantine and dq_runs included)."""
    ensure_base_schema(con)
    for table in RAW_TABLES:
        con.execute(_RAW_DDL.format(table=table))
    con.execute(STG_DDL)


def forget_users(con: duckdb.DuckDBPyConnection, keep: list[int]) -> int:
    """Delete every raw and staged Trakt row of users not in ``keep`` (unlinked accounts)."""
    gone = 0
    for table in (*RAW_TABLES, *STG_TABLES):
        if keep:
            marks = ", ".join("?" for _ in keep)
            row = con.execute(
                f"DELETE FROM {table} WHERE user_id NOT IN ({marks}) RETURNING 1", keep
            ).fetchall()
        else:
            row = con.execute(f"DELETE FROM {table} RETURNING 1").fetchall()
        gone += len(row)
    return gone
