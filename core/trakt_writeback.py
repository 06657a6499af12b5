"""What the Trakt ingest writes back into ``app.sqlite`` for the API: each user's watchlist
(replaced whole) and Trakt's playback progress merged into ``watch_progress``.

Merge rule, per title: Trakt's position wins only when its ``paused_at`` is newer than the
local ``updated_at`` (and it moved by at least :data:`MIN_CHANGE_PERCENT`, so our own
scrobble coming back does not churn the row). A new title needs its duration: the local
record's, else the catalogue runtime the caller passes; without one it is skipped.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from core.appdb import now_iso

MIN_CHANGE_PERCENT = 0.5
WATCHED_FRACTION = 0.9  # the API's rule (serve/progress.py)


@dataclass(frozen=True)
class WatchlistEntry:
    kind: str  # movie | show
    tmdb_id: int
    rank: int
    listed_at: str


@dataclass(frozen=True)
class PlaybackEntry:
    kind: str  # movie | episode
    tmdb_id: int
    season: int
    episode: int
    progress: float  # percent
    paused_at: datetime  # naive UTC
    runtime_s: float | None  # from the catalogue, when known


def stamp(moment: datetime) -> str:
    """The API's ``updated_at`` format (microseconds), so comparisons are exact."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def replace_watchlist(
    con: sqlite3.Connection, user_id: int, entries: Iterable[WatchlistEntry]
) -> int:
    rows = [(user_id, e.kind, e.tmdb_id, e.rank, e.listed_at) for e in entries]
    con.execute("BEGIN IMMEDIATE")
    try:
        con.execute("DELETE FROM trakt_watchlist WHERE user_id = ?", (user_id,))
        con.executemany(
            "INSERT OR IGNORE INTO trakt_watchlist (user_id, kind, tmdb_id, rank, listed_at)"
            " VALUES (?, ?, ?, ?, ?)",
            rows,
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return len(rows)


def merge_playback(con: sqlite3.Connection, user_id: int, entries: Iterable[PlaybackEntry]) -> int:
    """Merge Trakt positions into the user's progress (newer wins); returns rows changed."""
    changed = 0
    con.execute("BEGIN IMMEDIATE")
    try:
        for e in entries:
            key = (user_id, e.kind, e.tmdb_id, e.season, e.episode)
            local = con.execute(
                "SELECT duration_s, position_s, updated_at FROM watch_progress"
                " WHERE user_id = ? AND kind = ? AND tmdb_id = ? AND season = ? AND episode = ?",
                key,
            ).fetchone()
            when = stamp(e.paused_at)
            fraction = min(100.0, max(0.0, e.progress)) / 100.0
            if local is None:
                if not e.runtime_s or e.runtime_s <= 0:
                    continue
                duration = float(e.runtime_s)
            else:
                duration = float(local[0])
                if str(local[2]) >= when:
                    continue
                if abs(float(local[1]) / duration - fraction) * 100 < MIN_CHANGE_PERCENT:
                    continue
            position = round(fraction * duration, 3)
            watched = int(position >= WATCHED_FRACTION * duration)
            con.execute(
                "INSERT INTO watch_progress (user_id, kind, tmdb_id, season, episode,"
                " position_s, duration_s, watched, updated_at, watched_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (user_id, kind, tmdb_id, season, episode) DO UPDATE SET"
                " position_s = excluded.position_s, watched = excluded.watched,"
                " updated_at = excluded.updated_at, watched_at = CASE WHEN excluded.watched = 1"
                " AND watch_progress.watched = 0 THEN excluded.updated_at"
                " ELSE watch_progress.watched_at END"
                " WHERE excluded.updated_at > watch_progress.updated_at",
                (*key, position, duration, watched, when, when if watched else None),
            )
            changed += 1
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return changed


def record_sync(con: sqlite3.Connection, user_id: int, activities: dict[str, str]) -> None:
    """Remember the ``last_activities`` this run ingested (the next run's watermark)."""
    con.execute(
        "UPDATE trakt_links SET activities = ?, synced_at = ?, updated_at = ?"
        " WHERE user_id = ? AND state = 'linked'",
        (json.dumps(activities, sort_keys=True), now_iso(), now_iso(), user_id),
    )
