"""sync_state on a real DuckDB: one row per feed, validated writes, parameterised reads."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import pytest

from warehouse.sync_state import SyncStateError, advance_state, read_state

NOW = datetime(2026, 5, 20, 12, 0)


def test_a_feed_never_advanced_has_no_state() -> None:
    assert read_state(duckdb.connect(), "tmdb_tv_changes") is None


def test_advancing_records_the_window_end_and_the_run() -> None:
    con = duckdb.connect()
    state = advance_state(con, "tmdb_tv_changes", NOW, "run-7", mode="full", changed=0, now=NOW)
    assert (state.window_end, state.run_id, state.mode) == (NOW, "run-7", "full")
    assert read_state(con, "tmdb_movie_changes") is None  # feeds are independent


@pytest.mark.parametrize(
    "feed", ["", "x" * 65, "feed'; DROP TABLE sync_state; --", "a b", "tmdb-changes", "ü"]
)
def test_hostile_feed_names_are_refused(feed: str) -> None:
    con = duckdb.connect()
    with pytest.raises(SyncStateError):
        read_state(con, feed)
    with pytest.raises(SyncStateError):
        advance_state(con, feed, NOW, "r", mode="full", changed=0, now=NOW)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"mode": "partial"}, "mode"),
        ({"changed": -1}, "changed"),
        ({"run_id": ""}, "run_id"),
        ({"window_end": NOW.replace(tzinfo=UTC)}, "naive"),
    ],
)
def test_bad_writes_are_refused(kwargs: dict[str, object], match: str) -> None:
    args: dict[str, object] = {
        "window_end": NOW, "run_id": "r", "mode": "full", "changed": 0, "now": NOW,
    }  # fmt: skip
    args.update(kwargs)
    con = duckdb.connect()
    with pytest.raises(SyncStateError, match=match):
        advance_state(con, "tmdb_movie_changes", **args)  # type: ignore[arg-type]
    assert read_state(con, "tmdb_movie_changes") is None
