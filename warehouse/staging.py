"""Staging: raw responses -> typed, renamed, deduplicated ``stg_*`` frames + quarantine rows.

Per raw table the winning response of each request_key (see :mod:`warehouse.staging_responses`) is
either *staged* (its body parsed; single bad records inside go to the quarantine),
*quarantined* whole (failed fetch, malformed body) or *gone* (TMDB 404). Staged records are
then deduplicated on their natural key (tmdb_id, (genre_id, language), (list, position),
info_hash); losers are counted as ``superseded`` in the ledger, except duplicate info
hashes, which are quarantined. Nothing here raises on upstream garbage.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import duckdb
import polars as pl

from warehouse import normalize, parse, parse_tmdb, parse_yts
from warehouse.db import insert_frame
from warehouse.expectations import (
    HASH_PATTERN,
    IMDB_PATTERN,
    Expect,
    between,
    exists_in,
    in_set,
    matches,
    not_null,
    unique,
    unique_together,
)
from warehouse.outcomes import STG as OUTCOMES_STG
from warehouse.outcomes import stage_outcomes
from warehouse.parse import InvalidPayload, Rejected
from warehouse.quarantine import QuarantineRow
from warehouse.staging_responses import iter_latest_responses
from warehouse.staging_schema import create_staging_tables

CONFIG, GENRES, LISTS, MOVIES, YTS = (
    "raw_tmdb_configuration",
    "raw_tmdb_genres",
    "raw_tmdb_lists",
    "raw_tmdb_movies",
    "raw_yts_movies",
)
# The staging table whose rows are the "records" of each raw table (for reconciliation).
RECORD_TABLES: dict[str, str] = {
    CONFIG: "stg_tmdb__config",
    GENRES: "stg_tmdb__genres",
    LISTS: "stg_tmdb__list_members",
    MOVIES: "stg_tmdb__movies",
    YTS: "stg_yts__torrents",
}
NOT_IN_MOVIES = "list member not in movies"
# Raw tables where TMDB's 404 (status_code 34) means the title is gone upstream.
GONE_TABLES = frozenset({MOVIES, "raw_tmdb_shows", "raw_tmdb_seasons"})

# Data-quality suites of the staging models (run by warehouse/checks.py).
SUITES: dict[str, list[Expect]] = {
    "stg_tmdb__movies": [
        not_null("tmdb_id"),
        unique("tmdb_id"),
        matches("imdb_id", IMDB_PATTERN),
        not_null("title"),
        between("vote_average", 0, 10),
        between("runtime_min", 1, 100_000),
    ],
    "stg_tmdb__genres": [unique_together("genre_id", "language"), not_null("name")],
    "stg_tmdb__list_members": [
        unique_together("list_name", "position"),
        unique_together("list_name", "tmdb_id"),
        exists_in("tmdb_id", "stg_tmdb__movies", "tmdb_id"),
    ],
    "stg_yts__torrents": [
        not_null("info_hash"),
        unique("info_hash"),
        matches("info_hash", HASH_PATTERN),
        not_null("imdb_id"),
        matches("imdb_id", IMDB_PATTERN),
        between("seeds", 0, None),
        between("peers", 0, None),
        between("size_bytes", 1, parse.MAX_SIZE_BYTES),
        in_set("quality", list(parse.QUALITIES)),
    ],
}

Parser = Callable[[str | None, str], tuple[list[dict[str, Any]], list[Rejected]]]

LEDGER_SCHEMA: dict[str, Any] = {
    "source_table": pl.String,
    "request_key": pl.String,
    "entity_key": pl.String,
    "url": pl.String,
    "fetched_at": pl.Datetime("us"),
    "status": pl.Int32,
    "run_id": pl.String,
    "attempts": pl.Int32,
    "stale": pl.Boolean,
    "outcome": pl.String,
    "records": pl.Int32,
    "superseded": pl.Int32,
    "reason": pl.String,
}


@dataclass
class Staged:
    """Everything staging produced, before it is written."""

    tables: dict[str, pl.DataFrame] = field(default_factory=dict)
    ledger: list[dict[str, Any]] = field(default_factory=list)
    quarantine: list[QuarantineRow] = field(default_factory=list)

    def ledger_frame(self) -> pl.DataFrame:
        return pl.DataFrame(self.ledger, schema=LEDGER_SCHEMA)

    def add_superseded(self, table: str, dropped: pl.DataFrame) -> None:
        """Count records that lost to a newer copy of the same natural key."""
        if dropped.height == 0:
            return
        counts = dict(dropped.group_by("request_key").len().iter_rows())
        for row in self.ledger:
            if row["source_table"] == table and row["request_key"] in counts:
                row["superseded"] += int(counts[row["request_key"]])


def _fetch_failure(status: int, payload: str | None) -> str:
    text = " ".join((payload or "")[:1000].split())[:200]
    if status == 0:
        return f"fetch failed: no response: {text or 'connection error'}"
    return f"fetch failed: HTTP {status}: {text}" if text else f"fetch failed: HTTP {status}"


def _parse_batches(
    con: duckdb.DuckDBPyConnection, table: str, parser: Parser, staged: Staged
) -> Iterator[list[dict[str, Any]]]:
    """Classify every winning response of ``table``, a bounded batch at a time; yield each
    batch's good records with lineage (the batch's bodies are dropped before the next)."""
    gone_status = (404,) if table in GONE_TABLES else ()
    for responses in iter_latest_responses(con, table, definitive=(200, *gone_status)):
        records: list[dict[str, Any]] = []
        for resp in responses.iter_rows(named=True):
            _classify(resp, table, parser, gone_status, staged, records)
        yield records


def _classify(
    resp: dict[str, Any],
    table: str,
    parser: Parser,
    gone_status: tuple[int, ...],
    staged: Staged,
    records: list[dict[str, Any]],
) -> None:
    """One response: staged (records appended), quarantined whole, or gone; ledger row."""
    request_key, entity_key, status = resp["request_key"], resp["entity_key"], resp["status"]
    ledger = {k: resp[k] for k in LEDGER_SCHEMA if k in resp}
    ledger.update(source_table=table, records=0, superseded=0, reason=None)
    reason: str | None = None
    if status in gone_status:
        ledger["outcome"], reason = "gone", "not found upstream"
    elif status != 200:
        ledger["outcome"], reason = "quarantined", _fetch_failure(status, resp["payload"])
    else:
        try:
            good, bad = parser(resp["payload"], entity_key)
        except InvalidPayload as exc:
            ledger["outcome"], reason = "quarantined", exc.reason
        except Exception as exc:  # a parser bug must not take the whole run down
            ledger["outcome"] = "quarantined"
            reason = f"unparseable: {type(exc).__name__}: {str(exc)[:200]}"
        else:
            ledger.update(outcome="staged", records=len(good) + len(bad))
            fetched_at = resp["fetched_at"]
            for record in good:
                record.update(request_key=request_key, entity_key=entity_key, fetched_at=fetched_at)
            records.extend(good)
            staged.quarantine.extend(
                QuarantineRow(table, request_key, r.record_key, r.reason, r.payload) for r in bad
            )
    if reason is not None:
        ledger["reason"] = reason
        staged.quarantine.append(
            QuarantineRow(table, request_key, entity_key, reason, resp["payload"])
        )
    staged.ledger.append(ledger)


def _parse_responses(
    con: duckdb.DuckDBPyConnection, table: str, parser: Parser, staged: Staged
) -> list[dict[str, Any]]:
    """Every good record of ``table`` in one list (for tables of small bodies)."""
    return [record for batch in _parse_batches(con, table, parser, staged) for record in batch]


def parse_frames(
    con: duckdb.DuckDBPyConnection,
    table: str,
    parser: Parser,
    staged: Staged,
    build: Callable[[list[dict[str, Any]]], dict[str, pl.DataFrame]],
) -> dict[str, pl.DataFrame]:
    """Parse ``table`` batch by batch, turning each batch's records into frames with
    ``build`` (row-wise: the same frames as building them from all records at once), and
    concatenate them; only compact frames outlive a batch."""
    parts: dict[str, list[pl.DataFrame]] = {}
    for records in _parse_batches(con, table, parser, staged):
        for name, frame in build(records).items():
            parts.setdefault(name, []).append(frame)
    if not parts:
        return build([])
    return {name: pl.concat(frames, how="vertical") for name, frames in parts.items()}


def _keep_first(
    frame: pl.DataFrame, key: list[str], order: list[str], descending: list[bool]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split ``frame`` into the first row per ``key`` (by ``order``) and the rest."""
    ranked = frame.with_row_index("_row").sort(
        order, descending=descending, nulls_last=True, maintain_order=True
    )
    kept = ranked.unique(subset=key, keep="first", maintain_order=True)
    dropped = ranked.join(kept.select("_row"), on="_row", how="anti")
    return kept.drop("_row"), dropped.drop("_row")


