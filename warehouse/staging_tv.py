"""TV staging: raw TMDB TV and EZTV responses -> typed ``stg_*`` frames + quarantine rows.

The same classification as movies (warehouse/staging.py): per request_key the winning
response is staged, quarantined whole or gone (TMDB 404); records inside are deduplicated on
their natural key (show id, (genre, language), (list, position), (show, season, episode),
info hash). EZTV release names are parsed (warehouse/release_names.py); a name that cannot
be placed, or that contradicts EZTV's own season/episode fields, is quarantined with its
reason. Torrents keep ``show_id`` NULL when no staged show has their IMDb id.
"""

from __future__ import annotations

import json
from typing import Any

import duckdb
import polars as pl

from warehouse import parse_tmdb, parse_tv, release_names
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
from warehouse.normalize import LINEAGE, genres_frame, images_frame
from warehouse.parse import INT32, MAX_SIZE_BYTES, Rejected
from warehouse.quarantine import QuarantineRow
from warehouse.staging import (
    Staged,
    _keep_first,
    _newest_first,
    _parse_responses,
    parse_frames,
    stage_list_members,
)

TV_GENRES, TV_LISTS, SHOWS, SEASONS, EZTV = (
    "raw_tmdb_tv_genres",
    "raw_tmdb_tv_lists",
    "raw_tmdb_shows",
    "raw_tmdb_seasons",
    "raw_eztv_torrents",
)
RECORD_TABLES: dict[str, str] = {
    TV_GENRES: "stg_tmdb__tv_genres",
    TV_LISTS: "stg_tmdb__tv_list_members",
    SHOWS: "stg_tmdb__shows",
    SEASONS: "stg_tmdb__episodes",
    EZTV: "stg_eztv__torrents",
}
NOT_IN_SHOWS = "list member not in shows"
QUALITIES = ("480p", "720p", "1080p", "2160p")
SOURCE_TYPES = ("hdtv", "web", "webrip", "bluray")

SUITES: dict[str, list[Expect]] = {
    "stg_tmdb__shows": [
        not_null("tmdb_id"),
        unique("tmdb_id"),
        matches("imdb_id", IMDB_PATTERN),
        not_null("name"),
        between("vote_average", 0, 10),
        between("number_of_seasons", 0, 1000),
    ],
    "stg_tmdb__tv_genres": [unique_together("genre_id", "language"), not_null("name")],
    "stg_tmdb__tv_list_members": [
        unique_together("list_name", "position"),
        unique_together("list_name", "tmdb_id"),
        exists_in("tmdb_id", "stg_tmdb__shows", "tmdb_id"),
    ],
    "stg_tmdb__seasons": [
        unique_together("show_id", "season_number"),
        between("season_number", 0, 1000),
        between("episode_count", 0, 10_000),
    ],
    "stg_tmdb__episodes": [
        unique_together("show_id", "season_number", "episode_number"),
        between("season_number", 0, 1000),
        between("episode_number", 0, 10_000),
        between("runtime_min", 1, 100_000),
    ],
    "stg_eztv__torrents": [
        not_null("info_hash"),
        unique("info_hash"),
        matches("info_hash", HASH_PATTERN),
        matches("imdb_id", IMDB_PATTERN),
        between("season_number", 0, 1000),
        between("episode_number", 1, 10_000),
        between("last_episode_number", 2, 10_000),
        between("seeds", 0, None),
        between("peers", 0, None),
        between("size_bytes", 1, MAX_SIZE_BYTES),
        in_set("quality", list(QUALITIES)),
        in_set("source_type", list(SOURCE_TYPES)),
    ],
}

