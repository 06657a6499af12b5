"""Vectorised renames and casts from validated upstream records to staging columns.

Each ``*_frame(records)`` builds a polars frame from the dicts warehouse/parse.py returns
(upstream names) and turns it into the staging shape (our names, types, NULL for
"unknown"). Pure functions: no I/O, no validation (parse.py did that).
"""

from __future__ import annotations

from typing import Any

import polars as pl

from warehouse.parse import INT32, QUALITIES

LINEAGE: dict[str, Any] = {"request_key": pl.String, "fetched_at": pl.Datetime("us")}
SOURCE_TYPES = {"bluray": "bluray", "web": "web", "webrip": "web", "web-dl": "web"}
CODECS = {"x264": "x264", "h264": "x264", "avc": "x264"}
CODECS.update({"x265": "x265", "h265": "x265", "hevc": "x265"})
LANGUAGE_PARAM = r"[?&]language=([^&\s]+)"


def _frame(records: list[dict[str, Any]], schema: dict[str, Any]) -> pl.DataFrame:
    """Records -> frame with exactly ``schema`` (missing keys are NULL, extra keys ignored)."""
    return pl.DataFrame(records, schema=schema)


def _text(name: str) -> pl.Expr:
    """Blank or whitespace-only text -> NULL."""
    col = pl.col(name)
    return pl.when(col.str.strip_chars() == "").then(None).otherwise(col).alias(name)


def _positive(name: str, alias: str | None = None) -> pl.Expr:
    col = pl.col(name)
    return pl.when(col > 0).then(col).otherwise(None).alias(alias or name)


def config_frame(records: list[dict[str, Any]]) -> pl.DataFrame:
    schema = dict.fromkeys(
        ("image_base_url", "base_url", "poster_sizes", "backdrop_sizes", "logo_sizes"), pl.String
    )
    return _frame(records, {**schema, **LINEAGE})


def genres_frame(records: list[dict[str, Any]]) -> pl.DataFrame:
    schema = {"id": pl.Int32, "name": pl.String, "entity_key": pl.String, **LINEAGE}
    return _frame(records, schema).select(
        pl.col("id").alias("genre_id"),
        pl.col("entity_key").alias("language"),
        "name",
        *LINEAGE,
    )


def members_frame(records: list[dict[str, Any]]) -> pl.DataFrame:
    schema = {
        "list_name": pl.String,
        "page": pl.Int32,
        "position": pl.Int32,
        "tmdb_id": pl.Int64,
        **LINEAGE,
    }
    return _frame(records, schema)


MOVIE_SCHEMA: dict[str, Any] = {
    "id": pl.Int64,
    "imdb_id": pl.String,
    "title": pl.String,
    "original_title": pl.String,
    "original_language": pl.String,
    "overview": pl.String,
    "tagline": pl.String,
    "release_date": pl.Date,
    "runtime": pl.Int32,
    "popularity": pl.Float64,
    "vote_average": pl.Float64,
    "vote_count": pl.Int32,
    "poster_path": pl.String,
    "backdrop_path": pl.String,
    "status": pl.String,
    "adult": pl.Boolean,
    **LINEAGE,
}
_MOVIE_TEXT = ("original_title", "original_language", "overview", "tagline", "status")


def movies_frame(records: list[dict[str, Any]]) -> pl.DataFrame:
    """TMDB movie records -> stg_tmdb__movies columns (one row per record, not deduplicated)."""
    return (
        _frame(records, MOVIE_SCHEMA)
        .with_columns(_text(name) for name in (*_MOVIE_TEXT, "poster_path", "backdrop_path"))
        .select(
            pl.col("id").alias("tmdb_id"),
            "imdb_id",
            pl.coalesce(_text("title"), "original_title").alias("title"),
            *_MOVIE_TEXT[:4],
            "release_date",
            pl.col("release_date").dt.year().cast(pl.Int32).alias("year"),
            _positive("runtime", "runtime_min"),
            "popularity",
            "vote_average",
            "vote_count",
            "poster_path",
            "backdrop_path",
            "status",
            "adult",
            pl.col("request_key").str.extract(LANGUAGE_PARAM, 1).alias("language"),
            *LINEAGE,
        )
    )