def _newest_first(frame: pl.DataFrame, key: list[str]) -> tuple[pl.DataFrame, pl.DataFrame]:
    return _keep_first(frame, key, ["fetched_at", "request_key"], [True, True])


def _config_parser(payload: str | None, _key: str) -> tuple[list[dict[str, Any]], list[Rejected]]:
    return [parse_tmdb.parse_configuration(payload)], []


def _movie_parser(payload: str | None, key: str) -> tuple[list[dict[str, Any]], list[Rejected]]:
    return [parse_tmdb.parse_movie(payload, key)], []


def _stage_config(con: duckdb.DuckDBPyConnection, staged: Staged) -> None:
    rows = _parse_responses(con, CONFIG, _config_parser, staged)
    newest = normalize.config_frame(rows).sort(
        ["fetched_at", "request_key"], descending=True, maintain_order=True
    )
    kept, dropped = newest.head(1), newest.slice(1)  # one configuration: the newest wins
    staged.tables["stg_tmdb__config"] = kept
    staged.add_superseded(CONFIG, dropped)


def _stage_genres(con: duckdb.DuckDBPyConnection, staged: Staged) -> None:
    rows = _parse_responses(con, GENRES, parse_tmdb.parse_genres, staged)
    kept, dropped = _newest_first(normalize.genres_frame(rows), ["genre_id", "language"])
    staged.tables["stg_tmdb__genres"] = kept
    staged.add_superseded(GENRES, dropped)


