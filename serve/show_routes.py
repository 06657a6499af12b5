"""The TV routes' OpenAPI declarations (see :func:`serve.openapi_routes.declare`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from serve import show_answers
from serve.catalogue import LISTS, MAX_PAGE, MAX_PER_PAGE, MAX_QUERY, PROFILES
from serve.openapi_routes import NO_CATALOG as _NO_CATALOG
from serve.openapi_routes import RATE, LanguageQuery, MovieIdPath, Route, declare
from serve.params import MAX_ID
from serve.progress import ProgressItem, ProgressUpdate, ShowProgress
from serve.show_streams import MAX_EPISODE
from serve.shows import MAX_SEASON, SHOW_SORTS
from serve.streams import StreamRequest


class ShowListQuery(LanguageQuery):
    page: int = Field(default=1, ge=1, le=MAX_PAGE, description="Page")
    per_page: int = Field(default=20, ge=1, le=MAX_PER_PAGE, description="Results per page")
    list: Literal[LISTS] | None = Field(  # type: ignore[valid-type]
        default=None, description="Only members of this TV list, in list order (unless sort)"
    )
    genre: int | None = Field(default=None, ge=1, le=MAX_ID, description="TV genre id")
    q: str | None = Field(
        default=None,
        max_length=MAX_QUERY,
        description="Case-insensitive name substring (also translated names)",
    )
    sort: Literal[SHOW_SORTS] | None = Field(  # type: ignore[valid-type]
        default=None, description="Order (default popularity, or list position with list=)"
    )


class SeasonQuery(BaseModel):
    profile: Literal[PROFILES] = Field(  # type: ignore[valid-type]
        default="web", description="Device profile the sources are ranked for"
    )


class SeasonPath(MovieIdPath):
    season: int = Field(ge=0, le=MAX_SEASON, description="Season number (0: specials)")


class EpisodePath(SeasonPath):
    episode: int = Field(ge=1, le=MAX_EPISODE, description="Episode number")


_ERRORS = {429: RATE, 503: _NO_CATALOG}

declare(
    Route("GET", "/api/shows", "Paged, filtered TV catalogue", ("catalogue",),
          query=ShowListQuery, answers={200: show_answers.ShowPage},
          errors={400: "invalid_parameter (named in the message)", **_ERRORS}),
    Route("GET", "/api/shows/{tmdb_id}", "One show with its seasons", ("catalogue",),
          query=LanguageQuery, path_params=MovieIdPath,
          answers={200: show_answers.ShowDetails},
          errors={400: "invalid_parameter", 404: "show_not_found", **_ERRORS}),
    Route("GET", "/api/shows/{tmdb_id}/seasons/{season}",
          "One season with its episodes and their ranked sources", ("catalogue",),
          query=SeasonQuery, path_params=SeasonPath, answers={200: show_answers.SeasonDetails},
          errors={400: "invalid_parameter",
                  404: "show_not_found or season_not_found", **_ERRORS}),
    Route("GET", "/api/tv-genres", "TV genres in a language, with show counts",
          ("catalogue",), query=LanguageQuery, answers={200: show_answers.TvGenres},
          errors={400: "invalid_parameter", **_ERRORS}),
    Route("POST", "/api/shows/{tmdb_id}/seasons/{season}/episodes/{episode}/stream",
          "Issue a short-lived stream URL for an episode (a season pack plays its file)",
          ("streams",), body=StreamRequest, body_required=False, path_params=EpisodePath,
          answers={200: show_answers.EpisodeStreamAnswer},
          errors={400: "invalid_parameter",
                  404: "episode or source not found (source_not_found)", 429: RATE,
                  502: "source_unavailable: the source cannot be resolved"}),
    # --- watch progress of episodes ---
    Route("GET", "/api/progress/episode/{tmdb_id}/{season}/{episode}",
          "One episode's stored progress", ("progress",), query=LanguageQuery,
          path_params=EpisodePath, answers={200: ProgressItem},
          errors={400: "invalid_parameter", 404: "progress_not_found", **_ERRORS}),
    Route("PUT", "/api/progress/episode/{tmdb_id}/{season}/{episode}",
          "Save the player's position in an episode", ("progress",), body=ProgressUpdate,
          query=LanguageQuery, path_params=EpisodePath, answers={200: ProgressItem},
          errors={404: "episode_not_found", **_ERRORS}),
    Route("DELETE", "/api/progress/episode/{tmdb_id}/{season}/{episode}",
          "Forget one episode's progress (unmark it watched)", ("progress",),
          path_params=EpisodePath, answers={204: None},
          errors={400: "invalid_parameter", 404: "progress_not_found", 429: RATE}),
    Route("GET", "/api/progress/show/{tmdb_id}",
          "Every episode record of a show and its up-next episode", ("progress",),
          query=LanguageQuery, path_params=MovieIdPath, answers={200: ShowProgress},
          errors={400: "invalid_parameter", 404: "show_not_found", **_ERRORS}),
)  # fmt: skip
