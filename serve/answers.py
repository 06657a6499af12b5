"""The JSON answers of the API as pydantic models: what ``/api/openapi.json`` documents
for every 2xx response (see :mod:`serve.openapi_routes`).

The catalogue hot paths (``GET /api/movies``, ``GET /api/movies/<id>``) build plain dicts of
exactly these shapes (model validation would cost per request); the small answers
(``me``, users, sessions) are built through the models.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Role = Literal["user", "admin"]
Profile = Literal["web", "tv"]


class Answer(BaseModel):
    """Base of every answer model (documented fields only)."""

    model_config = ConfigDict(extra="forbid")


# --- health, openapi -----------------------------------------------------------------------
class Health(Answer):
    status: Literal["ok"]


class OpenApiDocument(BaseModel):
    """An OpenAPI 3.1 document."""

    model_config = ConfigDict(extra="allow")

    openapi: str


# --- catalogue -----------------------------------------------------------------------------
class GenreRef(Answer):
    id: int
    name: str | None = Field(description="Name in the requested language (English fallback)")


class MovieSummary(Answer):
    tmdb_id: int
    title: str | None
    year: int | None
    release_date: str | None
    poster_url: str | None
    vote_average: float | None
    vote_count: int | None
    genres: list[GenreRef]
    has_sources: bool
    best_quality: str | None


class MoviePage(Answer):
    results: list[MovieSummary]
    page: int = Field(ge=1)
    per_page: int = Field(ge=1, le=100)
    total_results: int
    total_pages: int


class Source(Answer):
    """A ranked torrent; never carries an info hash, magnet or torrent URL."""

    source_id: str
    quality: str
    resolution: int | None
    codec: str | None
    source_type: str | None
    bit_depth: int | None
    audio_channels: float | None
    size_bytes: int | None
    seeds: int | None
    peers: int | None
    uploaded_at: str | None
    is_repack: bool
    is_3d: bool
    bitrate_mbps: float | None
    score: float | None
    rank: int | None = Field(
        description="1 = the source played by default; NULL when the device cannot play it or "
        "it is unavailable"
    )
    playable: bool = Field(description="The device's profile can decode it")
    available: bool = Field(
        description="False when the latest counts show no seeders and the engine saw no peer "
        "for it in 7 days: it is not offered for playback"
    )
    unavailable_reason: str | None = Field(description="Why it is unavailable: 'no seeders'")
    reliability_note: str | None = Field(
        description="What the engine saw this week, e.g. 'stalled twice this week'"
    )
    components: dict[str, float | None] = Field(description="Score components, by name")


class GalleryImage(Answer):
    kind: str
    url: str
    width: int | None
    height: int | None
    language: str | None


class MovieImages(Answer):
    poster: dict[str, str] | None = Field(description="URL per TMDB size, or null")
    backdrop: dict[str, str] | None = Field(description="URL per TMDB size, or null")
    gallery: list[GalleryImage]


class Translation(Answer):
    language: str
    region: str | None
    title: str | None
    overview: str | None
    tagline: str | None


class ListMembership(Answer):
    name: str
    position: int


class MovieDetails(Answer):
    tmdb_id: int
    imdb_id: str | None
    title: str | None
    original_title: str | None
    original_language: str | None
    overview: str | None
    tagline: str | None
    release_date: str | None
    year: int | None
    runtime_min: int | None
    popularity: float | None
    vote_average: float | None
    vote_count: int | None
    status: str | None
    language: str = Field(description="The language answered, e.g. en or pt-BR")
    genres: list[GenreRef]
    images: MovieImages
    translations: list[Translation]
    lists: list[ListMembership]
    profile: Profile
    sources: list[Source]


class ListCount(Answer):
    name: str
    count: int
    personal: bool = Field(
        default=False, description="The user's own list (the Trakt watchlist: /api/trakt/watchlist)"
    )


class Lists(Answer):
    results: list[ListCount]


class Genre(Answer):
    id: int
    name: str
    movie_count: int


class Genres(Answer):
    language: str
    results: list[Genre]


class CatalogVersion(Answer):
    run_id: str
    published_at: str
    schema_version: int
    counts: dict[str, int]


class LastSync(Answer):
    run_id: Any = None
    status: Any = None
    scope: Any = None
    started_at: Any = None
    finished_at: Any = None
    seconds: Any = None
    dq: dict[str, Any] | None = Field(default=None, description="Data-quality result")
    error: Any = None


class VpnState(Answer):
    required: bool
    ok: bool
    interface: str | None
    reason: str
    default_routes: list[str]


class EngineInfo(Answer):
    url: str
    vpn: VpnState


class Status(Answer):
    catalog: CatalogVersion | None
    last_sync: LastSync | None
    engine: EngineInfo


# --- streams, engine -------------------------------------------------------------------------
class StreamSource(Answer):
    """The chosen source (no secret)."""

    source_id: str
    tmdb_id: int
    quality: str
    resolution: int
    is_3d: bool
    source_type: str | None
    video_codec: str | None
    size_bytes: int
    seeds: int
    peers: int
    bitrate_mbps: float | None
    score_web: float | None
    score_tv: float | None
    rank_web: int | None
    rank_tv: int | None
    available: bool
    unavailable_reason: str | None
    reliability_note: str | None


class StreamAnswer(Answer):
    stream_url: str = Field(description="The engine URL carrying a signed, short-lived key")
    expires_at: str = Field(description="ISO-8601 UTC")
    source: StreamSource


class EngineStatus(BaseModel):
    """The engine's own status answer, passed through (per-source storage, VPN state)."""

    model_config = ConfigDict(extra="allow")