def _movie_frames(records: list[dict[str, Any]]) -> dict[str, pl.DataFrame]:
    """One batch of parsed movies -> the movie frame and its child frames."""
    children: dict[str, list[dict[str, Any]]] = {"genres": [], "translations": [], "images": []}
    for record in records:
        for part, rows in children.items():
            items = record[part]
            for item in items:
                item["request_key"] = record["request_key"]
            rows.extend(items)
    return {
        "movies": normalize.movies_frame(records),
        "genres": normalize.movie_genres_frame(children["genres"]),
        "translations": normalize.translations_frame(children["translations"]),
        "images": normalize.images_frame(children["images"]),
    }


def _stage_movies(con: duckdb.DuckDBPyConnection, staged: Staged) -> None:
    frames = parse_frames(con, MOVIES, _movie_parser, staged, _movie_frames)
    kept, dropped = _newest_first(frames["movies"], ["tmdb_id"])
    staged.tables["stg_tmdb__movies"] = kept
    staged.add_superseded(MOVIES, dropped)
    winners = kept.select("tmdb_id", "request_key")
    for table, frame, key in (
        ("stg_tmdb__movie_genres", frames["genres"], ["genre_id"]),
        ("stg_tmdb__translations", frames["translations"], ["language", "region"]),
        ("stg_tmdb__images", frames["images"], ["kind", "file_path"]),
    ):
        own = frame.join(winners, on=["tmdb_id", "request_key"], how="semi").drop("request_key")
        staged.tables[table] = own.unique(
            subset=["tmdb_id", *key], keep="first", maintain_order=True
        )


