"""Parse TMDB v3 bodies (configuration, genre lists, list pages, movie details)."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any, Required

from pydantic import Field, TypeAdapter, ValidationError, with_config
from typing_extensions import TypedDict

from warehouse.parse import (
    INT32,
    STRICT,
    Blank,
    Count,
    Id,
    Imdb,
    InvalidPayload,
    Rejected,
    Short,
    Text,
    check,
    describe,
    validate_items,
    validate_json,
)

HttpUrl = Annotated[
    Short, check(lambda u: u.startswith(("https://", "http://")), "bad image base url")
]


@with_config(STRICT)
class TmdbConfigImages(TypedDict, total=False):
    base_url: Short | None
    secure_base_url: Required[HttpUrl]
    poster_sizes: Required[list[Short]]
    backdrop_sizes: Required[list[Short]]
    logo_sizes: list[Short]


@with_config(STRICT)
class TmdbConfiguration(TypedDict):
    images: TmdbConfigImages


@with_config(STRICT)
class TmdbGenre(TypedDict):
    id: Annotated[int, Field(gt=0, le=INT32)]
    name: Short


@with_config(STRICT)
class TmdbListItem(TypedDict):
    id: Id


@with_config(STRICT)
class TmdbListPage(TypedDict):
    page: Annotated[int, Field(ge=1, le=500)]
    results: list[Any]


@with_config(STRICT)
class TmdbGenreList(TypedDict):
    genres: list[Any]


@with_config(STRICT)
class TmdbTranslationData(TypedDict, total=False):
    title: Text | None
    overview: Text | None
    tagline: Text | None
    runtime: Annotated[int | None, Field(ge=0, le=100_000)]


@with_config(STRICT)
class TmdbTranslation(TypedDict, total=False):
    iso_639_1: Required[Short]
    iso_3166_1: Short | None
    data: TmdbTranslationData


@with_config(STRICT)
class TmdbTranslations(TypedDict, total=False):
    translations: list[TmdbTranslation]


@with_config(STRICT)
class TmdbImage(TypedDict, total=False):
    file_path: Required[Short]
    width: Annotated[int | None, Field(ge=0, le=1_000_000)]
    height: Annotated[int | None, Field(ge=0, le=1_000_000)]
    iso_639_1: Short | None
    vote_average: float | None
    vote_count: Count | None


@with_config(STRICT)
class TmdbImages(TypedDict, total=False):
    posters: list[TmdbImage]
    backdrops: list[TmdbImage]
    logos: list[TmdbImage]


@with_config(STRICT)
class TmdbExternalIds(TypedDict, total=False):
    imdb_id: Imdb


@with_config(STRICT)
class TmdbGenreRef(TypedDict, total=False):
    id: Required[Annotated[int, Field(gt=0, le=INT32)]]
    name: Short | None


@with_config(STRICT)
class TmdbMovie(TypedDict, total=False):
    id: Required[Id]
    imdb_id: Imdb
    title: Annotated[Short | None, Blank]
    original_title: Short | None
    original_language: Short | None
    overview: Text | None
    tagline: Text | None
    release_date: Annotated[date | None, Blank]
    runtime: Annotated[int | None, Field(ge=0, le=100_000)]
    popularity: float | None
    vote_average: Annotated[float | None, Field(ge=0, le=10)]
    vote_count: Count | None
    poster_path: Short | None
    backdrop_path: Short | None
    status: Short | None
    adult: bool | None
    genres: list[TmdbGenreRef]
    translations: TmdbTranslations | None
    images: TmdbImages | None
    external_ids: TmdbExternalIds | None


CONFIGURATION = TypeAdapter(TmdbConfiguration)
GENRE_LIST, GENRE = TypeAdapter(TmdbGenreList), TypeAdapter(TmdbGenre)
LIST_PAGE, LIST_ITEM = TypeAdapter(TmdbListPage), TypeAdapter(TmdbListItem)
MOVIE = TypeAdapter(TmdbMovie)


def parse_configuration(payload: str | None) -> dict[str, Any]:
    """``GET /3/configuration`` -> one stg_tmdb__config record."""
    images = validate_json(CONFIGURATION, payload)["images"]
    return {
        "image_base_url": images["secure_base_url"],
        "base_url": images.get("base_url"),
        "poster_sizes": json.dumps(images["poster_sizes"]),
        "backdrop_sizes": json.dumps(images["backdrop_sizes"]),
        "logo_sizes": json.dumps(images.get("logo_sizes", [])),
    }


def parse_genres(payload: str | None, language: str) -> tuple[list[dict[str, Any]], list[Rejected]]:
    """``GET /3/genre/movie/list?language=xx`` -> genre records (id, name)."""
    items = validate_json(GENRE_LIST, payload)["genres"]
    return validate_items(GENRE, items, lambda i, _item: f"{language}#{i}")


def split_list_key(entity_key: str) -> tuple[str, int | None]:
    """``"popular:3"`` -> ``("popular", 3)``; a key without a usable page gives ``None``."""
    name, _, page = entity_key.partition(":")
    return name, int(page) if page.isdigit() else None


def parse_list_page(
    payload: str | None, entity_key: str, page_size: int = 20
) -> tuple[list[dict[str, Any]], list[Rejected]]:
    """A TMDB list page (popular/top_rated/trending) -> member records with positions."""
    list_name, key_page = split_list_key(entity_key)
    if not list_name:
        raise InvalidPayload(f"bad list key: {entity_key!r} has no list name")
    body = validate_json(LIST_PAGE, payload)
    page = body["page"]
    if key_page is not None and key_page != page:
        raise InvalidPayload(f"page mismatch: asked for page {key_page}, got page {page}")
    members: list[dict[str, Any]] = []
    bad: list[Rejected] = []
    for index, item in enumerate(body["results"]):
        position = (page - 1) * page_size + index + 1
        try:
            tmdb_id = LIST_ITEM.validate_python(item)["id"]
        except ValidationError as exc:
            bad.append(Rejected(f"{list_name}:{position}", describe(exc), json.dumps(item)))
            continue
        members.append(
            {"list_name": list_name, "page": page, "position": position, "tmdb_id": tmdb_id}
        )
    return members, bad


def parse_movie(payload: str | None, entity_key: str) -> dict[str, Any]:
    """A TMDB movie body (with appended translations/images/external_ids) -> one record.

    The record keeps TMDB's names plus ``genres``/``translations``/``images`` flattened to
    lists of dicts that carry ``tmdb_id`` (and ``kind`` for images).
    """
    movie = validate_json(MOVIE, payload)
    tmdb_id = movie["id"]
    if entity_key.isdigit() and int(entity_key) != tmdb_id:
        raise InvalidPayload(f"id mismatch: asked for movie {entity_key}, got {tmdb_id}")
    if not (movie.get("title") or movie.get("original_title")):
        raise InvalidPayload("missing key: title")
    if not movie.get("imdb_id"):
        movie["imdb_id"] = (movie.get("external_ids") or {}).get("imdb_id")
    genres = movie.pop("genres", None) or []
    for genre in genres:
        genre["tmdb_id"] = tmdb_id
    translations = (movie.pop("translations", None) or {}).get("translations") or []
    for translation in translations:
        translation.update(translation.pop("data", None) or {}, tmdb_id=tmdb_id)
    images: list[dict[str, Any]] = []
    for kind, items in (movie.pop("images", None) or {}).items():
        for image in items:
            image.update(tmdb_id=tmdb_id, kind=kind.removesuffix("s"))
        images.extend(items)
    movie.update(genres=genres, translations=translations, images=images)
    return movie
