"""Raw landing: append upstream responses to the ``raw_*`` tables, and read them back.

Rows are appended in one batch per call (a polars frame inserted with one
``INSERT ... SELECT``), never row by row. Polars rather than ``pyarrow.table``: building
an Arrow table from Python lists imports pandas, which costs seconds per process here.

Every raw table has the same columns (:data:`warehouse.schema.RAW_COLUMNS`);
``request_key`` is canonical, so a request made through any mirror, with or without an
API key, has the same key, which is what the freshness check (:func:`fresh_keys`) uses.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Protocol
from urllib.parse import urlencode

import duckdb
import polars as pl

from core.clock import utcnow
from flows.errors import LandingError
from flows.redact import SECRET_PARAMS
from warehouse.schema import RAW_TABLES

RAW_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "request_key": pl.String,
    "entity_key": pl.String,
    "url": pl.String,
    "fetched_at": pl.Datetime("us"),
    "status": pl.Int32,
    "payload": pl.String,
    "run_id": pl.String,
}
_COLUMNS = ", ".join(RAW_SCHEMA)


class Landable(Protocol):
    """What a landed row is made of (``flows.http.Fetched`` is one)."""

    @property
    def request_key(self) -> str: ...
    @property
    def entity_key(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def fetched_at(self) -> datetime: ...
    @property
    def status(self) -> int: ...
    @property
    def payload(self) -> str | None: ...


def canonical_request_key(path: str, params: Mapping[str, object] | None = None) -> str:
    """``GET <path>?<sorted query>`` without secrets: the same for every mirror and key.

    >>> canonical_request_key("/3/movie/550", {"language": "en", "api_key": "x"})
    'GET /3/movie/550?language=en'
    """
    if not path.startswith("/"):
        raise LandingError(f"request path must start with '/': {path!r}")
    items = sorted(
        (str(k), str(v)) for k, v in (params or {}).items() if str(k).lower() not in SECRET_PARAMS
    )
    query = urlencode(items, safe=",:")
    return f"GET {path}?{query}" if query else f"GET {path}"


def _check_table(table: str) -> str:
    if table not in RAW_TABLES:
        raise LandingError(f"not a raw table: {table!r} (expected one of {RAW_TABLES})")
    return table


def land(con: duckdb.DuckDBPyConnection, table: str, rows: Sequence[Landable], run_id: str) -> int:
    """Append ``rows`` to ``table`` in one batch; returns the number of rows landed."""
    _check_table(table)
    if not rows:
        return 0
    if not run_id:
        raise LandingError("run_id must not be empty")
    for row in rows:
        if row.fetched_at.tzinfo is not None:
            raise LandingError(f"fetched_at must be naive UTC: {row.request_key}")
    frame = pl.DataFrame(
        {
            "request_key": [r.request_key for r in rows],
            "entity_key": [r.entity_key for r in rows],
            "url": [r.url for r in rows],
            "fetched_at": [r.fetched_at for r in rows],
            "status": [int(r.status) for r in rows],
            "payload": [r.payload for r in rows],
            "run_id": [run_id] * len(rows),
        },
        schema=RAW_SCHEMA,
    )
    view = "_miauflix_landing_batch"
    con.register(view, frame)
    try:
        con.execute(f"INSERT INTO {table} ({_COLUMNS}) SELECT {_COLUMNS} FROM {view}")
    finally:
        con.unregister(view)
    return len(rows)


def _success_sql(answer_statuses: Collection[int]) -> str:
    extra = ", ".join(str(int(s)) for s in sorted(answer_statuses))
    ok = "(status = 200 AND json_valid(payload))"
    return f"({ok} OR status IN ({extra}))" if extra else ok


def _latest_success_sql(table: str, answer_statuses: Collection[int]) -> str:
    """Per requested key: the latest row since the cutoff, kept only if it is a success."""
    return f"""
        SELECT request_key, entity_key, status, payload, fetched_at FROM (
            SELECT r.request_key,
                   arg_max(r.entity_key, r.fetched_at) AS entity_key,
                   arg_max(r.status, r.fetched_at) AS status,
                   arg_max(r.payload, r.fetched_at) AS payload,
                   max(r.fetched_at) AS fetched_at
            FROM {_check_table(table)} AS r
            SEMI JOIN _miauflix_keys AS k ON r.request_key = k.request_key
            WHERE r.fetched_at >= ?
            GROUP BY r.request_key
        ) WHERE {_success_sql(answer_statuses)}
    """


def _with_keys(
    con: duckdb.DuckDBPyConnection, keys: Iterable[str], sql: str, params: list[object]
) -> list[tuple[object, ...]]:
    frame = pl.DataFrame({"request_key": list(keys)}, schema={"request_key": pl.String})
    con.register("_miauflix_keys", frame)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.unregister("_miauflix_keys")


def cutoff_for(max_age: timedelta, now: datetime | None = None) -> datetime:
    return (now or utcnow()) - max_age


def fresh_keys(
    con: duckdb.DuckDBPyConnection,
    table: str,
    keys: Iterable[str],
    max_age: timedelta,
    *,
    now: datetime | None = None,
    answer_statuses: Collection[int] = (),
) -> set[str]:
    """The subset of ``keys`` whose latest landed row is a success younger than ``max_age``.

    A success is a 200 with a valid JSON body, or one of ``answer_statuses`` (TMDB's 404:
    the id is gone, which is an answer). One query for all keys.
    """
    wanted = list(dict.fromkeys(keys))
    if not wanted or max_age <= timedelta(0):
        return set()
    sql = f"SELECT request_key FROM ({_latest_success_sql(table, answer_statuses)})"
    rows = _with_keys(con, wanted, sql, [cutoff_for(max_age, now)])
    return {str(row[0]) for row in rows}


def latest_successes(
    con: duckdb.DuckDBPyConnection,
    table: str,
    keys: Iterable[str],
    since: datetime,
    *,
    answer_statuses: Collection[int] = (),
    select: str = "payload",
) -> list[tuple[object, ...]]:
    """``(request_key, entity_key, status, <select>)`` of each key's latest success since
    ``since``. ``select`` is a SQL expression over ``payload`` (internal callers only)."""
    wanted = list(dict.fromkeys(keys))
    if not wanted:
        return []
    sql = (
        f"SELECT request_key, entity_key, status, {select} "
        f"FROM ({_latest_success_sql(table, answer_statuses)})"
    )
    return _with_keys(con, wanted, sql, [since])