# --- auth ----------------------------------------------------------------------------------
class TokenAnswer(Answer):
    """mode=token: access_token + refresh_token. mode=cookie: the tokens are HttpOnly
    cookies and csrf_token must be echoed in X-CSRF-Token on writes."""

    access_token: str | None = None
    refresh_token: str | None = None
    csrf_token: str | None = None
    session_id: str
    token_type: Literal["Bearer", "Cookie"]
    expires_in: int = Field(description="Seconds the access token lives")


class Me(Answer):
    id: int
    email: str
    role: Role


class SessionInfo(Answer):
    id: str
    device: str
    ip: str
    created_at: str
    last_used_at: str
    expires_at: str
    current: bool


class SessionList(Answer):
    results: list[SessionInfo]


class LoggedOut(Answer):
    logged_out: int = Field(description="Sessions ended")


class SessionRevoked(Answer):
    revoked: str


class PasswordChanged(Answer):
    changed: bool
    sessions_revoked: int


# --- admin -----------------------------------------------------------------------------------
class UserInfo(Answer):
    id: int
    email: str
    role: Role
    disabled: bool
    created_at: str


class UserPage(Answer):
    results: list[UserInfo]
    page: int
    per_page: int
    total_results: int


class UserDeleted(Answer):
    deleted: int


class AuditEvent(Answer):
    id: int
    at: str
    event: str
    severity: Literal["info", "warning", "critical"]
    user_id: int | None
    actor_id: int | None
    ip: str
    user_agent: str
    details: dict[str, Any]


class AuditPage(Answer):
    results: list[AuditEvent]
    page: int
    per_page: int
    total_results: int


class EffectiveConfig(Answer):
    settings: dict[str, Any] = Field(description="Every setting, secrets masked")


class SyncSuite(Answer):
    name: str
    success: bool
    evaluated: int | None = Field(description="Expectations evaluated")
    passed: int | None = Field(description="Expectations that held")


class SyncDQ(Answer):
    success: bool | None = Field(description="Every suite passed (null: unknown)")
    suites: list[SyncSuite]


class SyncCatalog(Answer):
    published: bool = Field(description="This run published the catalog")
    run_id: str | None = Field(description="Run that published the serving catalog")
    published_at: str | None = Field(description="ISO-8601 UTC")
    counts: dict[str, int] = Field(description="Rows per catalog table after the run")


class SyncRun(Answer):
    """One pipeline run of the history (no URL, key or data value)."""

    run_id: str
    scope: str | None
    status: str = Field(description="succeeded, failed or blocked (by data-quality checks)")
    started_at: str | None = Field(description="ISO-8601 UTC")
    finished_at: str | None = Field(description="ISO-8601 UTC")
    seconds: float | None = Field(description="Wall-clock duration of the run")
    phases: dict[str, float] = Field(description="Seconds per phase: ingest, transform, ...")
    dq: SyncDQ | None = Field(description="Data-quality result (null: checks did not run)")
    catalog: SyncCatalog | None = Field(description="The serving catalog after the run")
    error: str | None = Field(description="Truncated error text of a failed or blocked run")


class LiveCatalog(Answer):
    run_id: str
    published_at: str
    counts: dict[str, int]


class SyncHistory(Answer):
    runs: list[SyncRun] = Field(description="Newest first")
    sources_by_quality: dict[str, int] = Field(
        description="Sources in the published catalog per quality label, highest first"
    )
    catalog: LiveCatalog | None = Field(description="The live catalog (null before a publish)")
    prefect_ui_url: str | None = Field(description="Where the Prefect UI is (null: no link)")


# --- errors ----------------------------------------------------------------------------------
class ErrorBody(Answer):
    code: str = Field(pattern=r"^[a-z0-9_]+$", description="Machine-readable, snake_case")
    message: str = Field(description="Human-readable; names the input or resource involved")


class Error(Answer):
    """The one error shape of every 4xx and 5xx answer."""

    error: ErrorBody
