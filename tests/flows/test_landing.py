"""Raw landing on a real DuckDB: canonical keys, batch append, freshness look-ups."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import duckdb
import pytest

from core.clock import utcnow
from flows.errors import LandingError
from flows.landing import canonical_request_key, fresh_keys, land, latest_successes
from warehouse.schema import ensure_base_schema

TABLE = "raw_tmdb_movies"
NOW = datetime(2025, 6, 1, 12, 0, 0)


@dataclass(frozen=True)
class Row:
    request_key: str
    entity_key: str = "550"
    url: str = "http://tmdb.test/3/movie/550"
    fetched_at: datetime = NOW
    status: int = 200
    payload: str | None = '{"id": 550}'


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(":memory:")
    ensure_base_schema(connection)
    yield connection
    connection.close()


def test_request_key_sorts_the_query_and_drops_secrets() -> None:
    a = canonical_request_key(
        "/3/movie/550",
        {"language": "en", "api_key": "SECRET", "append_to_response": "external_ids,images"},
    )
    b = canonical_request_key(
        "/3/movie/550", {"append_to_response": "external_ids,images", "language": "en"}
    )
    assert a == b == "GET /3/movie/550?append_to_response=external_ids,images&language=en"


def test_request_key_without_query_has_no_question_mark() -> None:
    assert canonical_request_key("/3/configuration") == "GET /3/configuration"
    assert canonical_request_key("/3/configuration", {"API_KEY": "x"}) == "GET /3/configuration"


def test_request_key_encodes_hostile_values_so_they_cannot_add_parameters() -> None:
    key = canonical_request_key("/api/v2/list_movies.json", {"query_term": "tt1&limit=50 x"})
    assert key == "GET /api/v2/list_movies.json?query_term=tt1%26limit%3D50+x"


def test_request_key_rejects_relative_paths() -> None:
    with pytest.raises(LandingError, match="must start with"):
        canonical_request_key("3/movie/550")


def test_land_appends_one_batch_with_every_column(con: duckdb.DuckDBPyConnection) -> None:
    rows = [Row(f"GET /3/movie/{i}", entity_key=str(i)) for i in range(3)]
    assert land(con, TABLE, rows, "run-1") == 3
    assert land(con, TABLE, rows[:1], "run-2") == 1  # append-only: nothing is replaced
    got = con.execute(
        f"SELECT request_key, entity_key, url, fetched_at, status, payload, run_id FROM {TABLE} "
        "ORDER BY run_id, request_key"
    ).fetchall()
    assert got[0] == (
        "GET /3/movie/0",
        "0",
        "http://tmdb.test/3/movie/550",
        NOW,
        200,
        '{"id": 550}',
        "run-1",
    )
    assert [r[6] for r in got] == ["run-1"] * 3 + ["run-2"]


def test_land_nothing_is_a_no_op(con: duckdb.DuckDBPyConnection) -> None:
    assert land(con, TABLE, [], "run-1") == 0


def test_payloads_round_trip_exactly(con: duckdb.DuckDBPyConnection) -> None:
    odd = ["", "nul\x00byte", "émoji 🐈 ünïcode", "<html>", "x" * 200_000, None]
    land(con, TABLE, [Row(f"k{i}", payload=p) for i, p in enumerate(odd)], "run-1")
    got = dict(con.execute(f"SELECT request_key, payload FROM {TABLE}").fetchall())
    assert [got[f"k{i}"] for i in range(len(odd))] == odd


@pytest.mark.parametrize("table", ["raw_tmdb_movies; DROP TABLE raw_yts_movies", "stg_x", ""])
def test_land_refuses_unknown_tables(con: duckdb.DuckDBPyConnection, table: str) -> None:
    with pytest.raises(LandingError, match="not a raw table"):
        land(con, table, [Row("k")], "run-1")
    assert con.execute("SELECT count(*) FROM raw_yts_movies").fetchone() == (0,)


def test_land_refuses_timezone_aware_timestamps(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(LandingError, match="naive UTC"):
        land(con, TABLE, [Row("k", fetched_at=NOW.replace(tzinfo=UTC))], "run-1")


def test_land_refuses_an_empty_run_id(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(LandingError, match="run_id"):
        land(con, TABLE, [Row("k")], "")


def test_twenty_thousand_responses_land_in_one_batch(con: duckdb.DuckDBPyConnection) -> None:
    rows = [Row(f"GET /3/movie/{i}", entity_key=str(i), payload='{"x": 1}') for i in range(20_000)]
    assert land(con, TABLE, rows, "run-1") == 20_000
    assert con.execute(f"SELECT count(DISTINCT request_key) FROM {TABLE}").fetchone() == (20_000,)


def test_utcnow_is_naive_utc() -> None:
    now = utcnow()
    assert now.tzinfo is None
    assert abs(now - datetime.now(UTC).replace(tzinfo=None)) < timedelta(minutes=1)


# --- freshness ---------------------------------------------------------------------------


def _fresh(con: duckdb.DuckDBPyConnection, keys: list[str], **kw: object) -> set[str]:
    return fresh_keys(con, TABLE, keys, timedelta(hours=12), now=NOW, **kw)  # type: ignore[arg-type]


def test_recent_success_is_fresh_and_old_success_is_not(con: duckdb.DuckDBPyConnection) -> None:
    land(
        con,
        TABLE,
        [
            Row("recent", fetched_at=NOW - timedelta(hours=1)),
            Row("old", fetched_at=NOW - timedelta(hours=13)),
        ],
        "r",
    )
    assert _fresh(con, ["recent", "old", "never"]) == {"recent"}


def test_latest_row_decides_freshness(con: duckdb.DuckDBPyConnection) -> None:
    land(con, TABLE, [Row("k", fetched_at=NOW - timedelta(hours=2))], "r1")
    land(con, TABLE, [Row("k", fetched_at=NOW - timedelta(hours=1), status=503, payload="x")], "r2")
    assert _fresh(con, ["k"]) == set()
    land(con, TABLE, [Row("k", fetched_at=NOW - timedelta(minutes=5))], "r3")
    assert _fresh(con, ["k"]) == {"k"}


@pytest.mark.parametrize("status", [0, 500, 429, 400])
def test_failures_are_never_fresh(con: duckdb.DuckDBPyConnection, status: int) -> None:
    land(con, TABLE, [Row("k", status=status, payload="err")], "r")
    assert _fresh(con, ["k"], answer_statuses=(404,)) == set()


def test_a_200_that_is_not_json_is_not_fresh(con: duckdb.DuckDBPyConnection) -> None:
    land(con, TABLE, [Row("html", payload="<html>parked</html>"), Row("null", payload=None)], "r")
    assert _fresh(con, ["html", "null"]) == set()


def test_404_is_fresh_only_where_it_is_an_answer(con: duckdb.DuckDBPyConnection) -> None:
    land(con, TABLE, [Row("gone", status=404, payload='{"status_code": 34}')], "r")
    assert _fresh(con, ["gone"]) == set()
    assert _fresh(con, ["gone"], answer_statuses=(404,)) == {"gone"}


def test_zero_max_age_means_nothing_is_fresh(con: duckdb.DuckDBPyConnection) -> None:
    land(con, TABLE, [Row("k", fetched_at=NOW)], "r")
    assert fresh_keys(con, TABLE, ["k"], timedelta(0), now=NOW) == set()
    assert fresh_keys(con, TABLE, [], timedelta(hours=1), now=NOW) == set()


def test_hostile_keys_are_data_not_sql(con: duckdb.DuckDBPyConnection) -> None:
    evil = "k'); DROP TABLE raw_tmdb_movies; --"
    land(con, TABLE, [Row(evil)], "r")
    assert _fresh(con, [evil, "k"]) == {evil}
    assert con.execute(f"SELECT count(*) FROM {TABLE}").fetchone() == (1,)


def test_fresh_keys_answers_many_keys_in_one_query(con: duckdb.DuckDBPyConnection) -> None:
    keys = [f"GET /3/movie/{i}" for i in range(10_000)]
    land(con, TABLE, [Row(k, fetched_at=NOW) for k in keys[::2]], "r")
    assert _fresh(con, keys) == set(keys[::2])


def test_latest_successes_returns_the_newest_success(con: duckdb.DuckDBPyConnection) -> None:
    land(con, TABLE, [Row("k", fetched_at=NOW - timedelta(hours=2), payload='{"v": 1}')], "r1")
    land(con, TABLE, [Row("k", fetched_at=NOW - timedelta(hours=1), payload='{"v": 2}')], "r2")
    rows = latest_successes(con, TABLE, ["k", "missing"], NOW - timedelta(hours=12))
    assert rows == [("k", "550", 200, '{"v": 2}')]
    assert latest_successes(con, TABLE, ["k"], NOW) == []


def test_an_older_invalid_body_does_not_spoil_a_newer_valid_one(
    con: duckdb.DuckDBPyConnection,
) -> None:
    land(con, TABLE, [Row("k", fetched_at=NOW - timedelta(hours=2), payload="<html>")], "r1")
    land(con, TABLE, [Row("other", fetched_at=NOW - timedelta(hours=1), payload="{")], "r1")
    land(con, TABLE, [Row("k", fetched_at=NOW - timedelta(hours=1))], "r2")
    assert _fresh(con, ["k", "other"]) == {"k"}
    rows = latest_successes(con, TABLE, ["k", "other"], NOW - timedelta(hours=12), select="1")
    assert rows == [("k", "550", 200, 1)]
