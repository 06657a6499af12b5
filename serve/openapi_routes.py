"""Every ``/api`` route, declared once for the OpenAPI document (:mod:`serve.openapi`).

How to declare a route
----------------------
Add one :class:`Route` to :data:`ROUTES` (or, from your own module, call :func:`declare`
before the app is created), with pydantic models for everything it reads and answers::

    Route(
        "PUT", "/api/progress/movie/{tmdb_id}",       # Flask's <tmdb_id> written {tmdb_id}
        "Save the player's position",                 # summary
        tags=("progress",),
        auth=USER,                                    # PUBLIC, USER or ADMIN
        body=ProgressUpdate,                          # the model the view gives json_body()
        query=LanguageQuery,                          # a model: one field per query parameter
        path=MovieIdPath,                             # optional: schemas of path parameters
        answers={200: ProgressItem},                  # status -> response model (None: empty)
        errors={404: "movie_not_found", 429: RATE},   # status -> description (error shape)
    )

The document adds by itself: 401 for USER/ADMIN routes, 403 for ADMIN routes, 400/413/415
for routes with a body, and 500 everywhere; every error uses the one ``Error`` schema.
``tests/serve/test_openapi.py`` fails when a Flask route under ``/api`` is not declared,
or when a view parses a body with a model that is not its declared ``body``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, Field

from serve import answers
from serve.admin import MAX_PER_PAGE as ADMIN_MAX_PER_PAGE
from serve.admin import NewUser, UserPatch
from serve.admin_sync import DEFAULT_RUNS as SYNC_DEFAULT_RUNS
from serve.admin_sync import MAX_RUNS as SYNC_MAX_RUNS
from serve.audit import EVENTS, SEVERITIES
from serve.auth import LoginRequest, PasswordChange, RefreshRequest
from serve.catalogue import MAX_PAGE, MAX_PER_PAGE, MAX_QUERY, PROFILES
from serve.movies import SORTS
from serve.params import MAX_ID
from serve.progress import DEFAULT_LIMIT as PROGRESS_DEFAULT_LIMIT
from serve.progress import INCLUDES as PROGRESS_INCLUDES
from serve.progress import MAX_LIMIT as PROGRESS_MAX_LIMIT
from serve.progress import ProgressItem, ProgressList, ProgressUpdate
from serve.streams import StreamRequest

Auth = Literal["public", "user", "admin"]
PUBLIC: Auth = "public"
USER: Auth = "user"
ADMIN: Auth = "admin"
RATE = "rate_limited (Retry-After says when to retry)"
NO_CATALOG = "catalog_unavailable: no catalog published yet"
LANGUAGE_PATTERN = r"^[A-Za-z]{2}([-_][A-Za-z]{2})?$"


@dataclass(frozen=True)
class Route:
    """One operation of the API, as the OpenAPI document describes it."""

    method: str
    path: str
    summary: str
    tags: tuple[str, ...] = ()
    auth: Auth = USER
    body: type[BaseModel] | None = None
    body_required: bool = True
    query: type[BaseModel] | None = None
    path_params: type[BaseModel] | None = None
    answers: dict[int, type[BaseModel] | None] = field(default_factory=dict)
    errors: dict[int, str] = field(default_factory=dict)
    description: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return self.path, self.method.lower()


# --- parameter models (one field per query / path parameter) ---------------------------------
class LanguageQuery(BaseModel):
    language: str = Field(
        default="en",
        pattern=LANGUAGE_PATTERN,
        description="ISO 639-1 language, optionally with a region (es, pt-BR)",
    )


class MovieListQuery(LanguageQuery):
    page: int = Field(default=1, ge=1, le=MAX_PAGE, description="Page")
    per_page: int = Field(default=20, ge=1, le=MAX_PER_PAGE, description="Results per page")
    list: str | None = Field(
        default=None,
        pattern=r"^(popular|top_rated|trending|trakt-[a-z0-9-]{1,58})$",
        description="Only members of this list, in list order (unless sort): a TMDB list or "
        "a curated Trakt list (trakt-<slug>, as GET /api/lists names it)",
    )
    genre: int | None = Field(default=None, ge=1, le=MAX_ID, description="Genre id")
    q: str | None = Field(
        default=None,
        max_length=MAX_QUERY,
        description="Case-insensitive title substring (also translated titles)",
    )
    sort: Literal[SORTS] | None = Field(  # type: ignore[valid-type]
        default=None, description="Order (default popularity, or list position with list=)"
    )


class MovieQuery(LanguageQuery):
    profile: Literal[PROFILES] = Field(  # type: ignore[valid-type]
        default="web", description="Device profile the sources are ranked for"
    )


class MovieIdPath(BaseModel):
    tmdb_id: int = Field(ge=1, le=MAX_ID, description="TMDB id")


class UserIdPath(BaseModel):
    user_id: int = Field(ge=1, le=MAX_ID, description="User id")


class SessionIdPath(BaseModel):
    session_id: str = Field(max_length=64, description="Session id")


class PageQuery(BaseModel):
    page: int = Field(default=1, ge=1, le=1_000_000, description="Page")
    per_page: int = Field(default=50, ge=1, le=ADMIN_MAX_PER_PAGE, description="Page size")


class AuditQuery(PageQuery):
    event: Literal[tuple(EVENTS)] | None = Field(  # type: ignore[valid-type]
        default=None, description="Event name"
    )
    severity: Literal[SEVERITIES] | None = Field(  # type: ignore[valid-type]
        default=None, description="Severity"
    )
    user_id: int | None = Field(default=None, ge=1, le=MAX_ID, description="User concerned")
    since: str | None = Field(default=None, max_length=32, description="ISO 8601 UTC, inclusive")
    until: str | None = Field(default=None, max_length=32, description="ISO 8601 UTC, exclusive")


class SyncQuery(BaseModel):
    limit: int = Field(
        default=SYNC_DEFAULT_RUNS, ge=1, le=SYNC_MAX_RUNS, description="Runs, newest first"
    )


class ProgressQuery(LanguageQuery):
    limit: int = Field(
        default=PROGRESS_DEFAULT_LIMIT, ge=1, le=PROGRESS_MAX_LIMIT, description="Titles"
    )
    include: Literal[PROGRESS_INCLUDES] | None = Field(  # type: ignore[valid-type]
        default=None, description="watched: also titles watched to the end"
    )


_CATALOGUE_ERRORS = {429: RATE, 503: NO_CATALOG}

ROUTES: list[Route] = [
    # --- service ---
    Route("GET", "/api/health", "Liveness", ("service",), PUBLIC,
          answers={200: answers.Health}),
    Route("GET", "/api/openapi.json", "This document", ("service",), PUBLIC,
          answers={200: answers.OpenApiDocument}),
    Route("GET", "/api/status", "Catalog version, last sync and its data-quality result",
          ("service",), answers={200: answers.Status}, errors={429: RATE}),
    Route("GET", "/api/engine/status", "Engine storage per source (admin)", ("service",),
          ADMIN, answers={200: answers.EngineStatus},
          errors={429: RATE, 502: "engine_unreachable or engine_error"}),
    # --- catalogue ---
    Route("GET", "/api/movies", "Paged, filtered, sorted catalogue", ("catalogue",),
          query=MovieListQuery, answers={200: answers.MoviePage},
          errors={400: "invalid_parameter (named in the message)", **_CATALOGUE_ERRORS}),
    Route("GET", "/api/movies/{tmdb_id}", "One movie with its ranked sources", ("catalogue",),
          query=MovieQuery, path_params=MovieIdPath, answers={200: answers.MovieDetails},
          errors={400: "invalid_parameter", 404: "movie_not_found", **_CATALOGUE_ERRORS}),
    Route("GET", "/api/lists", "Curated lists and their sizes", ("catalogue",),
          answers={200: answers.Lists}, errors=_CATALOGUE_ERRORS),
    Route("GET", "/api/genres", "Genres in a language, with movie counts", ("catalogue",),
          query=LanguageQuery, answers={200: answers.Genres},
          errors={400: "invalid_parameter", **_CATALOGUE_ERRORS}),
    Route("POST", "/api/movies/{tmdb_id}/stream",
          "Issue a short-lived stream URL for the best (or a named) source", ("streams",),
          body=StreamRequest, body_required=False, path_params=MovieIdPath,
          answers={200: answers.StreamAnswer},
          errors={404: "movie or source not found (source_not_found)", 429: RATE,
                  502: "source_unavailable: the source cannot be resolved"}),
    # --- auth ---
    Route("POST", "/api/auth/login",
          "Exchange email + password for an access and a refresh token", ("auth",), PUBLIC,
          body=LoginRequest, answers={200: answers.TokenAnswer},
          errors={401: "invalid_credentials (same for unknown user and bad password)",
                  403: "account_disabled", 429: RATE}),
    Route("POST", "/api/auth/refresh",
          "Rotate a refresh token (JSON body, or the HttpOnly cookie plus X-CSRF-Token);"
          " reusing a rotated token revokes the session", ("auth",), PUBLIC,
          body=RefreshRequest, body_required=False, answers={200: answers.TokenAnswer},
          errors={401: "no_session (no cookie, no body), invalid_refresh_token or"
                       " refresh_token_reused",
                  403: "csrf_failed (cookie mode)", 429: RATE}),
    Route("POST", "/api/auth/logout", "End this session (and the user's stream keys)",
          ("auth",), answers={200: answers.LoggedOut}),
    Route("POST", "/api/auth/logout-all",
          "End every session of the user (and their stream keys)", ("auth",),
          answers={200: answers.LoggedOut}),
    Route("GET", "/api/auth/sessions", "The caller's live sessions (device, last use, IP)",
          ("auth",), answers={200: answers.SessionList}),
    Route("DELETE", "/api/auth/sessions/{session_id}", "End one of the caller's sessions",
          ("auth",), path_params=SessionIdPath, answers={200: answers.SessionRevoked},
          errors={404: "session_not_found"}),
    Route("POST", "/api/auth/password",
          "Change one's password (old password required); ends other sessions", ("auth",),
          body=PasswordChange, answers={200: answers.PasswordChanged},
          errors={401: "invalid_credentials (wrong old password) or a token error",
                  429: RATE}),
    Route("GET", "/api/auth/me", "The authenticated user", ("auth",),
          answers={200: answers.Me}),
    # --- admin ---
    Route("GET", "/api/admin/users", "List users", ("admin",), ADMIN, query=PageQuery,
          answers={200: answers.UserPage}, errors={400: "invalid_parameter", 429: RATE}),
    Route("POST", "/api/admin/users", "Create a user (no open sign-up)", ("admin",), ADMIN,
          body=NewUser, answers={201: answers.UserInfo},
          errors={400: "validation_error, weak_password or invalid_email", 409: "user_exists",
                  429: RATE}),
    Route("GET", "/api/admin/users/{user_id}", "One user", ("admin",), ADMIN,
          path_params=UserIdPath, answers={200: answers.UserInfo},
          errors={400: "invalid_parameter", 404: "user_not_found", 429: RATE}),
    Route("PATCH", "/api/admin/users/{user_id}",
          "Disable / enable a user or change their role", ("admin",), ADMIN,
          body=UserPatch, path_params=UserIdPath, answers={200: answers.UserInfo},
          errors={404: "user_not_found", 409: "last_admin", 429: RATE}),
    Route("DELETE", "/api/admin/users/{user_id}",
          "Delete a user (their sessions and stream keys end)", ("admin",), ADMIN,
          path_params=UserIdPath, answers={200: answers.UserDeleted},
          errors={400: "invalid_parameter", 404: "user_not_found", 409: "last_admin",
                  429: RATE}),
    Route("GET", "/api/admin/audit", "Audit events, newest first, with filters and paging",
          ("admin",), ADMIN, query=AuditQuery, answers={200: answers.AuditPage},
          errors={400: "invalid_parameter", 429: RATE}),
    Route("GET", "/api/admin/config",
          "Effective settings with secrets masked (the read is audited)", ("admin",), ADMIN,
          answers={200: answers.EffectiveConfig}, errors={429: RATE}),
    Route("GET", "/api/admin/sync",
          "Sync run history (durations, outcomes, data quality, catalog counts), sources by"
          " quality in the live catalog and the Prefect UI address", ("admin",), ADMIN,
          query=SyncQuery, answers={200: answers.SyncHistory},
          errors={400: "invalid_parameter", 429: RATE}),
    # --- watch progress ---
    Route("GET", "/api/progress", "The caller's titles in progress, newest first",
          ("progress",), query=ProgressQuery, answers={200: ProgressList},
          errors={400: "invalid_parameter", **_CATALOGUE_ERRORS}),
    Route("GET", "/api/progress/movie/{tmdb_id}", "One movie's stored progress",
          ("progress",), query=LanguageQuery, path_params=MovieIdPath,
          answers={200: ProgressItem},
          errors={400: "invalid_parameter", 404: "progress_not_found", **_CATALOGUE_ERRORS}),
    Route("PUT", "/api/progress/movie/{tmdb_id}", "Save the player's position in a movie",
          ("progress",), body=ProgressUpdate, query=LanguageQuery, path_params=MovieIdPath,
          answers={200: ProgressItem},
          errors={404: "movie_not_found", **_CATALOGUE_ERRORS}),
    Route("DELETE", "/api/progress/movie/{tmdb_id}", "Forget one movie's progress",
          ("progress",), path_params=MovieIdPath, answers={204: None},
          errors={400: "invalid_parameter", 404: "progress_not_found", 429: RATE}),
]  # fmt: skip


def declare(*routes: Route) -> None:
    """Add routes declared outside this module (call it at import time of your module)."""
    known = {route.key for route in ROUTES}
    for route in routes:
        if route.key in known:
            raise ValueError(f"{route.method} {route.path} is declared twice")
        ROUTES.append(route)
        known.add(route.key)
