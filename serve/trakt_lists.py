"""The signed-in user's personal lists for ``GET /api/lists``: the Trakt watchlist."""

from __future__ import annotations

from typing import Any

from serve.extensions import app_db

WATCHLIST = "watchlist"


def personal_lists(user_id: int) -> list[dict[str, Any]]:
    """``[{"name": "watchlist", "count": n, "personal": true}]`` when the user's Trakt
    watchlist was ingested (items at ``GET /api/trakt/watchlist``); else nothing."""
    row = (
        app_db()
        .connection()
        .execute("SELECT COUNT(*) FROM trakt_watchlist WHERE user_id = ?", (user_id,))
        .fetchone()
    )
    count = int(row[0]) if row else 0
    return [{"name": WATCHLIST, "count": count, "personal": True}] if count else []
