"""Trakt staging: records typed and mapped to TMDB ids (IMDb fallback; movie and show ids
never mixed), malformed records refused with a reason, and the suites catch bad rows."""

from __future__ import annotations

import json
from typing import Any

import duckdb
import polars as pl
import pytest

from warehouse.trakt_checks import run_trakt_checks
from warehouse.trakt_schema import ensure_trakt_schema, forget_users
from warehouse.trakt_staging import Malformed, candidate, map_to_tmdb, stage, write_staged

MOVIES = pl.LazyFrame({"tmdb_id": [550, 13], "imdb_id": ["tt0137523", "tt0109830"]})
SHOWS = pl.LazyFrame({"tmdb_id": [550, 1399], "imdb_id": ["tt9999999", "tt0944947"]})


def _movie(tmdb: int | None, imdb: str | None = None, **extra: Any) -> dict[str, Any]:
    ids = {"trakt": 1, "tmdb": tmdb, "imdb": imdb}
    return {"type": "movie", "movie": {"title": "X", "ids": ids}, **extra}


def _mapped(items: list[dict[str, Any]], section: str = "watchlist") -> list[dict[str, Any]]:
    rows = [candidate(section, 1, "/k", item) for item in items]
    frame = pl.DataFrame(rows, infer_schema_length=None)
    return map_to_tmdb(frame.lazy(), MOVIES, SHOWS).collect().to_dicts()


def test_movies_map_by_tmdb_then_by_imdb_and_unknowns_stay_unmapped() -> None:
    stamp = {"listed_at": "2025-01-01T00:00:00.000Z"}
    got = _mapped(
        [_movie(550, **stamp), _movie(None, "TT0109830", **stamp), _movie(7, "tt1", **stamp)]
    )
    pairs = {(r["imdb"], r["tmdb_id"], r["mapped_by"]) for r in got}
    assert pairs == {(None, 550, "tmdb"), ("tt0109830", 13, "imdb"), ("tt1", None, None)}


def test_show_and_movie_ids_are_never_mixed() -> None:
    show = {"type": "show", "listed_at": "2025-01-01T00:00:00.000Z",
            "show": {"ids": {"trakt": 2, "tmdb": 13, "imdb": "tt0944947"}}}  # fmt: skip
    got = _mapped([show])
    assert (got[0]["tmdb_id"], got[0]["mapped_by"]) == (1399, "imdb")  # not movie 13
    episode = {"type": "episode", "watched_at": "2025-01-01T00:00:00.000Z", "id": 9,
               "show": {"ids": {"tmdb": 550}}, "episode": {"season": 1, "number": 2}}  # fmt: skip
    mapped = _mapped([episode], "history")[0]
    assert (mapped["tmdb_id"], mapped["season"], mapped["episode"]) == (550, 1, 2)


@pytest.mark.parametrize(
    ("section", "item", "why"),
    [
        ("watchlist", "not an object", "not an object"),
        ("watchlist", {"type": "movie"}, "no ids"),
        ("watchlist", {"type": "season", "season": {}}, "unsupported"),
        ("watchlist", _movie(1, listed_at="yesterday"), "ISO-8601"),
        ("watchlist", _movie(1, listed_at=None), "not text"),
        ("playback", _movie(1, paused_at="2025-01-01T00:00:00Z", progress=100.5), "0..100"),
        ("playback", _movie(1, paused_at="2025-01-01T00:00:00Z", progress=True), "not a number"),
        ("playback", _movie(1, paused_at="2025-01-01T00:00:00Z", progress="50"), "not a number"),
        ("ratings", _movie(1, rated_at="2025-01-01T00:00:00Z", rating=11), "1..10"),
        ("history", {"type": "episode", "watched_at": "2025-01-01T00:00:00Z",
                     "show": {"ids": {}}, "episode": {"season": 1, "number": 0}}, "numbers"),
    ],
)  # fmt: skip
def test_malformed_records_are_refused_with_a_reason(section: str, item: Any, why: str) -> None:
    with pytest.raises(Malformed, match=why):
        candidate(section, 1, "/k", item)


