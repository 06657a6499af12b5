"""The JSON answers of the TV endpoints (``/api/shows``, ``/api/tv-genres``, episode
streams), as pydantic models documented in ``/api/openapi.json``.

As for movies, the catalogue hot paths build plain dicts of exactly these shapes.
"""

from __future__ import annotations

from pydantic import Field

from serve.answers import (
    Answer,
    GenreRef,
    ListMembership,
    MovieImages,
    Profile,
    Source,
    StreamSource,
)


class ShowSummary(Answer):
    tmdb_id: int
    name: str | None
    year: int | None
    first_air_date: str | None
    poster_url: str | None
    vote_average: float | None
    vote_count: int | None
    number_of_seasons: int | None
    genres: list[GenreRef]
    has_sources: bool


class ShowPage(Answer):
    results: list[ShowSummary]
    page: int = Field(ge=1)
    per_page: int = Field(ge=1, le=100)
    total_results: int
    total_pages: int


class ShowTranslation(Answer):
    language: str
    region: str | None
    name: str | None
    overview: str | None
    tagline: str | None


class SeasonSummary(Answer):
    season_number: int = Field(description="0 holds the specials")
    name: str | None
    overview: str | None
    air_date: str | None
    episode_count: int
    poster_url: str | None


class ShowDetails(Answer):
    tmdb_id: int
    imdb_id: str | None
    tvdb_id: int | None
    name: str | None
    original_name: str | None
    original_language: str | None
    overview: str | None
    tagline: str | None
    first_air_date: str | None
    last_air_date: str | None
    year: int | None
    status: str | None
    in_production: bool | None
    popularity: float | None
    vote_average: float | None
    vote_count: int | None
    number_of_seasons: int | None
    number_of_episodes: int | None
    episode_runtime_min: int | None
    language: str = Field(description="The language answered, e.g. en or pt-BR")
    genres: list[GenreRef]
    images: MovieImages
    translations: list[ShowTranslation]
    lists: list[ListMembership]
    seasons: list[SeasonSummary] = Field(description="Numbered seasons first, specials last")


class EpisodeSourceAnswer(Source):
    """A ranked torrent for one episode: a single episode, a multi-episode release
    (S01E01E02) or a season pack."""

    is_pack: bool = Field(description="A season pack: the engine plays this episode's file")
    release_name: str
    episodes: list[int] | None = Field(
        description="The episode numbers the release holds, first to last: [5] for one "
        "episode, [1, 2] for S01E01E02 (a later episode of it may start inside the file); "
        "null for a season pack"
    )


class Episode(Answer):
    episode_number: int
    name: str | None
    overview: str | None
    air_date: str | None
    runtime_min: int | None
    still: str | None = Field(description="Still image URL (w300) or null")
    vote_average: float | None
    sources: list[EpisodeSourceAnswer] = Field(description="Best first for the profile")


class SeasonDetails(Answer):
    tmdb_id: int
    show_name: str | None
    season_number: int
    name: str | None
    overview: str | None
    air_date: str | None
    episode_count: int
    poster_url: str | None
    profile: Profile
    episodes: list[Episode]


class TvGenre(Answer):
    id: int
    name: str
    show_count: int


class TvGenres(Answer):
    language: str
    results: list[TvGenre]


class EpisodeStreamSource(StreamSource):
    """The chosen source of an episode (no secret); ``tmdb_id`` is the show's."""

    season_number: int
    episode_number: int
    is_pack: bool


class EpisodeStreamAnswer(Answer):
    stream_url: str = Field(description="The engine URL carrying a signed, short-lived key")
    expires_at: str = Field(description="ISO-8601 UTC")
    source: EpisodeStreamSource
