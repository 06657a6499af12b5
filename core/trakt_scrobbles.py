"""The durable scrobble queue (``trakt_scrobbles`` in ``app.sqlite``).

A player event is queued first and sent after, so nothing is lost when Trakt is down or
rate-limiting. Per user the queue is sent strictly in order: only the oldest queued row
may be sent, and it is *claimed* (its ``next_attempt_at`` pushed a lease ahead by one
conditional UPDATE) before the POST, so two processes never send the same row. A row is
``sent`` on 201 and on Trakt's 409 (that scrobble already counts), ``dropped`` on 404/422
(Trakt does not know the title: retrying cannot help), and otherwise retried with
backoff (or after ``Retry-After``), holding back the rows behind it.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from core.appdb import now_iso
from core.trakt import TraktAuthError, TraktClient, TraktUnavailable
from core.trakt_store import CLAIM_LEASE_S, Cipher, access_token

WATCHED_PERCENT = 80.0  # Trakt counts a stop at or above this as watched
MAX_BACKOFF_S = 900.0
KEEP_DONE = timedelta(days=7)


@dataclass
class DrainResult:
    sent: int = 0
    dropped: int = 0
    failed: bool = False  # the head of the queue could not be sent (retried later)


def enqueue(
    con: sqlite3.Connection,
    user_id: int,
    kind: str,
    tmdb_id: int,
    action: str,
    progress: float,
    episode: tuple[int, int] = (0, 0),
) -> int:
    """Queue one event; a queued ``pause`` of the same title at the tail absorbs a newer
    ``pause`` (only the latest position matters). Returns the row id."""
    progress = round(min(100.0, max(0.0, float(progress))), 2)
    tail = con.execute(
        "SELECT id, kind, tmdb_id, season, episode, action, attempts FROM trakt_scrobbles"
        " WHERE user_id = ? AND state = 'queued' ORDER BY id DESC LIMIT 1",
        (user_id,),
    ).fetchone()
    same = tail is not None and tuple(tail[1:5]) == (kind, tmdb_id, *episode)
    if same and action == "pause" and tail[5] == "pause" and tail[6] == 0:
        cur = con.execute(
            "UPDATE trakt_scrobbles SET progress = ? WHERE id = ? AND state = 'queued'"
            " AND attempts = 0 AND next_attempt_at <= ?",
            (progress, tail[0], time.time()),
        )
        if cur.rowcount == 1:
            return int(tail[0])
    cur = con.execute(
        "INSERT INTO trakt_scrobbles (user_id, kind, tmdb_id, season, episode, action,"
        " progress, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (user_id, kind, tmdb_id, *episode, action, progress, now_iso()),
    )
    return int(cur.lastrowid or 0)


def scrobble_body(row: sqlite3.Row | tuple[Any, ...]) -> dict[str, Any]:
    kind, tmdb_id, season, number, progress = row[0], row[1], row[2], row[3], row[4]
    if kind == "movie":
        return {"movie": {"ids": {"tmdb": int(tmdb_id)}}, "progress": float(progress)}
    return {
        "show": {"ids": {"tmdb": int(tmdb_id)}},
        "episode": {"season": int(season), "number": int(number)},
        "progress": float(progress),
    }


def pending(con: sqlite3.Connection, user_id: int) -> int:
    row = con.execute(
        "SELECT COUNT(*) FROM trakt_scrobbles WHERE user_id = ? AND state = 'queued'",
        (user_id,),
    ).fetchone()
    return int(row[0])


def _retry_later(
    con: sqlite3.Connection, row_id: int, attempts: int, wait: float, why: str
) -> None:
    con.execute(
        "UPDATE trakt_scrobbles SET attempts = attempts + 1, next_attempt_at = ?, detail = ?"
        " WHERE id = ?",
        (time.time() + wait, why[:200], row_id),
    )


def drain(
    con: sqlite3.Connection,
    cipher: Cipher,
    client: TraktClient,
    user_id: int,
    limit: int = 100,
) -> DrainResult:
    """Send this user's due scrobbles in order, stopping at the first that fails."""
    result = DrainResult()
    for _ in range(limit):
        now = time.time()
        head = con.execute(
            "SELECT id, kind, tmdb_id, season, episode, progress, action, attempts,"
            " next_attempt_at FROM trakt_scrobbles WHERE user_id = ? AND state = 'queued'"
            " ORDER BY id LIMIT 1",
            (user_id,),
        ).fetchone()
        if head is None or float(head[8]) > now:
            break
        row_id, attempts = int(head[0]), int(head[7])
        claimed = con.execute(
            "UPDATE trakt_scrobbles SET next_attempt_at = ? WHERE id = ? AND state = 'queued'"
            " AND next_attempt_at <= ?",
            (now + CLAIM_LEASE_S, row_id, now),
        ).rowcount
        if not claimed:
            break
        backoff = min(MAX_BACKOFF_S, 5.0 * 2**attempts)
        try:
            token = access_token(con, cipher, client, user_id)
            if token is None:
                _retry_later(con, row_id, attempts, MAX_BACKOFF_S, "not linked")
                result.failed = True
                break
            status, _ = client.post(
                f"/scrobble/{head[6]}", token, f"user:{user_id}", scrobble_body(head[1:6])
            )
        except (TraktUnavailable, TraktAuthError) as exc:
            _retry_later(con, row_id, attempts, backoff, str(exc))
            result.failed = True
            break
        if status in (200, 201, 409):
            con.execute("UPDATE trakt_scrobbles SET state = 'sent' WHERE id = ?", (row_id,))
            result.sent += 1
        elif status in (404, 422):
            con.execute(
                "UPDATE trakt_scrobbles SET state = 'dropped', detail = ? WHERE id = ?",
                (f"Trakt answered {status}", row_id),
            )
            result.dropped += 1
        else:
            _retry_later(con, row_id, attempts, backoff, f"Trakt answered {status}")
            result.failed = True
            break
    cutoff = (datetime.now(UTC) - KEEP_DONE).strftime("%Y-%m-%dT%H:%M:%SZ")
    con.execute(
        "DELETE FROM trakt_scrobbles WHERE user_id = ? AND state != 'queued' AND created_at < ?",
        (user_id, cutoff),
    )
    return result
