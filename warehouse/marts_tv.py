"""TV marts: shows, seasons, episodes, show sources and per-episode ranked sources.

Pure polars builders over the TV staging frames; columns are exactly those of
``TV_MART_DDL`` in warehouse/schema.py. A single-episode torrent plays its episode; a season
pack plays every episode of its season (``file_hint`` NULL: EZTV does not list the files
inside, so the engine picks the SxxEyy file). Episode sources are scored with the movie
formula (warehouse/scoring.py) plus ``c_pack``, and ranked per episode.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from urllib.parse import quote

import polars as pl

from warehouse.expectations import (
    HASH_PATTERN,
    IMDB_PATTERN,
    Expect,
    between,
    exists_in,
    finite,
    in_set,
    matches,
    not_null,
    unique,
    unique_together,
)
from warehouse.marts import TRACKER_PARAMS, unavailable_reason, with_outcomes
from warehouse.scoring import COMPONENTS, score_sources

# HDTV (broadcast capture, logos, lower bitrate) < WEBRip (re-encoded web stream) < WEB-DL
# (the untouched web file) < BluRay, in points of the "source" component.
TV_SOURCE_POINTS: dict[str, float] = {"bluray": 10.0, "web": 6.0, "webrip": 4.0, "hdtv": 0.0}
# A season pack streams one episode out of a big torrent: more metadata, a choice of file
# that may miss, a swarm shared with people fetching the whole season. At equal quality the
# single episode wins; a better encode in a pack still wins (a resolution step is 15+ points).
PACK_POINTS = -4.0
# A multi-episode release (S01E01E02) plays its first episode from the file's start (-4, like
# a pack: a bigger download, a file choice when it holds several); a later episode of it
# may be in the same file (a single-file double episode starts at the first episode's
# opening, the viewer seeks on): below a pack at equal quality (docs/ranking.md).
MULTI_LATER_POINTS = -8.0
EPISODE_KEY = ["show_id", "season_number", "episode_number"]
COMPONENT_COLUMNS = tuple(f"c_{name}" for name in (*COMPONENTS, "pack"))
SHOW_COLUMNS: tuple[str, ...] = (
    "tmdb_id", "imdb_id", "tvdb_id", "name", "original_name", "original_language", "overview",
    "tagline", "first_air_date", "last_air_date", "year", "status", "in_production",
    "popularity", "vote_average", "vote_count", "poster_path", "backdrop_path",
    "number_of_seasons", "number_of_episodes", "episode_runtime_min", "source_count",
    "fetched_at",
)  # fmt: skip
SHOW_SOURCE_COLUMNS: tuple[str, ...] = (
    "info_hash", "show_id", "season_number", "episode_number", "last_episode_number",
    "is_pack", "release_name", "quality", "resolution", "source_type", "video_codec",
    "release_group", "is_repack", "size_bytes", "seeds", "peers", "uploaded_at", "available",
    "unavailable_reason", "reliability_note", "torrent_url", "magnet",
)  # fmt: skip
EPISODE_SOURCE_COLUMNS: tuple[str, ...] = (
    *EPISODE_KEY, "info_hash", "is_pack", "file_hint", "bitrate_mbps", *COMPONENT_COLUMNS,
    "available", "score_web", "score_tv", "rank_web", "rank_tv",
)  # fmt: skip

SHOW_EXISTS = exists_in("tmdb_id", "mart_shows", "tmdb_id")
SHOW_ID_EXISTS = exists_in("show_id", "mart_shows", "tmdb_id")
SUITES: dict[str, list[Expect]] = {
    "mart_shows": [
        not_null("tmdb_id"),
        unique("tmdb_id"),
        matches("imdb_id", IMDB_PATTERN),
        not_null("name"),
        between("source_count", 0, None),
    ],
    "mart_tv_genres": [unique_together("genre_id", "language"), not_null("name")],
    "mart_show_genres": [unique_together("tmdb_id", "genre_id"), SHOW_EXISTS],
    "mart_show_translations": [SHOW_EXISTS, not_null("language")],
    "mart_show_images": [SHOW_EXISTS, in_set("kind", ["poster", "backdrop", "logo"])],
    "mart_show_list_members": [unique_together("list_name", "position"), SHOW_EXISTS],
    "mart_seasons": [unique_together("show_id", "season_number"), SHOW_ID_EXISTS],
    "mart_episodes": [
        unique_together(*EPISODE_KEY),
        SHOW_ID_EXISTS,
        between("episode_number", 0, 10_000),
        between("source_count", 0, None),
    ],
    "mart_show_sources": [
        unique("info_hash"),
        matches("info_hash", HASH_PATTERN),
        SHOW_ID_EXISTS,
        between("size_bytes", 1, None),
        between("seeds", 0, None),
        in_set("quality", ["480p", "720p", "1080p", "2160p"]),
        matches("magnet", r"^magnet:\?xt=urn:btih:[0-9a-f]{40}&dn="),
    ],
    "mart_episode_sources": [
        unique_together(*EPISODE_KEY, "info_hash"),
        matches("info_hash", HASH_PATTERN),
        SHOW_ID_EXISTS,
        between("rank_web", 1, None),
        between("rank_tv", 1, None),
        *(e for c in COMPONENT_COLUMNS for e in finite(c)),
        *finite("score_tv"),
        in_set("c_pack", [0.0, PACK_POINTS, MULTI_LATER_POINTS]),
    ],
}


def _magnet() -> pl.Expr:
    return pl.concat_str(
        pl.lit("magnet:?xt=urn:btih:"),
        pl.col("info_hash"),
        pl.lit("&dn="),
        pl.col("release_name").map_elements(lambda n: quote(n, safe=""), return_dtype=pl.String),
        pl.lit(TRACKER_PARAMS),
    ).alias("magnet")


def with_run_end(torrents: pl.LazyFrame) -> pl.LazyFrame:
    """``torrents`` with ``last_episode_number`` (all NULL when staged before runs existed)."""
    if "last_episode_number" in torrents.collect_schema().names():
        return torrents
    return torrents.with_columns(pl.lit(None, dtype=pl.Int32).alias("last_episode_number"))


def episode_candidates(
    torrents: pl.LazyFrame, episodes: pl.LazyFrame, shows: pl.LazyFrame
) -> pl.LazyFrame:
    """One row per (episode, torrent that plays it): singles by their episode, multi-episode
    releases by each episode of their run, packs by their season. ``runtime_min`` is what the
    torrent's size covers (a pack: the season; a run: its episodes); ``_pack_points`` is
    ``c_pack``."""
    facts = episodes.join(
        shows.select(pl.col("tmdb_id").alias("show_id"), "episode_runtime_min"), on="show_id"
    ).with_columns(pl.coalesce("runtime_min", "episode_runtime_min").alias("_minutes"))
    per_season = facts.group_by("show_id", "season_number").agg(
        pl.col("_minutes").sum().alias("_season_minutes")
    )
    episode_cols = facts.select(*EPISODE_KEY, "_minutes")
    torrents = with_run_end(torrents)
    multi = pl.col("last_episode_number").is_not_null()
    singles = (
        torrents.filter(~pl.col("is_pack") & ~multi)
        .join(episode_cols, on=EPISODE_KEY)
        .with_columns(pl.lit(0.0).alias("_pack_points"))
    )
    multis = (  # one row per episode of the run; runtime: the run's
        torrents.filter(~pl.col("is_pack") & multi)
        .rename({"episode_number": "_first"})
        .join(episode_cols, on=["show_id", "season_number"])
        .filter(pl.col("episode_number").is_between("_first", "last_episode_number"))
        .with_columns(
            pl.col("_minutes").sum().over("info_hash", "show_id", "season_number"),
            pl.when(pl.col("episode_number") == pl.col("_first"))
            .then(PACK_POINTS)
            .otherwise(MULTI_LATER_POINTS)
            .alias("_pack_points"),
        )
    )
    packs = (
        torrents.filter(pl.col("is_pack"))
        .drop("episode_number")
        .join(episode_cols, on=["show_id", "season_number"])
        .join(per_season, on=["show_id", "season_number"])
        .with_columns(
            pl.col("_season_minutes").alias("_minutes"), pl.lit(PACK_POINTS).alias("_pack_points")
        )
        .drop("_season_minutes")
    )
    names = singles.collect_schema().names()
    return pl.concat([singles, multis.select(names), packs.select(names)]).with_columns(
        pl.col("_minutes").alias("runtime_min")
    )


def score_episode_sources(candidates: pl.LazyFrame, as_of: datetime | None) -> pl.LazyFrame:
    """Movie components + ``c_pack``; rank 1 = best playable available source of the episode."""
    grouped = candidates.with_columns(
        pl.struct(EPISODE_KEY).rank("dense").cast(pl.Int64).alias("tmdb_id"),
        pl.lit(False).alias("is_3d"),
        pl.lit(None, dtype=pl.Int32).alias("bit_depth"),
        pl.lit(None, dtype=pl.Float64).alias("audio_channels"),
        pl.col("_pack_points").alias("c_pack"),
        pl.lit(None, dtype=pl.String).alias("file_hint"),
    )
    return score_sources(grouped, as_of, source_points=TV_SOURCE_POINTS, extra=("pack",)).select(
        EPISODE_SOURCE_COLUMNS
    )


def build_tv_marts(
    stg: dict[str, pl.DataFrame],
    as_of: datetime | None = None,
    outcomes: pl.LazyFrame | None = None,
    source_key: Callable[[str], str] | None = None,
) -> dict[str, pl.LazyFrame]:
    """Every TV ``mart_*`` table as a LazyFrame, from the TV staging frames."""
    shows = stg["stg_tmdb__shows"].lazy()
    show_ids = shows.select("tmdb_id")
    seasons = (
        stg["stg_tmdb__seasons"]
        .lazy()
        .join(show_ids, left_on="show_id", right_on="tmdb_id", how="semi")
    )
    episodes = (
        stg["stg_tmdb__episodes"]
        .lazy()
        .join(show_ids, left_on="show_id", right_on="tmdb_id", how="semi")
    )
    torrents = with_outcomes(
        with_run_end(stg["stg_eztv__torrents"].lazy().filter(pl.col("show_id").is_not_null())),
        outcomes,
        source_key,
    )
    scored = score_episode_sources(episode_candidates(torrents, episodes, shows), as_of)
    playing = scored.select("info_hash", "available").unique("info_hash")
    show_sources = (
        torrents.join(playing, on="info_hash", how="inner")
        .with_columns(_magnet(), unavailable_reason())
        .select(SHOW_SOURCE_COLUMNS)
        .sort("show_id", "season_number", "episode_number", "info_hash", nulls_last=True)
    )
    per_episode = scored.group_by(EPISODE_KEY).agg(pl.len().cast(pl.Int32).alias("source_count"))
    per_show = show_sources.group_by("show_id").agg(pl.len().cast(pl.Int32).alias("source_count"))
    return {
        "mart_tv_genres": stg["stg_tmdb__tv_genres"]
        .lazy()
        .select("genre_id", "language", "name")
        .sort("language", "genre_id"),
        "mart_shows": shows.join(per_show, left_on="tmdb_id", right_on="show_id", how="left")
        .with_columns(pl.col("source_count").fill_null(0))
        .select(SHOW_COLUMNS)
        .sort("tmdb_id"),
        "mart_show_genres": stg["stg_tmdb__show_genres"].lazy().select("tmdb_id", "genre_id"),
        "mart_show_translations": stg["stg_tmdb__show_translations"]
        .lazy()
        .select("tmdb_id", "language", "region", "name", "overview", "tagline"),
        "mart_show_images": stg["stg_tmdb__show_images"]
        .lazy()
        .select("tmdb_id", "kind", "file_path", "width", "height", "language", "vote_average"),
        "mart_show_list_members": stg["stg_tmdb__tv_list_members"]
        .lazy()
        .select("list_name", "position", "tmdb_id")
        .sort("list_name", "position"),
        "mart_seasons": seasons.select(
            "show_id",
            "season_number",
            "name",
            "overview",
            "air_date",
            "episode_count",
            "poster_path",
        ).sort("show_id", "season_number"),
        "mart_episodes": episodes.join(per_episode, on=EPISODE_KEY, how="left")
        .with_columns(pl.col("source_count").fill_null(0))
        .select(
            *EPISODE_KEY,
            "name",
            "overview",
            "air_date",
            "runtime_min",
            "still_path",
            "vote_average",
            "source_count",
        )
        .sort(EPISODE_KEY),
        "mart_show_sources": show_sources,
        "mart_episode_sources": scored.sort(
            [*EPISODE_KEY, "rank_tv", "info_hash"], nulls_last=True
        ),
    }