def _stage_lists(con: duckdb.DuckDBPyConnection, staged: Staged) -> None:
    stage_list_members(
        con, staged, LISTS, "stg_tmdb__movies", NOT_IN_MOVIES, "stg_tmdb__list_members"
    )


def stage_list_members(
    con: duckdb.DuckDBPyConnection,
    staged: Staged,
    source: str,
    titles_table: str,
    missing_reason: str,
    out_table: str,
) -> None:
    """Stage the members of TMDB list pages landed in ``source`` (movie or TV lists).

    The newest page wins a position; a title seen on two pages keeps its best position
    (TMDB lists move while they are paged); a member whose title is not in the staged
    ``titles_table`` is quarantined with ``missing_reason``.
    """
    rows = _parse_responses(con, source, parse_tmdb.parse_list_page, staged)
    members, dropped_positions = _newest_first(
        normalize.members_frame(rows), ["list_name", "position"]
    )
    members, dropped_repeats = _keep_first(
        members, ["list_name", "tmdb_id"], ["list_name", "position"], [False, False]
    )
    staged.add_superseded(source, pl.concat([dropped_positions, dropped_repeats]))
    title_ids = staged.tables[titles_table].select("tmdb_id")
    dangling = members.join(title_ids, on="tmdb_id", how="anti")
    staged.quarantine.extend(
        QuarantineRow(
            source,
            m["request_key"],
            f"{m['list_name']}:{m['position']}",
            f"{missing_reason}: tmdb_id {m['tmdb_id']}",
            json.dumps({k: m[k] for k in ("list_name", "page", "position", "tmdb_id")}),
        )
        for m in dangling.iter_rows(named=True)
    )
    staged.tables[out_table] = members.join(title_ids, on="tmdb_id", how="semi")


def _stage_torrents(con: duckdb.DuckDBPyConnection, staged: Staged) -> None:
    frames = parse_frames(
        con, YTS, parse_yts.parse_yts, staged, lambda rows: {"t": normalize.torrents_frame(rows)}
    )
    # Deterministic owner of a hash listed twice: lowest imdb id, then YTS id, then position.
    kept, dropped = _keep_first(
        frames["t"],
        ["info_hash"],
        ["imdb_id", "yts_movie_id", "position", "request_key"],
        [False, False, False, False],
    )
    owners = dict(kept.select("info_hash", "imdb_id").iter_rows())
    staged.quarantine.extend(
        QuarantineRow(
            YTS,
            t["request_key"],
            t["info_hash"],
            f"duplicate info_hash: already listed for {owners[t['info_hash']]}",
            json.dumps(t, default=str),
        )
        for t in dropped.iter_rows(named=True)
    )
    movies = staged.tables["stg_tmdb__movies"]
    imdb_to_tmdb = (
        movies.filter(pl.col("imdb_id").is_not_null())
        .group_by("imdb_id")
        .agg(pl.col("tmdb_id").min())
    )
    staged.tables["stg_yts__torrents"] = kept.join(
        imdb_to_tmdb, on="imdb_id", how="left", maintain_order="left"
    )


def stage(con: duckdb.DuckDBPyConnection) -> Staged:
    """Read every raw table and build the staging frames, ledger and quarantine rows."""
    staged = Staged()
    _stage_config(con, staged)
    _stage_genres(con, staged)
    _stage_movies(con, staged)
    _stage_lists(con, staged)
    _stage_torrents(con, staged)
    events, refused = stage_outcomes(con)
    staged.tables[OUTCOMES_STG] = events
    staged.quarantine.extend(refused)
    return staged


def write_staging(con: duckdb.DuckDBPyConnection, staged: Staged) -> dict[str, int]:
    """Recreate the ``stg_*`` tables and bulk-load them; return rows per table."""
    create_staging_tables(con)
    insert_frame(con, "stg_raw_responses", staged.ledger_frame())
    counts = {"stg_raw_responses": len(staged.ledger)}
    for table, frame in staged.tables.items():
        insert_frame(con, table, frame)
        counts[table] = frame.height
    return counts