SHOW_SCHEMA: dict[str, Any] = {
    "id": pl.Int64, "imdb_id": pl.String, "tvdb_id": pl.Int64, "name": pl.String,
    "original_name": pl.String, "original_language": pl.String, "overview": pl.String,
    "tagline": pl.String, "first_air_date": pl.Date, "last_air_date": pl.Date,
    "status": pl.String, "in_production": pl.Boolean, "popularity": pl.Float64,
    "vote_average": pl.Float64, "vote_count": pl.Int32, "poster_path": pl.String,
    "backdrop_path": pl.String, "number_of_seasons": pl.Int32, "number_of_episodes": pl.Int32,
    "episode_runtime_min": pl.Int32, **LINEAGE,
}  # fmt: skip
EPISODE_SCHEMA: dict[str, Any] = {
    "show_id": pl.Int64, "season_number": pl.Int32, "episode_number": pl.Int32,
    "name": pl.String, "overview": pl.String, "air_date": pl.Date, "runtime": pl.Int32,
    "still_path": pl.String, "vote_average": pl.Float64, **LINEAGE,
}  # fmt: skip
TORRENT_SCHEMA: dict[str, Any] = {
    "hash": pl.String, "imdb_id": pl.String, "id": pl.Int64, "title": pl.String,
    "filename": pl.String, "season": pl.Int32, "episode": pl.Int32, "seeds": pl.Int64,
    "peers": pl.Int64, "size_bytes": pl.Int64, "date_released_unix": pl.Int64,
    "torrent_url": pl.String, "position": pl.Int32, **LINEAGE,
}  # fmt: skip


def _text(name: str) -> pl.Expr:
    col = pl.col(name)
    return pl.when(col.str.strip_chars() == "").then(None).otherwise(col).alias(name)


def _one(parser: Any) -> Any:
    def parse(payload: str | None, key: str) -> tuple[list[dict[str, Any]], list[Rejected]]:
        return [parser(payload, key)], []

    return parse


def _stage_genres(con: duckdb.DuckDBPyConnection, staged: Staged) -> None:
    rows = _parse_responses(con, TV_GENRES, parse_tmdb.parse_genres, staged)
    kept, dropped = _newest_first(genres_frame(rows), ["genre_id", "language"])
    staged.tables["stg_tmdb__tv_genres"] = kept
    staged.add_superseded(TV_GENRES, dropped)


def _stage_shows(con: duckdb.DuckDBPyConnection, staged: Staged) -> None:
    records = _parse_responses(con, SHOWS, _one(parse_tv.parse_show), staged)
    children: dict[str, list[dict[str, Any]]] = {
        "genres": [], "translations": [], "images": [], "seasons": [],
    }  # fmt: skip
    for record in records:
        for part, rows in children.items():
            for item in record[part]:
                item["request_key"] = record["request_key"]
            rows.extend(record[part])
    shows = pl.DataFrame(records, schema=SHOW_SCHEMA).select(
        pl.col("id").alias("tmdb_id"),
        "imdb_id",
        "tvdb_id",
        pl.coalesce(_text("name"), _text("original_name")).alias("name"),
        _text("original_name"),
        _text("original_language"),
        _text("overview"),
        _text("tagline"),
        "first_air_date",
        "last_air_date",
        pl.col("first_air_date").dt.year().cast(pl.Int32).alias("year"),
        _text("status"),
        "in_production",
        "popularity",
        "vote_average",
        "vote_count",
        _text("poster_path"),
        _text("backdrop_path"),
        "number_of_seasons",
        "number_of_episodes",
        "episode_runtime_min",
        pl.col("request_key").str.extract(r"[?&]language=([^&\s]+)", 1).alias("language"),
        *LINEAGE,
    )
    kept, dropped = _newest_first(shows, ["tmdb_id"])
    staged.tables["stg_tmdb__shows"] = kept
    staged.add_superseded(SHOWS, dropped)
    winners = kept.select("tmdb_id", "request_key")
    genres = pl.DataFrame(
        children["genres"],
        schema={"tmdb_id": pl.Int64, "id": pl.Int32, "name": pl.String, "request_key": pl.String},
    ).rename({"id": "genre_id"})
    translations = pl.DataFrame(
        children["translations"],
        schema={
            "tmdb_id": pl.Int64,
            "iso_639_1": pl.String,
            "iso_3166_1": pl.String,
            "name": pl.String,
            "overview": pl.String,
            "tagline": pl.String,
            "request_key": pl.String,
        },
    ).select(
        "tmdb_id",
        pl.col("iso_639_1").alias("language"),
        _text("iso_3166_1").alias("region"),
        _text("name"),
        _text("overview"),
        _text("tagline"),
        "request_key",
    )
    seasons = pl.DataFrame(
        children["seasons"],
        schema={
            "tmdb_id": pl.Int64,
            "season_number": pl.Int32,
            "name": pl.String,
            "overview": pl.String,
            "air_date": pl.Date,
            "episode_count": pl.Int32,
            "poster_path": pl.String,
            "request_key": pl.String,
        },
    ).with_columns(_text("name"), _text("overview"), _text("poster_path"))
    for table, frame, key in (
        ("stg_tmdb__show_genres", genres, ["genre_id"]),
        ("stg_tmdb__show_translations", translations, ["language", "region"]),
        ("stg_tmdb__show_images", images_frame(children["images"]), ["kind", "file_path"]),
        ("stg_tmdb__seasons", seasons, ["season_number"]),
    ):
        own = frame.join(winners, on=["tmdb_id", "request_key"], how="semi").drop("request_key")
        own = own.unique(subset=["tmdb_id", *key], keep="first", maintain_order=True)
        if table == "stg_tmdb__seasons":
            own = own.rename({"tmdb_id": "show_id"}).with_columns(
                pl.col("episode_count").fill_null(0)
            )
        staged.tables[table] = own


