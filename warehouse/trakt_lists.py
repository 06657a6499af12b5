"""Trakt's public lists (trending, popular) as curated catalogue lists.

``raw_trakt_lists`` holds every answer as Trakt gave it (the list indexes and each list's
items), ``stg_trakt__list_members`` the latest run's lists mapped to TMDB movie ids (Trakt's
TMDB id, the IMDb id as fallback; unmatched items go to quarantine with a reason), named
``trakt-<slug>``. Publishing adds them to the catalogue's ``list_members``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import duckdb
import polars as pl

from warehouse.db import insert_frame
from warehouse.expectations import Expect, between, in_set, matches, not_null, unique_together
from warehouse.quarantine import QuarantineRow
from warehouse.schema import ensure_base_schema
from warehouse.trakt_staging import map_to_tmdb

PREFIX = "trakt-"
SOURCE = "raw_trakt_lists"
MAX_NAME = 64
_SLUG_JUNK = re.compile(r"[^a-z0-9]+")
_INDEX_KEY = re.compile(r"^/lists/(trending|popular)(\?|$)")
_ITEMS_KEY = re.compile(r"^/lists/(\d{1,10})/items/movie$")

DDL = """
CREATE TABLE IF NOT EXISTS raw_trakt_lists (
    run_id      VARCHAR NOT NULL,
    request_key VARCHAR NOT NULL,      -- '/lists/trending?limit=3', '/lists/123/items/movie'
    fetched_at  TIMESTAMP NOT NULL,    -- UTC
    status      INTEGER NOT NULL,
    payload     VARCHAR                -- the answer's JSON (all pages joined)
);
CREATE TABLE IF NOT EXISTS stg_trakt__list_members (
    list_name VARCHAR NOT NULL,        -- 'trakt-<slug>'
    position  INTEGER NOT NULL,        -- 1.. in the list's rank order
    tmdb_id   BIGINT NOT NULL,
    trakt_list_id BIGINT NOT NULL,
    mapped_by VARCHAR NOT NULL,        -- 'tmdb' | 'imdb'
    PRIMARY KEY (list_name, position)
);
"""

LIST_SUITES: dict[str, list[Expect]] = {
    "stg_trakt__list_members": [
        *(not_null(c) for c in ("list_name", "position", "tmdb_id", "mapped_by")),
        matches("list_name", f"trakt-[a-z0-9-]{{1,{MAX_NAME - len(PREFIX)}}}"),
        between("position", 1, 1_000_000),
        in_set("mapped_by", ["tmdb", "imdb"]),
        unique_together("list_name", "position"),
        unique_together("list_name", "tmdb_id"),
    ]
}

_CANDIDATE = {
    "list_name": pl.String, "trakt_list_id": pl.Int64, "rank": pl.Int64, "kind": pl.String,
    "trakt_tmdb": pl.Int64, "imdb": pl.String, "trakt_id": pl.Int64, "request_key": pl.String,
    "record": pl.String,
}  # fmt: skip
_REF = {"tmdb_id": pl.Int64, "imdb_id": pl.String}


@dataclass
class StagedLists:
    members: pl.DataFrame
    quarantine: list[QuarantineRow]


def ensure_lists_schema(con: duckdb.DuckDBPyConnection) -> None:
    ensure_base_schema(con)
    con.execute(DDL)


def list_name(slug: Any, trakt_id: int) -> str:
    """``trakt-<slug>``: lower-case letters, digits and dashes only, bounded; the Trakt id
    when the slug has nothing usable."""
    clean = _SLUG_JUNK.sub("-", slug.lower()).strip("-") if isinstance(slug, str) else ""
    clean = clean[: MAX_NAME - len(PREFIX)].rstrip("-")
    return PREFIX + (clean or str(trakt_id))


def _int(raw: Any) -> int | None:
    return raw if isinstance(raw, int) and not isinstance(raw, bool) and raw > 0 else None


def _latest_run(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str | None]]:
    row = con.execute(
        "SELECT run_id FROM raw_trakt_lists ORDER BY fetched_at DESC, run_id LIMIT 1"
    ).fetchone()
    if row is None:
        return []
    return con.execute(
        "SELECT request_key, payload FROM raw_trakt_lists WHERE run_id = ? AND status = 200"
        " ORDER BY fetched_at, request_key",
        [row[0]],
    ).fetchall()


def _chosen_lists(answers: dict[str, Any], top: int) -> dict[int, str]:
    """Trakt list id -> catalogue list name: the first ``top`` of trending then of popular,
    each list once, names made unique."""
    chosen: dict[int, str] = {}
    for kind in ("trending", "popular"):
        index: Any = next(
            (v for k, v in answers.items() if (m := _INDEX_KEY.match(k)) and m[1] == kind), []
        )
        for entry in (index if isinstance(index, list) else [])[:top]:
            meta = entry.get("list") if isinstance(entry, dict) else None
            ids = meta.get("ids") if isinstance(meta, dict) else None
            trakt_id = _int(ids.get("trakt")) if isinstance(ids, dict) else None
            if trakt_id is None or trakt_id in chosen:
                continue
            assert isinstance(ids, dict)
            name = list_name(ids.get("slug"), trakt_id)
            if name in chosen.values():
                name = f"{name[: MAX_NAME - 11]}-{trakt_id}"
            chosen[trakt_id] = name
    return chosen


def _candidates(
    name: str, trakt_id: int, key: str, items: Any, quarantine: list[QuarantineRow]
) -> list[dict[str, Any]]:
    if not isinstance(items, list):
        quarantine.append(QuarantineRow(SOURCE, key, name, "malformed: answer is not a list",
                                        json.dumps(items)[:2000]))  # fmt: skip
        return []
    out = []
    for n, item in enumerate(items):
        movie = item.get("movie") if isinstance(item, dict) else None
        ids = movie.get("ids") if isinstance(movie, dict) else None
        if not isinstance(ids, dict) or item.get("type") != "movie":
            quarantine.append(QuarantineRow(SOURCE, key, f"{name}:{n}",
                                            "malformed: not a movie item with ids",
                                            json.dumps(item)[:2000]))  # fmt: skip
            continue
        imdb = ids["imdb"].strip().lower()[:20] if isinstance(ids.get("imdb"), str) else None
        rank = _int(item.get("rank")) or n + 1
        out.append({"list_name": name, "trakt_list_id": trakt_id, "rank": rank, "kind": "movie",
                    "trakt_tmdb": _int(ids.get("tmdb")), "imdb": imdb,
                    "trakt_id": _int(ids.get("trakt")), "request_key": key,
                    "record": json.dumps(item)[:2000]})  # fmt: skip
    return out


def _movie_refs(con: duckdb.DuckDBPyConnection) -> pl.LazyFrame:
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'mart_movies'"
    ).fetchone()
    if not exists or not exists[0]:
        return pl.LazyFrame(schema=_REF)
    rows = con.execute("SELECT tmdb_id, imdb_id FROM mart_movies").fetchall()
    return pl.LazyFrame(rows, schema=_REF, orient="row")


def stage_lists(con: duckdb.DuckDBPyConnection, top: int) -> StagedLists:
    """The latest run's chosen lists, mapped to catalogue movies, plus the quarantine rows."""
    answers: dict[str, Any] = {}
    quarantine: list[QuarantineRow] = []
    for key, payload in _latest_run(con):
        try:
            answers[key] = json.loads(payload or "null")
        except ValueError as exc:
            quarantine.append(QuarantineRow(SOURCE, key, None, f"malformed JSON: {exc}",
                                            (payload or "")[:2000]))  # fmt: skip
    records: list[dict[str, Any]] = []
    for trakt_id, name in _chosen_lists(answers, top).items():
        key = f"/lists/{trakt_id}/items/movie"
        if key in answers:
            records += _candidates(name, trakt_id, key, answers[key], quarantine)
    frame = pl.DataFrame(records, schema=_CANDIDATE).lazy()
    mapped = map_to_tmdb(frame, _movie_refs(con), pl.LazyFrame(schema=_REF)).collect()
    for row in mapped.filter(pl.col("tmdb_id").is_null()).iter_rows(named=True):
        reason = (f"unmatched: no catalogue movie with tmdb {row['trakt_tmdb']}"
                  f" or imdb {row['imdb']}")  # fmt: skip
        quarantine.append(QuarantineRow(SOURCE, row["request_key"],
                                        f"{row['list_name']}:trakt:{row['trakt_id']}", reason,
                                        row["record"]))  # fmt: skip
    members = (
        mapped.filter(pl.col("tmdb_id").is_not_null())
        .sort("list_name", "rank")
        .unique(["list_name", "tmdb_id"], keep="first", maintain_order=True)
        .with_columns(pl.int_range(1, pl.len() + 1).over("list_name").alias("position"))
        .select(
            "list_name", pl.col("position").cast(pl.Int32), "tmdb_id", "trakt_list_id",
            "mapped_by",
        )
    )  # fmt: skip
    return StagedLists(members, quarantine)


def write_lists(con: duckdb.DuckDBPyConnection, staged: StagedLists) -> int:
    """Replace ``stg_trakt__list_members`` with ``staged`` (one transaction)."""
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM stg_trakt__list_members")
        insert_frame(con, "stg_trakt__list_members", staged.members)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return staged.members.height


def list_members_query(con: duckdb.DuckDBPyConnection, base: str) -> str:
    """The catalogue's ``list_members`` query: ``base`` plus the Trakt lists (movies the
    catalogue publishes only) once the Trakt lists were staged."""
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables"
        " WHERE table_name = 'stg_trakt__list_members'"
    ).fetchone()
    if not exists or not exists[0]:
        return base
    trakt = (
        "SELECT t.list_name, t.position, t.tmdb_id FROM stg_trakt__list_members t"
        " JOIN mart_movies m USING (tmdb_id)"
    )
    inner = base.split(" ORDER BY ")[0]
    return f"SELECT * FROM ({inner} UNION ALL {trakt}) ORDER BY list_name, position"
