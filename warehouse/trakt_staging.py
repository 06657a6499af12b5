"""``raw_trakt_*`` → ``stg_trakt__*``: typed, keyed by the Miauflix user, mapped to TMDB ids.

Mapping (a pure ``LazyFrame -> LazyFrame`` step, :func:`map_to_tmdb`): a movie maps through
its Trakt ``ids.tmdb`` when the catalogue (``mart_movies``) has that id, else through its
IMDb id; a show or an episode maps likewise against ``mart_shows`` only (show and movie ids
overlap: they are never mixed). A record that maps to nothing, or is malformed, goes to
``quarantine`` with a reason. Watchlist, playback and ratings come from each user's latest
answer; history from every answer (it is fetched incrementally), deduplicated by its id.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb
import polars as pl

from warehouse.db import insert_frame
from warehouse.expectations import Expect, between, in_set, not_null, unique_together
from warehouse.quarantine import QuarantineRow

KEY = ("user_id", "kind", "tmdb_id", "season", "episode")
_COMMON = [not_null("user_id"), not_null("tmdb_id"), in_set("mapped_by", ["tmdb", "imdb"])]
SUITES: dict[str, list[Expect]] = {
    "stg_trakt__watchlist": [*_COMMON, in_set("kind", ["movie", "show"]),
                             unique_together("user_id", "kind", "tmdb_id")],
    "stg_trakt__history": [*_COMMON, in_set("kind", ["movie", "episode"]),
                           unique_together("user_id", "history_id")],
    "stg_trakt__playback": [*_COMMON, in_set("kind", ["movie", "episode"]),
                            between("progress", 0, 100), unique_together(*KEY)],
    "stg_trakt__ratings": [*_COMMON, between("rating", 1, 10), unique_together(*KEY)],
}  # fmt: skip

_REF: dict[str, pl.DataType] = {"tmdb_id": pl.Int64(), "imdb_id": pl.String()}
_CANDIDATE: dict[str, Any] = {
    "user_id": pl.Int64, "kind": pl.String, "trakt_tmdb": pl.Int64, "imdb": pl.String,
    "trakt_id": pl.Int64, "season": pl.Int32, "episode": pl.Int32, "stamp": pl.Datetime("us"),
    "rank": pl.Int32, "item_id": pl.Int64, "value": pl.Float64, "action": pl.String,
    "request_key": pl.String, "record": pl.String,
}  # fmt: skip


class Malformed(ValueError):
    """One record of a Trakt answer is not what Trakt documents."""


@dataclass
class StagedTrakt:
    tables: dict[str, pl.DataFrame]
    quarantine: list[QuarantineRow]


def _ts(raw: Any) -> datetime:
    if not isinstance(raw, str):
        raise Malformed(f"timestamp {raw!r} is not text")
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise Malformed(f"timestamp {raw[:40]!r} is not ISO-8601") from None
    return moment.astimezone(UTC).replace(tzinfo=None)


def _int(raw: Any) -> int | None:
    return raw if isinstance(raw, int) and not isinstance(raw, bool) and raw > 0 else None


def _ids(obj: Any) -> dict[str, Any]:
    ids = obj.get("ids") if isinstance(obj, dict) else None
    if not isinstance(ids, dict):
        raise Malformed("no ids")
    return ids


STAMPS = {"watchlist": "listed_at", "history": "watched_at", "playback": "paused_at",
          "ratings": "rated_at"}  # fmt: skip


def candidate(section: str, user_id: int, request_key: str, item: Any) -> dict[str, Any]:
    """One Trakt list item as a flat record (raises :class:`Malformed`)."""
    if not isinstance(item, dict):
        raise Malformed("item is not an object")
    kind = item.get("type")
    season: Any = 0
    number: Any = 0
    if kind == "movie":
        ids = _ids(item.get("movie"))
    elif kind == "show" and section in ("watchlist", "ratings"):
        ids = _ids(item.get("show"))
    elif kind == "episode" and section != "watchlist":
        ids, episode = _ids(item.get("show")), item.get("episode")
        if not isinstance(episode, dict):
            raise Malformed("episode without its episode object")
        season, number = episode.get("season"), episode.get("number")
        if not (
            isinstance(season, int) and isinstance(number, int) and season >= 0 and number >= 1
        ):
            raise Malformed(f"episode numbers {season!r}x{number!r}")
    else:
        raise Malformed(f"unsupported {section} item type {kind!r}")
    value: float | None = None
    if section == "playback":
        progress = item.get("progress")
        if isinstance(progress, bool) or not isinstance(progress, int | float):
            raise Malformed("progress is not a number")
        if not 0 <= progress <= 100:
            raise Malformed(f"progress {progress} is outside 0..100")
        value = float(progress)
    elif section == "ratings":
        rating = item.get("rating")
        if not (isinstance(rating, int) and 1 <= rating <= 10):
            raise Malformed(f"rating {rating!r} is outside 1..10")
        value = float(rating)
    imdb = ids.get("imdb")
    return {
        "user_id": user_id, "kind": kind, "trakt_tmdb": _int(ids.get("tmdb")),
        "imdb": imdb.strip().lower() if isinstance(imdb, str) and imdb.strip() else None,
        "trakt_id": _int(ids.get("trakt")), "season": season, "episode": number,
        "stamp": _ts(item.get(STAMPS[section])), "rank": item.get("rank") if
        isinstance(item.get("rank"), int) else None, "item_id": _int(item.get("id")),
        "value": value, "action": item.get("action") if isinstance(item.get("action"), str)
        else None, "request_key": request_key, "record": json.dumps(item)[:2000],
    }  # fmt: skip


def map_to_tmdb(
    candidates: pl.LazyFrame, movies: pl.LazyFrame, shows: pl.LazyFrame
) -> pl.LazyFrame:
    """Add ``tmdb_id`` and ``mapped_by`` (both null when no title matches).

    ``movies``/``shows``: ``(tmdb_id, imdb_id)`` of the catalogue. Movies map against
    ``movies`` only, shows and episodes against ``shows`` only.
    """

    def ref(frame: pl.LazyFrame, family: str) -> pl.LazyFrame:
        return frame.select(
            pl.col("tmdb_id").cast(pl.Int64),
            pl.col("imdb_id").cast(pl.String).str.to_lowercase(),
            pl.lit(family).alias("family"),
        )

    refs = pl.concat([ref(movies, "movie"), ref(shows, "show")])
    by_tmdb = refs.select("family", pl.col("tmdb_id").alias("hit_tmdb")).unique()
    by_imdb = (
        refs.filter(pl.col("imdb_id").is_not_null())
        .group_by("family", "imdb_id")
        .agg(pl.col("tmdb_id").min().alias("hit_imdb"))
    )
    family = pl.when(pl.col("kind") == "movie").then(pl.lit("movie")).otherwise(pl.lit("show"))
    return (
        candidates.with_columns(
            pl.col("trakt_tmdb").cast(pl.Int64), pl.col("imdb").cast(pl.String),
            family.alias("family"),
        )
        .join(by_tmdb, left_on=["family", "trakt_tmdb"], right_on=["family", "hit_tmdb"],
              how="left", coalesce=False)
        .join(by_imdb, left_on=["family", "imdb"], right_on=["family", "imdb_id"], how="left")
        .with_columns(
            pl.coalesce("hit_tmdb", "hit_imdb").alias("tmdb_id"),
            pl.when(pl.col("hit_tmdb").is_not_null()).then(pl.lit("tmdb"))
            .when(pl.col("hit_imdb").is_not_null()).then(pl.lit("imdb"))
            .otherwise(pl.lit(None, dtype=pl.String)).alias("mapped_by"),
        )
        .drop("family", "hit_tmdb", "hit_imdb")
    )  # fmt: skip


def _shape(section: str, mapped: pl.LazyFrame) -> pl.LazyFrame:
    """The staged table of ``section`` from mapped candidates (deduplicated)."""
    newest_first = mapped.sort("stamp", descending=True)
    if section == "watchlist":
        return (
            newest_first.with_columns(pl.col("rank").fill_null(10_000))
            .unique(["user_id", "kind", "tmdb_id"], keep="first", maintain_order=True)
            .select("user_id", "kind", "tmdb_id", "trakt_id", pl.col("imdb").alias("imdb_id"),
                    "mapped_by", "rank", pl.col("stamp").alias("listed_at"))
        )  # fmt: skip
    if section == "history":
        return (
            newest_first.filter(pl.col("item_id").is_not_null())
            .unique(["user_id", "item_id"], keep="first", maintain_order=True)
            .select("user_id", pl.col("item_id").alias("history_id"), "kind", "tmdb_id",
                    "season", "episode", "mapped_by", pl.col("stamp").alias("watched_at"),
                    "action")
        )  # fmt: skip
    deduped = newest_first.unique(list(KEY), keep="first", maintain_order=True)
    if section == "playback":
        return deduped.select(
            "user_id", pl.col("item_id").fill_null(0).alias("playback_id"), "kind", "tmdb_id",
            "season", "episode", "mapped_by", pl.col("value").alias("progress"),
            pl.col("stamp").alias("paused_at"),
        )  # fmt: skip
    return deduped.select(
        "user_id", "kind", "tmdb_id", "season", "episode", "mapped_by",
        pl.col("value").cast(pl.Int32).alias("rating"), pl.col("stamp").alias("rated_at"),
    )  # fmt: skip


def _latest_rows(con: duckdb.DuckDBPyConnection, section: str) -> list[tuple[Any, ...]]:
    table = f"raw_trakt_{section}"
    if section == "history":
        sql = f"SELECT user_id, request_key, payload FROM {table} WHERE status = 200"
    else:
        sql = (
            f"SELECT user_id, request_key, payload FROM {table} WHERE status = 200"
            " QUALIFY row_number() OVER (PARTITION BY user_id ORDER BY fetched_at DESC) = 1"
        )
    return con.execute(sql).fetchall()


def _refs(con: duckdb.DuckDBPyConnection, table: str) -> pl.LazyFrame:
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [table]
    ).fetchone()
    if exists and exists[0]:
        rows = con.execute(f"SELECT tmdb_id, imdb_id FROM {table}").fetchall()
        return pl.LazyFrame(rows, schema=_REF, orient="row")
    return pl.LazyFrame(schema=_REF)


def stage(con: duckdb.DuckDBPyConnection) -> StagedTrakt:
    """Read the raw tables and build every staged table plus the quarantine rows."""
    movies, shows = _refs(con, "mart_movies"), _refs(con, "mart_shows")
    tables: dict[str, pl.DataFrame] = {}
    quarantine: list[QuarantineRow] = []
    for section in STAMPS:
        source = f"raw_trakt_{section}"
        records: list[dict[str, Any]] = []
        for user_id, request_key, payload in _latest_rows(con, section):
            try:
                items = json.loads(payload or "null")
            except ValueError as exc:
                quarantine.append(QuarantineRow(source, request_key, f"user:{user_id}",
                                                f"malformed JSON: {exc}", payload))  # fmt: skip
                continue
            if not isinstance(items, list):
                why = "malformed: answer is not a list"
                quarantine.append(QuarantineRow(source, request_key, f"user:{user_id}", why,
                                                payload))  # fmt: skip
                continue
            for item in items:
                try:
                    records.append(candidate(section, int(user_id), request_key, item))
                except Malformed as exc:
                    why, text = f"malformed: {exc}", json.dumps(item)[:2000]
                    quarantine.append(QuarantineRow(source, request_key, f"user:{user_id}",
                                                    why, text))  # fmt: skip
        frame = pl.DataFrame(records, schema=_CANDIDATE)
        mapped = map_to_tmdb(frame.lazy(), movies, shows).collect()
        for row in mapped.filter(pl.col("tmdb_id").is_null()).iter_rows(named=True):
            reason = (f"unmatched: no catalogue {'movie' if row['kind'] == 'movie' else 'show'}"
                      f" with tmdb {row['trakt_tmdb']} or imdb {row['imdb']}")  # fmt: skip
            quarantine.append(QuarantineRow(source, row["request_key"],
                                            f"user:{row['user_id']}:trakt:{row['trakt_id']}",
                                            reason, row["record"]))  # fmt: skip
        matched = mapped.filter(pl.col("tmdb_id").is_not_null()).lazy()
        tables[f"stg_trakt__{section}"] = _shape(section, matched).collect()
    return StagedTrakt(tables, quarantine)


def write_staged(con: duckdb.DuckDBPyConnection, staged: StagedTrakt) -> dict[str, int]:
    """Replace every ``stg_trakt__*`` table's rows with ``staged`` (one transaction)."""
    counts = {}
    con.execute("BEGIN TRANSACTION")
    try:
        for table, frame in staged.tables.items():
            con.execute(f"DELETE FROM {table}")
            insert_frame(con, table, frame)
            counts[table] = frame.height
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return counts