def _stage_lists(con: duckdb.DuckDBPyConnection, staged: Staged) -> None:
    stage_list_members(
        con, staged, TV_LISTS, "stg_tmdb__shows", NOT_IN_SHOWS, "stg_tmdb__tv_list_members"
    )


def _stage_episodes(con: duckdb.DuckDBPyConnection, staged: Staged) -> None:
    frames = parse_frames(
        con,
        SEASONS,
        parse_tv.parse_season,
        staged,
        lambda rows: {"e": pl.DataFrame(rows, schema=EPISODE_SCHEMA)},
    )
    episodes = frames["e"].select(
        "show_id",
        "season_number",
        "episode_number",
        _text("name"),
        _text("overview"),
        "air_date",
        pl.when(pl.col("runtime") > 0).then(pl.col("runtime")).alias("runtime_min"),
        _text("still_path"),
        pl.when(pl.col("vote_average") > 0).then(pl.col("vote_average")).alias("vote_average"),
        *LINEAGE,
    )
    kept, dropped = _newest_first(episodes, ["show_id", "season_number", "episode_number"])
    staged.tables["stg_tmdb__episodes"] = kept
    staged.add_superseded(SEASONS, dropped)


def _disagreement(row: dict[str, Any]) -> str | None:
    """EZTV's own season/episode fields against the parsed name (0 = unknown / pack)."""
    season, episode = row["season"], row["episode"]
    if season and season != row["p_season"]:
        return f"season {row['p_season']} in the name, {season} in EZTV's fields"
    if episode and row["p_episode"] is not None and episode != row["p_episode"]:
        return f"episode {row['p_episode']} in the name, {episode} in EZTV's fields"
    if episode == 0 and season and row["p_episode"] is not None:
        return f"episode {row['p_episode']} in the name, a season pack in EZTV's fields"
    return None


