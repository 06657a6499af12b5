"""Parse TMDB TV bodies (show details, seasons) and EZTV ``get-torrents`` pages.

Same rules as parse_tmdb.py / parse_yts.py: a whole unusable body raises
:class:`~warehouse.parse.InvalidPayload`; one bad record inside a good body (an episode, a
torrent) comes back as a :class:`~warehouse.parse.Rejected` next to the good ones.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any, Required

from pydantic import Field, TypeAdapter, ValidationError, with_config
from typing_extensions import TypedDict

from warehouse.parse import (
    INT32,
    MAX_SIZE_BYTES,
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
    check_body,
    validate_items,
    validate_json,
)
from warehouse.parse_tmdb import TmdbGenreRef, TmdbImages

MAX_SEASON = 1_000
MAX_EPISODE = 10_000
SeasonNumber = Annotated[int, Field(ge=0, le=MAX_SEASON)]
Minutes = Annotated[int | None, Field(ge=0, le=100_000)]
FIRST_AIR, LAST_AIR = date(1900, 1, 1), date(2100, 1, 1)  # an air date outside is garbage
Day = Annotated[
    Annotated[date, check(lambda d: FIRST_AIR <= d < LAST_AIR, "air_date out of range")] | None,
    Blank,
]


@with_config(STRICT)
class TvTranslationData(TypedDict, total=False):
    name: Text | None
    overview: Text | None
    tagline: Text | None


@with_config(STRICT)
class TvTranslation(TypedDict, total=False):
    iso_639_1: Required[Short]
    iso_3166_1: Short | None
    data: TvTranslationData


@with_config(STRICT)
class TvTranslations(TypedDict, total=False):
    translations: list[TvTranslation]


@with_config(STRICT)
class TvExternalIds(TypedDict, total=False):
    imdb_id: Imdb
    tvdb_id: Annotated[int | None, Field(gt=0, le=INT32)]


@with_config(STRICT)
class TvSeasonRef(TypedDict, total=False):
    season_number: Required[SeasonNumber]
    name: Short | None
    overview: Text | None
    air_date: Day
    episode_count: Annotated[int | None, Field(ge=0, le=MAX_EPISODE)]
    poster_path: Short | None


@with_config(STRICT)
class TmdbShow(TypedDict, total=False):
    id: Required[Id]
    name: Annotated[Short | None, Blank]
    original_name: Short | None
    original_language: Short | None
    overview: Text | None
    tagline: Text | None
    first_air_date: Day
    last_air_date: Day
    status: Short | None
    in_production: bool | None
    popularity: float | None
    vote_average: Annotated[float | None, Field(ge=0, le=10)]
    vote_count: Count | None
    poster_path: Short | None
    backdrop_path: Short | None
    number_of_seasons: Annotated[int | None, Field(ge=0, le=MAX_SEASON)]
    number_of_episodes: Annotated[int | None, Field(ge=0, le=1_000_000)]
    episode_run_time: list[Annotated[int, Field(ge=0, le=100_000)]] | None
    genres: list[TmdbGenreRef]
    seasons: list[TvSeasonRef] | None
    translations: TvTranslations | None
    images: TmdbImages | None
    external_ids: TvExternalIds | None


@with_config(STRICT)
class TmdbEpisode(TypedDict, total=False):
    episode_number: Required[Annotated[int, Field(ge=0, le=MAX_EPISODE)]]
    season_number: SeasonNumber
    name: Short | None
    overview: Text | None
    air_date: Day
    runtime: Minutes
    still_path: Short | None
    vote_average: Annotated[float | None, Field(ge=0, le=10)]


@with_config(STRICT)
class TmdbSeason(TypedDict, total=False):
    season_number: Required[SeasonNumber]
    episodes: Required[list[Any]]


@with_config(STRICT)
class TmdbSeasonTyped(TypedDict, total=False):
    season_number: Required[SeasonNumber]
    episodes: Required[list[TmdbEpisode]]  # guest stars and crew are dropped while parsing


# EZTV sends numbers as strings ("3", "1234567"): pydantic's lax mode reads them as ints.
@with_config(STRICT)
class EztvTorrent(TypedDict, total=False):
    id: Annotated[int | None, Field(gt=0, lt=2**53)]
    hash: Required[Annotated[str, Field(pattern=r"^\s*[0-9a-fA-F]{40}\s*$")]]  # lowered later
    filename: Short | None
    title: Required[Short]
    torrent_url: Short | None
    imdb_id: Short | int | None
    season: Annotated[int | None, Field(ge=0, le=MAX_SEASON)]
    episode: Annotated[int | None, Field(ge=0, le=MAX_EPISODE)]
    seeds: Required[Annotated[int, Field(ge=0)]]
    peers: Required[Annotated[int, Field(ge=0)]]
    date_released_unix: Annotated[int | None, Field(ge=0, lt=2**35)]
    size_bytes: Required[Annotated[int, Field(gt=0, le=MAX_SIZE_BYTES)]]


@with_config(STRICT)
class EztvPage(TypedDict, total=False):
    torrents_count: int | None
    page: int | None
    torrents: list[Any] | None


@with_config(STRICT)
class EztvPageTyped(EztvPage, total=False):
    torrents: list[EztvTorrent] | None  # type: ignore[misc]


SHOW, SEASON, EPISODE = TypeAdapter(TmdbShow), TypeAdapter(TmdbSeason), TypeAdapter(TmdbEpisode)
SEASON_FAST = TypeAdapter(TmdbSeasonTyped)
EZTV_PAGE, EZTV_TORRENT = TypeAdapter(EztvPage), TypeAdapter(EztvTorrent)
EZTV_FAST = TypeAdapter(EztvPageTyped)


def parse_show(payload: str | None, entity_key: str) -> dict[str, Any]:
    """A TMDB show body (+external_ids, translations, images) -> one record whose children
    (``genres``, ``translations``, ``images``, ``seasons``) carry ``tmdb_id``."""
    show = validate_json(SHOW, payload)
    tmdb_id = show["id"]
    if entity_key.isdigit() and int(entity_key) != tmdb_id:
        raise InvalidPayload(f"id mismatch: asked for show {entity_key}, got {tmdb_id}")
    if not (show.get("name") or show.get("original_name")):
        raise InvalidPayload("missing key: name")
    external = show.pop("external_ids", None) or {}
    show.update(imdb_id=external.get("imdb_id"), tvdb_id=external.get("tvdb_id"))
    runtimes = [m for m in show.pop("episode_run_time", None) or [] if m > 0]
    show["episode_runtime_min"] = runtimes[0] if runtimes else None
    genres = show.pop("genres", None) or []
    translations = (show.pop("translations", None) or {}).get("translations") or []
    for translation in translations:
        translation.update(translation.pop("data", None) or {})
    images: list[dict[str, Any]] = []
    for kind, items in (show.pop("images", None) or {}).items():
        for image in items:
            image["kind"] = kind.removesuffix("s")
        images.extend(items)
    seasons = show.pop("seasons", None) or []
    for child in (*genres, *translations, *images, *seasons):
        child["tmdb_id"] = tmdb_id
    show.update(genres=genres, translations=translations, images=images, seasons=seasons)
    return show


def split_pair_key(entity_key: str) -> tuple[str, int | None]:
    """``"1399:2"`` -> ``("1399", 2)``; ``"tt0944947:3"`` -> ``("tt0944947", 3)``."""
    head, _, tail = entity_key.partition(":")
    ok = tail.isascii() and tail.isdigit() and len(tail) < 7
    return head, int(tail) if ok else None


def parse_season(
    payload: str | None, entity_key: str
) -> tuple[list[dict[str, Any]], list[Rejected]]:
    """A ``/3/tv/{id}/season/{n}`` body -> episode records (bad episodes rejected)."""
    show, number = split_pair_key(entity_key)
    if not show.isdigit() or number is None:
        raise InvalidPayload(f"bad season key: {entity_key!r} is not <show id>:<season>")
    season: Any
    episodes: list[Any]
    bad: list[Rejected] = []
    try:  # a clean season in one pass (guest stars never become Python objects)
        season = SEASON_FAST.validate_json(check_body(payload))
        episodes = list(season["episodes"])
    except ValidationError:
        season = validate_json(SEASON, payload)
        episodes, bad = validate_items(
            EPISODE, season["episodes"], lambda i, _e: f"{show}:{number}#{i}"
        )
    if season["season_number"] != number:
        raise InvalidPayload(f"season mismatch: asked for {number}, got {season['season_number']}")
    good: list[dict[str, Any]] = []
    for episode in episodes:
        if episode.get("season_number", number) != number:
            reason = f"season mismatch: episode of season {episode['season_number']} in {number}"
            bad.append(Rejected(f"{show}:{number}", reason, json.dumps(episode, default=str)))
            continue
        episode.update(show_id=int(show), season_number=number)
        good.append(episode)
    return good, bad


def parse_eztv(payload: str | None, entity_key: str) -> tuple[list[dict[str, Any]], list[Rejected]]:
    """An EZTV ``get-torrents`` page -> torrent records with ``imdb_id`` (``tt``...) and
    ``position`` (index on the page); a torrent of another show is rejected."""
    imdb_id, page = split_pair_key(entity_key)
    if not imdb_id.startswith("tt") or page is None:
        raise InvalidPayload(f"bad EZTV key: {entity_key!r} is not <imdb id>:<page>")
    torrents: list[dict[str, Any]]
    bad: list[Rejected] = []
    body: Any
    try:  # clean pages are validated in one pass; a dirty one record by record
        body = EZTV_FAST.validate_json(check_body(payload))
        torrents = list(body.get("torrents") or [])
    except ValidationError:
        body = validate_json(EZTV_PAGE, payload)
        torrents, bad = validate_items(
            EZTV_TORRENT,
            body.get("torrents") or [],
            lambda i, t: _torrent_key(t) or f"{entity_key}#{i}",
        )
    if body.get("page") not in (None, page):
        raise InvalidPayload(f"page mismatch: asked for page {page}, got page {body['page']}")
    good: list[dict[str, Any]] = []
    wanted = int(imdb_id[2:]) if imdb_id[2:].isdigit() else None
    for position, torrent in enumerate(torrents):
        got = torrent.get("imdb_id")
        if isinstance(got, str) and got.strip().isascii() and got.strip().isdigit():
            got = int(got)
        if got not in (None, "", wanted):
            reason = f"imdb mismatch: asked for {imdb_id}, got {got}"
            bad.append(Rejected(torrent["hash"], reason, json.dumps(torrent)[:20_000]))
            continue
        torrent.update(imdb_id=imdb_id, position=(page - 1) * 1_000 + position)
        good.append(torrent)
    return good, bad


def _torrent_key(torrent: Any) -> str | None:
    value = torrent.get("hash") if isinstance(torrent, dict) else None
    return str(value)[:100] if value else None
