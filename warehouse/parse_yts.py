"""Parse YTS v2 ``list_movies.json`` envelopes into torrent records."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Annotated, Any, Literal, Required

from pydantic import BeforeValidator, Field, TypeAdapter, ValidationError, with_config
from typing_extensions import TypedDict

from warehouse.parse import (
    MAX_SIZE_BYTES,
    STRICT,
    Blank,
    Id,
    ImdbCode,
    InvalidPayload,
    Rejected,
    Short,
    check_body,
    validate_items,
    validate_json,
)


def _repack(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes")


@with_config(STRICT)
class YtsTorrent(TypedDict, total=False):
    hash: Required[Annotated[str, Field(pattern=r"^\s*[0-9a-fA-F]{40}\s*$")]]  # lowered later
    quality: Required[Literal["480p", "720p", "1080p", "2160p", "3D"]]
    type: Short | None
    video_codec: Short | None
    # Constraints sit inside the Optional: pydantic cannot apply them to a blanked None.
    bit_depth: Annotated[Annotated[int, Field(ge=0, le=64)] | None, Blank]
    audio_channels: Annotated[Annotated[float, Field(ge=0, le=100)] | None, Blank]
    is_repack: Annotated[bool, BeforeValidator(_repack)]
    seeds: Required[Annotated[int, Field(ge=0)]]
    peers: Required[Annotated[int, Field(ge=0)]]
    size_bytes: Required[Annotated[int, Field(gt=0, le=MAX_SIZE_BYTES)]]
    date_uploaded: Short | None
    date_uploaded_unix: Annotated[int | None, Blank]
    url: Short | None


@with_config(STRICT)
class YtsMovie(TypedDict, total=False):
    id: Required[Id]
    imdb_code: Required[ImdbCode]
    title: Short | None
    year: Annotated[int | None, Field(ge=0, le=9_999)]
    runtime: Annotated[int | None, Field(ge=0, le=100_000)]
    torrents: list[Any] | None


@with_config(STRICT)
class YtsMovieTyped(YtsMovie, total=False):
    torrents: list[YtsTorrent] | None  # type: ignore[misc]


@with_config(STRICT)
class YtsData(TypedDict, total=False):
    movie_count: int | None
    movies: list[Any] | None


@with_config(STRICT)
class YtsDataTyped(TypedDict, total=False):
    movie_count: int | None
    movies: list[YtsMovieTyped] | None


@with_config(STRICT)
class YtsEnvelope(TypedDict, total=False):
    status: Required[Short]
    status_message: Short | None
    data: YtsData | list[Any] | None


@with_config(STRICT)
class YtsEnvelopeTyped(YtsEnvelope, total=False):
    data: YtsDataTyped | list[Any] | None  # type: ignore[misc]


YTS_FAST, YTS_LOOSE = TypeAdapter(YtsEnvelopeTyped), TypeAdapter(YtsEnvelope)
YTS_MOVIE, YTS_TORRENT = TypeAdapter(YtsMovie), TypeAdapter(YtsTorrent)


def _movies_of(envelope: Mapping[str, Any]) -> list[Any]:
    if envelope["status"] != "ok":
        raise InvalidPayload(
            f"upstream error body: {envelope['status']}: {envelope.get('status_message')}"
        )
    data = envelope.get("data")
    return (data.get("movies") or []) if isinstance(data, dict) else []


def _torrent_rows(movie: dict[str, Any], torrents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    base = {
        "imdb_id": movie["imdb_code"],
        "yts_movie_id": movie["id"],
        "yts_title": movie.get("title"),
        "yts_year": movie.get("year"),
        "yts_runtime_min": movie.get("runtime") or None,
    }
    for position, torrent in enumerate(torrents):
        torrent.update(base, position=position)
    return torrents


def parse_yts(payload: str | None, imdb_id: str) -> tuple[list[dict[str, Any]], list[Rejected]]:
    """A YTS ``list_movies.json?query_term=<imdb>`` envelope -> torrent records.

    Records are torrents; a movie entry that is itself broken counts as one rejected record.
    An answer without the ``movies`` key is a valid "no torrents" answer. Clean envelopes
    are validated in one pass; a dirty one is re-validated record by record.
    """
    body = check_body(payload)
    try:
        movies = _movies_of(YTS_FAST.validate_json(body))
    except ValidationError:
        movies = None
    good: list[dict[str, Any]] = []
    bad: list[Rejected] = []
    if movies is None:  # slow path: find the bad records, keep the rest
        loose = _movies_of(validate_json(YTS_LOOSE, body))
        movies, bad = validate_items(YTS_MOVIE, loose, lambda i, _m: f"{imdb_id}#{i}")
        for movie in movies:
            if movie["imdb_code"] == imdb_id:
                movie["torrents"], rejected = validate_items(
                    YTS_TORRENT,
                    movie.get("torrents") or [],
                    lambda i, t: _torrent_key(t) or f"{imdb_id}#{i}",
                )
                bad.extend(rejected)
    for movie in movies:
        if movie["imdb_code"] != imdb_id:
            reason = f"imdb mismatch: asked for {imdb_id}, got {movie['imdb_code']}"
            bad.append(Rejected(movie["imdb_code"], reason, json.dumps(movie)[:20_000]))
            continue
        good.extend(_torrent_rows(movie, movie.get("torrents") or []))
    return good, bad


def _torrent_key(torrent: Any) -> str | None:
    value = torrent.get("hash") if isinstance(torrent, dict) else None
    return str(value)[:100] if value else None
