"""Player progress → Trakt scrobbles, for users with a linked account.

Called after each ``PUT /api/progress/...`` save: crossing 80 % queues a ``stop`` (Trakt
marks the title watched), the first save of a viewing (no record, a finished one, or one
older than :data:`SESSION_GAP_S`) queues a ``start``, and every other save a ``pause`` at the
new position (coalesced in the queue, so Trakt's playback progress follows the player).
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from core.trakt_scrobbles import WATCHED_PERCENT, enqueue
from serve.trakt_service import scrobble_sender

SESSION_GAP_S = 1800.0


def _percent(row: sqlite3.Row) -> float:
    return 100.0 * float(row["position_s"]) / float(row["duration_s"])


def _age_s(row: sqlite3.Row) -> float:
    stamp = str(row["updated_at"]).rstrip("Z")
    try:
        then = datetime.fromisoformat(stamp).replace(tzinfo=UTC)
    except ValueError:
        return SESSION_GAP_S + 1
    return (datetime.now(UTC) - then).total_seconds()


def is_linked(con: sqlite3.Connection, user_id: int) -> bool:
    row = con.execute(
        "SELECT 1 FROM trakt_links WHERE user_id = ? AND state = 'linked'", (user_id,)
    ).fetchone()
    return row is not None


def scrobble_progress(
    con: sqlite3.Connection,
    user_id: int,
    kind: str,
    tmdb_id: int,
    before: sqlite3.Row | None,
    after: sqlite3.Row,
    episode: tuple[int, int] = (0, 0),
) -> None:
    """Queue the scrobble this save means (nothing when the user has no Trakt link)."""
    if not is_linked(con, user_id):
        return
    percent = _percent(after)
    was = _percent(before) if before is not None else 0.0
    if percent >= WATCHED_PERCENT and was < WATCHED_PERCENT:
        action = "stop"
    elif before is None or before["watched"] or _age_s(before) > SESSION_GAP_S:
        action = "start"
    else:
        action = "pause"
    enqueue(con, user_id, kind, tmdb_id, action, percent, episode)
    scrobble_sender().kick(user_id)