def _warehouse() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    ensure_trakt_schema(con)
    con.execute("CREATE TABLE mart_movies (tmdb_id BIGINT, imdb_id VARCHAR, runtime_min INTEGER)")
    con.execute("INSERT INTO mart_movies VALUES (550, 'tt0137523', 139), (13, 'tt0109830', 142)")
    return con


def _land(con: duckdb.DuckDBPyConnection, section: str, user: int, payload: Any, at: str) -> None:
    con.execute(
        f"INSERT INTO raw_trakt_{section} VALUES ('r', ?, '/sync', ?::TIMESTAMP, 200, ?)",
        [user, at, payload if isinstance(payload, str) else json.dumps(payload)],
    )


def test_staging_keeps_users_apart_uses_the_latest_answer_and_quarantines() -> None:
    con = _warehouse()
    old = [_movie(13, listed_at="2025-01-01T00:00:00Z", rank=1)]
    new = [_movie(550, listed_at="2025-02-01T00:00:00Z", rank=1), _movie(None, "tt0000001",
           listed_at="2025-02-01T00:00:00Z", rank=2)]  # fmt: skip
    _land(con, "watchlist", 1, old, "2025-01-01")
    _land(con, "watchlist", 1, new, "2025-02-01")
    _land(con, "watchlist", 2, old, "2025-01-01")
    _land(con, "history", 2, "{broken", "2025-01-01")
    staged = stage(con)
    rows = staged.tables["stg_trakt__watchlist"].select("user_id", "tmdb_id").rows()
    assert sorted(rows) == [(1, 550), (2, 13)]
    reasons = sorted(q.reason.split(":")[0] for q in staged.quarantine)
    assert reasons == ["malformed JSON", "unmatched"]
    write_staged(con, staged)
    assert all(r.success for r in run_trakt_checks(con, "r"))


def test_history_from_every_incremental_answer_is_deduplicated_by_id() -> None:
    con = _warehouse()
    first = [_movie(550, watched_at="2025-01-01T00:00:00Z", id=1, action="watch")]
    second = [*first, _movie(13, watched_at="2025-01-02T00:00:00Z", id=2, action="scrobble")]
    _land(con, "history", 1, first, "2025-01-01")
    _land(con, "history", 1, second, "2025-01-02")
    history = stage(con).tables["stg_trakt__history"]
    assert sorted(history["history_id"].to_list()) == [1, 2]


def test_a_bad_staged_row_fails_its_suite_and_is_recorded() -> None:
    con = _warehouse()
    con.execute("INSERT INTO stg_trakt__playback VALUES (1, 1, 'movie', 550, 0, 0, 'tmdb', 150.0,"
                " TIMESTAMP '2025-01-01')")  # fmt: skip
    con.execute("INSERT INTO stg_trakt__ratings VALUES (1, 'movie', 550, 0, 0, 'guess', 5,"
                " TIMESTAMP '2025-01-01')")  # fmt: skip
    results = {r.suite: r for r in run_trakt_checks(con, "bad")}
    assert not results["stg_trakt__playback"].success
    assert not results["stg_trakt__ratings"].success
    assert results["stg_trakt__watchlist"].success
    recorded = con.execute("SELECT suite, success FROM dq_runs WHERE run_id = 'bad'").fetchall()
    assert ("stg_trakt__playback", False) in recorded


def test_forgetting_users_deletes_their_rows_everywhere() -> None:
    con = _warehouse()
    _land(con, "watchlist", 1, [], "2025-01-01")
    _land(con, "watchlist", 2, [], "2025-01-01")
    assert forget_users(con, [2]) == 1
    assert con.execute("SELECT DISTINCT user_id FROM raw_trakt_watchlist").fetchall() == [(2,)]
    assert forget_users(con, []) == 1