def movie_genres_frame(records: list[dict[str, Any]]) -> pl.DataFrame:
    schema = {"tmdb_id": pl.Int64, "id": pl.Int32, "name": pl.String, "request_key": pl.String}
    return _frame(records, schema).rename({"id": "genre_id"})


def translations_frame(records: list[dict[str, Any]]) -> pl.DataFrame:
    schema = {
        "tmdb_id": pl.Int64,
        "iso_639_1": pl.String,
        "iso_3166_1": pl.String,
        "title": pl.String,
        "overview": pl.String,
        "tagline": pl.String,
        "runtime": pl.Int32,
        "request_key": pl.String,
    }
    return _frame(records, schema).select(
        "tmdb_id",
        pl.col("iso_639_1").alias("language"),
        _text("iso_3166_1").alias("region"),
        _text("title"),
        _text("overview"),
        _text("tagline"),
        _positive("runtime", "runtime_min"),
        "request_key",
    )


def images_frame(records: list[dict[str, Any]]) -> pl.DataFrame:
    schema = {
        "tmdb_id": pl.Int64,
        "kind": pl.String,
        "file_path": pl.String,
        "width": pl.Int32,
        "height": pl.Int32,
        "iso_639_1": pl.String,
        "vote_average": pl.Float64,
        "vote_count": pl.Int32,
        "request_key": pl.String,
    }
    return _frame(records, schema).rename({"iso_639_1": "language"})


TORRENT_SCHEMA: dict[str, Any] = {
    "hash": pl.String,
    "imdb_id": pl.String,
    "yts_movie_id": pl.Int64,
    "yts_title": pl.String,
    "yts_year": pl.Int32,
    "yts_runtime_min": pl.Int32,
    "quality": pl.String,
    "type": pl.String,
    "video_codec": pl.String,
    "bit_depth": pl.Int32,
    "audio_channels": pl.Float64,
    "size_bytes": pl.Int64,
    "seeds": pl.Int64,
    "peers": pl.Int64,
    "date_uploaded": pl.String,
    "date_uploaded_unix": pl.Int64,
    "is_repack": pl.Boolean,
    "url": pl.String,
    "position": pl.Int32,
    **LINEAGE,
}


def _mapped(name: str, mapping: dict[str, str], alias: str) -> pl.Expr:
    return (
        pl.col(name)
        .str.strip_chars()
        .str.to_lowercase()
        .replace_strict(mapping, default=None, return_dtype=pl.String)
        .alias(alias)
    )


def torrents_frame(records: list[dict[str, Any]]) -> pl.DataFrame:
    """YTS torrent records -> stg_yts__torrents columns (tmdb_id is joined later)."""
    unix = pl.col("date_uploaded_unix")
    return _frame(records, TORRENT_SCHEMA).select(
        pl.col("hash").str.strip_chars().str.to_lowercase().alias("info_hash"),
        "imdb_id",
        "yts_movie_id",
        "yts_title",
        "yts_year",
        "yts_runtime_min",
        "quality",
        pl.col("quality")
        .replace_strict({q: r for q, (r, _) in QUALITIES.items()}, return_dtype=pl.Int32)
        .alias("resolution"),
        (pl.col("quality") == "3D").alias("is_3d"),
        _mapped("type", SOURCE_TYPES, "source_type"),
        _mapped("video_codec", CODECS, "video_codec"),
        _positive("bit_depth"),
        _positive("audio_channels"),
        "size_bytes",
        pl.col("seeds").clip(upper_bound=INT32).cast(pl.Int32),
        pl.col("peers").clip(upper_bound=INT32).cast(pl.Int32),
        pl.when((unix > 0) & (unix < 2**35))
        .then(pl.from_epoch(unix, time_unit="s"))
        .otherwise(
            pl.col("date_uploaded").str.strptime(
                pl.Datetime("us"), "%Y-%m-%d %H:%M:%S", strict=False
            )
        )
        .cast(pl.Datetime("us"))
        .alias("uploaded_at"),
        pl.col("is_repack").fill_null(False),
        pl.col("url").alias("torrent_url"),
        "position",
        *LINEAGE,
    )
