"""``sync_state``: how far each incremental upstream feed has been consumed.

One row per feed (``tmdb_movie_changes``, ``tmdb_tv_changes``): the end of the last window
whose changes were all refetched, and the run that did it. flows/changes.py reads it to
plan a run (incremental, or a full refresh when there is no state or the gap is too long)
and writes it only after the run refetched what the feed named. See docs/warehouse.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import duckdb

from warehouse.errors import WarehouseError

SYNC_STATE_DDL = """
CREATE TABLE IF NOT EXISTS sync_state (
    feed        VARCHAR PRIMARY KEY,      -- tmdb_movie_changes | tmdb_tv_changes
    window_end  TIMESTAMP NOT NULL,       -- UTC: changes up to here have been refetched
    run_id      VARCHAR NOT NULL,         -- the run that advanced it
    mode        VARCHAR NOT NULL,         -- full | incremental: how that run refreshed
    changed     INTEGER NOT NULL,         -- ids the feed named in that run's window
    updated_at  TIMESTAMP NOT NULL
)
"""

FEED_NAME = re.compile(r"[a-z0-9_]{1,64}", re.ASCII)
MODES = ("full", "incremental")


class SyncStateError(WarehouseError):
    """A sync_state write that would corrupt the state (bad feed name, mode, time)."""


@dataclass(frozen=True)
class FeedState:
    """The stored state of one feed."""

    feed: str
    window_end: datetime
    run_id: str
    mode: str
    changed: int
    updated_at: datetime


def ensure_sync_state(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(SYNC_STATE_DDL)


def _check_feed(feed: str) -> str:
    if not FEED_NAME.fullmatch(feed):
        raise SyncStateError(f"bad feed name {feed!r}")
    return feed


def read_state(con: duckdb.DuckDBPyConnection, feed: str) -> FeedState | None:
    """The feed's state, or None when it was never advanced."""
    ensure_sync_state(con)
    rows = con.execute(  # fetchall: a half-read result blocks the next register()
        "SELECT feed, window_end, run_id, mode, changed, updated_at FROM sync_state WHERE feed = ?",
        [_check_feed(feed)],
    ).fetchall()
    return FeedState(*rows[0]) if rows else None


def advance_state(
    con: duckdb.DuckDBPyConnection,
    feed: str,
    window_end: datetime,
    run_id: str,
    *,
    mode: str,
    changed: int,
    now: datetime,
) -> FeedState:
    """Record that changes up to ``window_end`` (naive UTC) were refetched by ``run_id``.

    The window end never moves backwards: an older run finishing late leaves it as it is.
    """
    if window_end.tzinfo is not None or now.tzinfo is not None:
        raise SyncStateError("sync_state times are naive UTC")
    if mode not in MODES:
        raise SyncStateError(f"bad mode {mode!r}; expected one of {MODES}")
    if not run_id:
        raise SyncStateError("run_id must not be empty")
    if changed < 0:
        raise SyncStateError(f"changed must be >= 0, got {changed}")
    ensure_sync_state(con)
    con.execute(
        """
        INSERT INTO sync_state (feed, window_end, run_id, mode, changed, updated_at)
        VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT (feed) DO UPDATE SET
            window_end = excluded.window_end, run_id = excluded.run_id,
            mode = excluded.mode, changed = excluded.changed, updated_at = excluded.updated_at
        WHERE excluded.window_end >= sync_state.window_end
        """,
        [_check_feed(feed), window_end, run_id, mode, int(changed), now],
    ).fetchall()
    state = read_state(con, feed)
    assert state is not None
    return state