def _stage_torrents(con: duckdb.DuckDBPyConnection, staged: Staged) -> None:
    frames = parse_frames(
        con,
        EZTV,
        parse_tv.parse_eztv,
        staged,
        lambda rows: {"t": pl.DataFrame(rows, schema=TORRENT_SCHEMA)},
    )
    frame = frames["t"].with_columns(
        pl.col("title")
        .map_elements(release_names.clean_title, return_dtype=pl.String)
        .alias("release_name")
    )
    parsed = release_names.parse_names(con, frame["release_name"].to_list())
    joined = frame.join(
        parsed.drop("parser_version").rename({"season": "p_season", "episode": "p_episode"}),
        on="release_name",
        how="left",
    )
    season, episode, p_episode = pl.col("season"), pl.col("episode"), pl.col("p_episode")
    suspect = joined.filter(  # the rows _disagreement looks at: vectorised pre-filter
        pl.col("reason").is_not_null()
        | ((season > 0) & (season != pl.col("p_season")))
        | ((episode > 0) & p_episode.is_not_null() & (episode != p_episode))
        | ((episode == 0) & (season > 0) & p_episode.is_not_null())
    )
    problems = [
        (row, row["reason"] or f"release name disagrees with EZTV: {_disagreement(row)}")
        for row in suspect.iter_rows(named=True)
        if row["reason"] is not None or _disagreement(row) is not None
    ]
    staged.quarantine.extend(
        QuarantineRow(EZTV, row["request_key"], row["hash"], reason, _payload(row))
        for row, reason in problems
    )
    bad = {row["hash"] for row, _reason in problems}
    good = joined.filter(~pl.col("hash").is_in(list(bad))) if bad else joined
    torrents = good.select(
        pl.col("hash").str.strip_chars().str.to_lowercase().alias("info_hash"),
        "imdb_id",
        pl.col("id").alias("eztv_id"),
        "release_name",
        _text("filename"),
        pl.col("p_season").alias("season_number"),
        pl.col("p_episode").alias("episode_number"),
        pl.col("last_episode").alias("last_episode_number"),
        pl.col("is_pack"),
        "quality",
        "resolution",
        "source_type",
        "video_codec",
        "release_group",
        "is_repack",
        "size_bytes",
        pl.col("seeds").clip(upper_bound=INT32).cast(pl.Int32),
        pl.col("peers").clip(upper_bound=INT32).cast(pl.Int32),
        pl.when(pl.col("date_released_unix") > 0)
        .then(pl.from_epoch("date_released_unix", time_unit="s"))
        .cast(pl.Datetime("us"))
        .alias("uploaded_at"),
        _text("torrent_url"),
        "position",
        *LINEAGE,
    )
    kept, dropped = _keep_first(
        torrents,
        ["info_hash"],
        ["imdb_id", "position", "request_key"],
        [False, False, False],
    )
    owners = dict(kept.select("info_hash", "imdb_id").iter_rows())
    staged.quarantine.extend(
        QuarantineRow(
            EZTV,
            t["request_key"],
            t["info_hash"],
            f"duplicate info_hash: already listed for {owners[t['info_hash']]}",
            json.dumps(t, default=str),
        )
        for t in dropped.iter_rows(named=True)
    )
    shows = staged.tables["stg_tmdb__shows"]
    imdb_to_show = (
        shows.filter(pl.col("imdb_id").is_not_null())
        .group_by("imdb_id")
        .agg(pl.col("tmdb_id").min().alias("show_id"))
    )
    staged.tables["stg_eztv__torrents"] = kept.join(
        imdb_to_show, on="imdb_id", how="left", maintain_order="left"
    )


def _payload(row: dict[str, Any]) -> str:
    keys = ("hash", "title", "filename", "season", "episode", "imdb_id")
    return json.dumps({k: row.get(k) for k in keys}, default=str)


def stage_tv(con: duckdb.DuckDBPyConnection, staged: Staged) -> None:
    """Add the TV staging frames, ledger rows and quarantine rows to ``staged``."""
    _stage_genres(con, staged)
    _stage_shows(con, staged)
    _stage_lists(con, staged)
    _stage_episodes(con, staged)
    _stage_torrents(con, staged)
