"""Trakt's public lists staged as curated lists: ``trakt-<slug>`` names made safe and unique,
items mapped to catalogue movies (TMDB id, IMDb fallback), everything else quarantined with a
reason, and publishing carries only movies the catalogue has."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import duckdb
import pytest

from warehouse.trakt_checks import run_trakt_checks
from warehouse.trakt_lists import (
    LIST_SUITES,
    MAX_NAME,
    ensure_lists_schema,
    list_members_query,
    list_name,
    stage_lists,
    write_lists,
)

BASE = "SELECT list_name, position, tmdb_id FROM mart_list_members ORDER BY list_name, position"


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    db = duckdb.connect(":memory:")
    ensure_lists_schema(db)
    db.execute("CREATE TABLE mart_movies (tmdb_id BIGINT, imdb_id VARCHAR)")
    db.execute("INSERT INTO mart_movies VALUES (550, 'tt0137523'), (13, 'tt0109830'), (603, NULL)")
    db.execute("CREATE TABLE mart_list_members (list_name VARCHAR, position INT, tmdb_id BIGINT)")
    db.execute("INSERT INTO mart_list_members VALUES ('popular', 1, 550)")
    return db


def _entry(trakt_id: Any, slug: Any) -> dict[str, Any]:
    return {"like_count": 1, "list": {"name": "N", "ids": {"trakt": trakt_id, "slug": slug}}}


def _item(rank: int, tmdb: int | None, imdb: str | None = None) -> dict[str, Any]:
    ids = {"trakt": 100 + rank, "slug": "s", "imdb": imdb, "tmdb": tmdb}
    return {"rank": rank, "id": rank, "type": "movie", "movie": {"title": "T", "ids": ids}}


def _land(con: duckdb.DuckDBPyConnection, run: str, answers: dict[str, Any], at: int = 1) -> None:
    for key, body in answers.items():
        payload = body if isinstance(body, str) else json.dumps(body)
        con.execute("INSERT INTO raw_trakt_lists VALUES (?, ?, ?, 200, ?)",
                    [run, key, datetime(2026, 1, at), payload])  # fmt: skip


@pytest.mark.parametrize(
    ("slug", "expected"),
    [
        ("best-of-2024", "trakt-best-of-2024"),
        ("Weird  Slug/../x", "trakt-weird-slug-x"),
        ("'; DROP TABLE movies; --", "trakt-drop-table-movies"),
        ("ünïcödé", "trakt-n-c-d"),
        ("", "trakt-77"),
        ("---", "trakt-77"),
        (None, "trakt-77"),
        (12, "trakt-77"),
        ("a" * 500, "trakt-" + "a" * (MAX_NAME - 6)),
    ],
)
def test_list_names_are_safe_bounded_slugs(slug: Any, expected: str) -> None:
    assert list_name(slug, 77) == expected
    assert len(expected) <= MAX_NAME


def test_lists_map_by_tmdb_then_imdb_and_quarantine_the_rest(
    con: duckdb.DuckDBPyConnection,
) -> None:
    _land(con, "r1", {
        "/lists/trending?limit=2": [_entry(5, "picks"), _entry(6, "picks"), _entry(9, "third")],
        "/lists/popular?limit=2": [_entry(5, "picks"), _entry(True, "bool-id"), "junk"],
        "/lists/5/items/movie": [_item(2, None, "TT0109830"), _item(1, 550), _item(3, 4242, "tt1"),
                                 _item(4, 550), {"type": "show", "show": {}}],
        "/lists/6/items/movie": "{not json",
        "/lists/9/items/movie": [_item(1, 603)],
    })  # fmt: skip
    staged = stage_lists(con, top=2)
    rows = staged.members.select("list_name", "position", "tmdb_id", "mapped_by").rows()
    assert rows == [("trakt-picks", 1, 550, "tmdb"), ("trakt-picks", 2, 13, "imdb")]
    reasons = sorted(q.reason.split(":")[0] for q in staged.quarantine)
    assert reasons == ["malformed", "malformed JSON", "unmatched"]
    unmatched = next(q for q in staged.quarantine if q.reason.startswith("unmatched"))
    assert "tmdb 4242" in unmatched.reason and "imdb tt1" in unmatched.reason
    assert write_lists(con, staged) == 2


def test_duplicate_slugs_get_the_trakt_id_and_the_newest_run_wins(
    con: duckdb.DuckDBPyConnection,
) -> None:
    _land(con, "old", {"/lists/trending?limit=3": [_entry(5, "gone")],
                       "/lists/5/items/movie": [_item(1, 550)]}, at=1)  # fmt: skip
    _land(con, "new", {
        "/lists/trending?limit=3": [_entry(7, "same"), _entry(8, "same")],
        "/lists/popular?limit=3": [],
        "/lists/7/items/movie": [_item(1, 550)],
        "/lists/8/items/movie": [_item(1, 13), _item(2, 603)],
    }, at=2)  # fmt: skip
    staged = stage_lists(con, top=3)
    got = staged.members.select("list_name", "position", "tmdb_id").rows()
    assert got == [("trakt-same", 1, 550), ("trakt-same-8", 1, 13), ("trakt-same-8", 2, 603)]


def test_publish_query_adds_staged_lists_of_catalogue_movies_only(
    con: duckdb.DuckDBPyConnection,
) -> None:
    fresh = duckdb.connect(":memory:")
    fresh.execute("CREATE TABLE mart_list_members (list_name VARCHAR, position INT, tmdb_id INT)")
    assert list_members_query(fresh, BASE) == BASE  # nothing staged yet: unchanged
    con.execute("INSERT INTO stg_trakt__list_members VALUES ('trakt-x', 1, 13, 5, 'tmdb'),"
                " ('trakt-x', 2, 999, 5, 'tmdb')")  # fmt: skip
    rows = con.execute(list_members_query(con, BASE)).fetchall()
    assert rows == [("popular", 1, 550), ("trakt-x", 1, 13)]


def test_no_landed_run_stages_nothing(con: duckdb.DuckDBPyConnection) -> None:
    staged = stage_lists(con, top=3)
    assert staged.members.height == 0 and staged.quarantine == []
    assert write_lists(con, staged) == 0


def test_suites_pass_staged_lists_and_catch_bad_rows(con: duckdb.DuckDBPyConnection) -> None:
    _land(con, "r1", {"/lists/trending?limit=3": [_entry(5, "fine")],
                      "/lists/5/items/movie": [_item(1, 550), _item(2, 13)]})  # fmt: skip
    write_lists(con, stage_lists(con, top=3))
    assert all(r.success for r in run_trakt_checks(con, "r1", LIST_SUITES))
    con.execute(
        "INSERT INTO stg_trakt__list_members VALUES ('trakt-Bad Name', 1, 550, 5, 'x'),"
        " ('trakt-fine', 3, 550, 5, 'tmdb'), ('trakt-fine', 0, 603, 5, 'imdb')"
    )
    (result,) = run_trakt_checks(con, "r2", LIST_SUITES)
    assert not result.success
    assert sorted(f.expectation for f in result.failures) == [
        "between(position)", "in_set(mapped_by)", "matches(list_name)",
        "unique_together(list_name,tmdb_id)",
    ]  # fmt: skip
