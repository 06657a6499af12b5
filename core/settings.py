"""Settings: every knob is a ``MIAUFLIX_*`` environment variable (documented in README.md).

The defaults are the embedded, offline sandbox: upstream URLs point at the fake upstream
server on loopback, no API keys are needed.
"""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from core.errors import MiauflixError

MIB = 1024 * 1024
SANDBOX_HOST = "127.0.0.1"
SANDBOX_PORT = 8765


def _strip_api_suffix(url: str, suffix: str) -> str:
    """``https://host/3`` -> ``https://host`` (for ``suffix='/3'``); other URLs unchanged.

    A URL carrying the suffix twice is refused, naming the URL: it cannot be right."""
    base = url.rstrip("/")
    if base.endswith(suffix):
        base = base[: -len(suffix)]
        if base.rstrip("/").endswith(suffix):
            raise ValueError(f"{url!r} repeats {suffix!r}: give the API base once")
    return base


def _split_csv(value: object) -> object:
    """Accept ``a,b,c`` strings (from the environment) as lists; strip blanks."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    """All Miauflix settings. Field ``foo_bar`` is read from ``MIAUFLIX_FOO_BAR``."""

    model_config = SettingsConfigDict(env_prefix="MIAUFLIX_", extra="ignore", frozen=True)

    # --- storage -------------------------------------------------------------------------
    data_dir: Path = Field(
        default=Path("./data"),
        description="Directory for warehouse.duckdb, catalog.sqlite, app.sqlite and keys.",
    )

    # --- upstreams -----------------------------------------------------------------------
    tmdb_url: str = Field(
        default=f"http://{SANDBOX_HOST}:{SANDBOX_PORT}/tmdb",
        description="TMDB API base, with or without TMDB's documented `/3`. Real service: "
        "https://api.themoviedb.org/3",
    )
    tmdb_api_key: SecretStr = Field(
        default=SecretStr(""),
        description="TMDB v3 API key or v4 read token (empty for the sandbox).",
    )
    tmdb_rate_limit: float = Field(
        default=40.0, gt=0, le=10_000, description="Client-side TMDB ceiling, requests/s."
    )
    tmdb_languages: Annotated[list[str], NoDecode] = Field(
        default=["en"], description="Languages for genres and movie details (comma-separated)."
    )
    tmdb_list_pages: int = Field(
        default=5, ge=1, le=500, description="Pages fetched per TMDB list (20 movies a page)."
    )
    yts_urls: Annotated[list[str], NoDecode] = Field(
        default=[f"http://{SANDBOX_HOST}:{SANDBOX_PORT}/yts"],
        description="YTS mirrors (comma-separated), tried in order; each with or without "
        "`/api/v2`.",
    )
    yts_rate_limit: float = Field(
        default=10.0, gt=0, le=10_000, description="Client-side YTS ceiling, requests/s."
    )
    eztv_urls: Annotated[list[str], NoDecode] = Field(
        default=[f"http://{SANDBOX_HOST}:{SANDBOX_PORT}/eztv"],
        description="EZTV API mirrors for episode torrents (comma-separated), tried in order.",
    )
    eztv_rate_limit: float = Field(
        default=5.0, gt=0, le=10_000, description="Client-side EZTV ceiling, requests/s."
    )
    trakt_url: str = Field(
        default=f"http://{SANDBOX_HOST}:{SANDBOX_PORT}/trakt", description="Trakt API base."
    )
    trakt_client_id: SecretStr = Field(default=SecretStr(""), description="Trakt client id.")
    trakt_client_secret: SecretStr = Field(
        default=SecretStr(""), description="Trakt client secret."
    )
    http_timeout: float = Field(
        default=10.0, gt=0, le=300, description="Upstream request timeout, seconds."
    )
    http_retries: int = Field(
        default=4, ge=0, le=20, description="Retries per upstream request (5xx, 429, timeouts)."
    )
    http_concurrency: int = Field(
        default=16, ge=1, le=512, description="Concurrent upstream requests inside one task."
    )
    freshness_hours: float = Field(
        default=12.0, ge=0, description="A landed response younger than this is not refetched."
    )
    yts_freshness_hours: float = Field(
        default=0.2,
        ge=0,
        description="Freshness window for YTS answers (seeders change fast; the sources "
        "deployment runs every 15 minutes).",
    )
    list_freshness_hours: float = Field(
        default=0.75,
        ge=0,
        description="Freshness window for TMDB list pages (shorter than the hourly lists "
        "deployment, so each run refreshes the lists).",
    )
    details_freshness_hours: float = Field(
        default=168.0,
        ge=0,
        description="Freshness window for TMDB details: the changes feeds name what to "
        "refetch sooner; this is the safety net.",
    )

    # --- security ------------------------------------------------------------------------
    secret_key: SecretStr = Field(
        default=SecretStr(""),
        description="Master secret (JWT signing, field encryption). Generated into the data "
        "dir (0600) when empty.",
    )
    admin_email: str = Field(default="admin@miauflix.local", description="First admin's email.")
    admin_password: SecretStr = Field(
        default=SecretStr(""),
        description="First admin's password; generated and printed once when empty.",
    )

    access_token_minutes: int = Field(
        default=15, ge=1, le=1440, description="Lifetime of a JWT access token, minutes."
    )
    refresh_token_days: float = Field(
        default=30.0, gt=0, le=365, description="Lifetime of a login session (refresh token), days."
    )
    sessions_per_user: int = Field(
        default=10, ge=1, le=1000, description="Live sessions per user; the oldest is evicted."
    )
    password_min_length: int = Field(
        default=10, ge=8, le=128, description="Shortest password accepted for new passwords."
    )
    cookie_secure: Literal["auto", "always", "never"] = Field(
        default="auto",
        description="`Secure` flag on auth cookies: auto (when the request came over TLS, "
        "directly or via a trusted proxy), always, never.",
    )
    audit_retention_days: int = Field(
        default=90, ge=1, le=3650, description="Audit events older than this are deleted."
    )

    # --- API ----------------------------------------------------------------------------
    host: str = Field(default="127.0.0.1", description="API listen host.")
    port: int = Field(default=8000, ge=1, le=65535, description="API listen port.")
    public_url: str = Field(
        default="",
        description="Origin (scheme://host:port) under which TVs and phones on the LAN reach "
        "the API, shown with its pairing code; empty: found from the request or the network.",
    )
    api_workers: int = Field(
        default=0, ge=0, le=64, description="Gunicorn worker processes (0: cores + 1, 2 to 4)."
    )
    api_threads: int = Field(default=8, ge=1, le=256, description="Threads per gunicorn worker.")
    api_access_log: bool = Field(
        default=True, description="Write one access-log line per request to stdout (gunicorn)."
    )
    api_max_body_bytes: int = Field(
        default=65536, ge=1024, le=64 * 1024 * 1024, description="Largest request body, bytes."
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default=[],
        description="Reverse proxies (IPs or CIDRs, comma-separated) whose X-Forwarded-For "
        "and X-Forwarded-Proto are believed.",
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default=[], description="Origins allowed by CORS (comma-separated); empty: closed."
    )
    cors_packaged_apps: bool = Field(
        default=True,
        description="Answer CORS for packaged apps, which send Origin: null (the Samsung TV "
        "app): allowed without credentials, so only bearer tokens work and no cookie crosses.",
    )
    rate_limit_enabled: bool = Field(default=True, description="Switch API rate limits off.")
    rate_limit_storage_uri: str = Field(
        default="memory://",
        description="flask-limiter storage: memory:// (per worker) or redis://host:6379 "
        "(shared by all workers).",
    )
    rate_limit_login: str = Field(
        default="10/minute", description="Login attempts per client address."
    )
    rate_limit_refresh: str = Field(
        default="30/minute", description="Token refreshes per client address."
    )
    rate_limit_password: str = Field(
        default="5/minute", description="Password changes per client address."
    )
    rate_limit_catalog: str = Field(
        default="600/minute", description="Catalogue requests per client address (shared)."
    )
    rate_limit_admin: str = Field(
        default="120/minute", description="Admin requests per client address (shared)."
    )
    rate_limit_stream: str = Field(
        default="1200/minute", description="Stream URL requests per client address."
    )
    rate_limit_progress: str = Field(
        default="300/minute",
        description="Watch-progress requests per client address (a player saves every few "
        "seconds).",
    )

    # --- engine -------------------------------------------------------------------------
    engine_url: str = Field(
        default="http://127.0.0.1:8001",
        description="Base URL under which clients reach the engine (stream URLs use it).",
    )
    engine_port: int = Field(default=8001, ge=1, le=65535, description="Engine HTTP port.")
    engine_host: str = Field(
        default="127.0.0.1",
        min_length=1,
        description="Engine HTTP listen host: 127.0.0.1 (this machine only) or 0.0.0.0 "
        "(a TV on the LAN streams from it; set MIAUFLIX_ENGINE_URL to the LAN address).",
    )
    engine_bt_port: int = Field(
        default=6881, ge=1, le=65535, description="Engine BitTorrent listen port."
    )
    engine_trackers: Annotated[list[str], NoDecode] = Field(
        default=[], description="Extra announce URLs (comma-separated)."
    )
    engine_peers: Annotated[list[str], NoDecode] = Field(
        default=[], description="Static peers host:port (comma-separated)."
    )
    scrape_trackers: Annotated[list[str], NoDecode] = Field(
        default=[],
        description="Trackers the scrape deployment asks for swarm counts (announce URLs, "
        "comma-separated; http(s) and udp). Empty: MIAUFLIX_ENGINE_TRACKERS plus the public "
        "trackers of the magnet links.",
    )
    engine_download_dir: Path | None = Field(
        default=None, description="Where torrent data lives (default: <data_dir>/engine)."
    )
    engine_disk_quota_mb: int = Field(
        default=20_000,
        ge=0,
        description="Disk quota for torrent data, MiB (0 = unlimited); "
        "least recently used idle torrents are evicted beyond it; when nothing can be "
        "evicted a new source gets 503 disk_quota_exceeded.",
    )
    engine_max_active_torrents: int = Field(
        default=8,
        ge=1,
        le=1000,
        description="Torrents kept in the session at once (openings count); the least "
        "recently used idle one is retired for a new source, none idle: 503 engine_full.",
    )
    engine_max_streams_per_user: int = Field(
        default=3,
        ge=1,
        le=100,
        description="Distinct sources one user may stream at once (beyond: 429 "
        "stream_limit_reached); two players of one user on one source are one stream.",
    )
    engine_max_streams: int = Field(
        default=16,
        ge=1,
        le=10_000,
        description="Concurrent streams, all users together: distinct (user, source) pairs "
        "streaming, opening, or ended less than 5 s ago (a seek's reconnect keeps its slot); "
        "beyond: 503 engine_busy.",
    )
    engine_max_connections: int = Field(
        default=1000,
        ge=1,
        le=100_000,
        description="Open HTTP connections to the engine; beyond: 503 too_many_connections.",
    )
    engine_header_timeout: float = Field(
        default=10.0,
        gt=0,
        le=600,
        description="Seconds a connection has to send complete request headers (slowloris).",
    )
    engine_connections_limit: int = Field(
        default=200, ge=2, le=10_000, description="Peer connections, whole session."
    )
    engine_connections_per_torrent: int = Field(
        default=60, ge=2, le=10_000, description="Peer connections per torrent."
    )
    engine_upload_rate_limit: int = Field(
        default=0, ge=0, description="Upload limit, whole session, bytes/s (0 = unlimited)."
    )
    engine_download_rate_limit: int = Field(
        default=0, ge=0, description="Download limit, whole session, bytes/s (0 = unlimited)."
    )
    engine_upload_rate_per_torrent: int = Field(
        default=0,
        ge=0,
        description="Upload limit per torrent, bytes/s (0 = only the session-wide limit): "
        "caps seeding while streaming.",
    )
    engine_idle_pause_seconds: float = Field(
        default=300.0, ge=1, description="A torrent nobody read for this long is paused."
    )
    engine_idle_remove_seconds: float = Field(
        default=3600.0,
        ge=1,
        description="A torrent idle this long leaves the session "
        "(its data and resume data stay on disk until evicted).",
    )
    engine_dht: bool = Field(default=False, description="Use the DHT (off in the sandbox).")
    engine_lsd: bool = Field(default=False, description="Use local service discovery.")
    engine_utp: bool = Field(default=True, description="Allow uTP besides TCP.")
    engine_metadata_timeout: float = Field(
        default=30.0, gt=0, le=600, description="Seconds to wait for magnet metadata."
    )
    engine_fetch_timeout: float = Field(
        default=10.0, gt=0, le=120, description="Seconds to fetch a .torrent file."
    )
    engine_stall_timeout: float = Field(
        default=60.0,
        gt=0,
        le=3600,
        description="A reader waiting this long for one piece "
        "gives up (the connection closes; the player retries).",
    )
    engine_readahead_seconds: float = Field(
        default=5.0,
        gt=0,
        le=300,
        description="Seconds of playback kept under deadlines ahead of each reader.",
    )
    engine_tick_ms: int = Field(
        default=50,
        ge=10,
        le=1000,
        description="libtorrent's tick (rate-limit quotas, uTP timers), ms. Its time-critical "
        "re-requests run once a second whatever this is.",
    )
    engine_request_queue: int = Field(
        default=16,
        ge=4,
        le=2000,
        description="Upper bound on block requests (16 KiB) this engine keeps outstanding "
        "per peer. A peer's own handshake limit (reqq) takes precedence when it is set, so "
        "seeks are kept prompt by the piece strategy, not by this queue.",
    )
    require_vpn: bool = Field(
        default=False,
        description="Refuse to start torrents unless traffic leaves through a VPN interface.",
    )
    vpn_interface: str = Field(
        default="", description="Name of the VPN interface (default: any tun*/wg*/ppp*/tap*)."
    )
    stream_key_ttl: int = Field(
        default=4 * 3600,
        ge=10,
        le=7 * 86400,
        description="Lifetime of a stream URL, "
        "seconds (it must outlast a film: players reconnect on every seek).",
    )

    # --- orchestration ------------------------------------------------------------------
    dq_max_quarantine_share: float = Field(
        default=0.25,
        ge=0,
        le=1,
        description="Block the publish when more than this share of an upstream's records "
        "is quarantined (the upstream probably changed shape).",
    )
    warehouse_lock_wait: float = Field(
        default=60.0,
        ge=0,
        le=3600,
        description="Seconds a sync waits (retrying with backoff) for the warehouse write lock "
        "held by another process, such as an analyst's open DuckDB connection.",
    )
    prefect_ui_port: int = Field(
        default=4200, ge=1, le=65535, description="Port of the Prefect server `demo` starts."
    )
    prefect_ui_url: str = Field(
        default="",
        max_length=2048,
        description="Prefect UI address the admin sync page links to. Empty: "
        "`http://<host the admin reached the API on>:<prefect_ui_port>` (the `demo` layout); "
        "`off`: no link. No credentials in it.",
    )
    sandbox_movies: int = Field(
        default=200, ge=10, le=100_000, description="Size of the fake upstream catalogue."
    )
    sandbox_seed: int = Field(default=42, description="Seed of the fake upstream catalogue.")

    # --- logging ------------------------------------------------------------------------
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = Field(
        default="INFO", description="Log level of the API, the engine and the flows."
    )
    log_format: Literal["text", "json"] = Field(
        default="text", description="Log lines as text or as one JSON object per line."
    )

    @field_validator(
        "tmdb_languages",
        "yts_urls",
        "eztv_urls",
        "engine_trackers",
        "engine_peers",
        "scrape_trackers",
        "trusted_proxies",
        "cors_origins",
        mode="before",
    )
    @classmethod
    def _csv(cls, value: object) -> object:
        return _split_csv(value)

    @field_validator("yts_urls", "eztv_urls")
    @classmethod
    def _mirrors_present(cls, value: list[str], info: ValidationInfo) -> list[str]:
        service = str(info.field_name).split("_")[0].upper()
        if not value:
            raise ValueError(f"at least one {service} mirror URL is required")
        for url in value:
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"{service} mirror {url!r} is not an http(s) URL")
        return [url.rstrip("/") for url in value]

    @field_validator("prefect_ui_url")
    @classmethod
    def _prefect_ui_url(cls, value: str) -> str:
        value = value.strip()
        if value in ("", "off"):
            return value
        if not value.startswith(("http://", "https://")) or any(c.isspace() for c in value):
            raise ValueError(f"{value!r} is not an http(s) URL (or empty, or off)")
        if "@" in value.split("/")[2]:
            raise ValueError("the Prefect UI URL must not carry credentials")
        return value.rstrip("/")

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str) -> str:
        from urllib.parse import urlsplit

        value = value.strip().rstrip("/")
        if not value:
            return value
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018 - raises on a bad port
        except ValueError as exc:
            raise ValueError(f"{value!r} is not an http(s) origin: {exc}") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{value!r} is not an http(s) origin like http://192.168.1.20:8000")
        if parts.username or parts.password or parts.path or parts.query or parts.fragment:
            raise ValueError(f"{value!r} must be an origin only (no credentials, path or query)")
        return value

    @field_validator("log_level", "log_format", mode="before")
    @classmethod
    def _case_insensitive(cls, value: object, info: ValidationInfo) -> object:
        if isinstance(value, str):
            value = value.strip()
            return value.upper() if info.field_name == "log_level" else value.lower()
        return value

    @field_validator(
        "rate_limit_login",
        "rate_limit_refresh",
        "rate_limit_password",
        "rate_limit_catalog",
        "rate_limit_admin",
        "rate_limit_stream",
        "rate_limit_progress",
    )
    @classmethod
    def _rate_limit(cls, value: str) -> str:
        from limits import parse_many

        try:
            parse_many(value)
        except ValueError as exc:
            raise ValueError(f"{value!r} is not a rate limit like '10/minute'") from exc
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        import ipaddress

        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError as exc:
                raise ValueError(f"trusted proxy {entry!r} is not an IP or CIDR") from exc
        return value

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        for origin in value:
            if not origin.startswith(("http://", "https://")) or origin.count("/") != 2:
                raise ValueError(f"CORS origin {origin!r} must look like https://host[:port]")
        return value

    @field_validator("tmdb_url", "trakt_url", "engine_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value.rstrip("/")

    @field_validator("tmdb_url")
    @classmethod
    def _tmdb_base(cls, value: str) -> str:
        """TMDB documents its base as ``.../3``; the clients add ``/3/...`` themselves."""
        return _strip_api_suffix(value, "/3")

    @field_validator("yts_urls")
    @classmethod
    def _yts_base(cls, value: list[str]) -> list[str]:
        """YTS documents ``.../api/v2``; the clients add ``/api/v2/...`` themselves."""
        return [_strip_api_suffix(url, "/api/v2") for url in value]

    @field_validator("eztv_urls")
    @classmethod
    def _eztv_base(cls, value: list[str]) -> list[str]:
        """EZTV documents ``.../api/get-torrents``; the client adds ``/api/...`` itself."""
        return [_strip_api_suffix(url, "/api") for url in value]

    # --- derived paths -------------------------------------------------------------------
    @cached_property
    def warehouse_path(self) -> Path:
        return self.data_dir / "warehouse.duckdb"

    @cached_property
    def catalog_path(self) -> Path:
        return self.data_dir / "catalog.sqlite"

    @cached_property
    def app_db_path(self) -> Path:
        return self.data_dir / "app.sqlite"

    @cached_property
    def key_path(self) -> Path:
        return self.data_dir / "secret.key"

    @cached_property
    def engine_download_path(self) -> Path:
        """Where torrent data lives: ``engine_download_dir`` or ``<data_dir>/engine``."""
        return self.engine_download_dir or self.data_dir / "engine"

    @property
    def disk_quota_bytes(self) -> int:
        return self.engine_disk_quota_mb * MIB


ENV_FILE_VARIABLE = "MIAUFLIX_ENV_FILE"


class EnvFileError(MiauflixError):
    """The ``.env`` file is missing (when named) or unreadable."""


def env_file() -> Path | None:
    """The ``.env`` file to read: ``MIAUFLIX_ENV_FILE`` (must exist), else ``./.env`` if any."""
    named = os.environ.get(ENV_FILE_VARIABLE, "").strip()
    if named:
        path = Path(named)
        if not path.is_file():
            raise EnvFileError(f"{ENV_FILE_VARIABLE}={named!r}: no such file")
        return path
    default = Path(".env")
    return default if default.is_file() else None


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment, then the ``.env`` file (:func:`env_file`): the
    real environment wins over the file; keyword overrides win over both (CLI flags)."""
    clean = {k: v for k, v in overrides.items() if v is not None}
    path = env_file()
    try:
        return Settings(_env_file=path, **clean)  # type: ignore[arg-type,call-arg]
    except UnicodeDecodeError as exc:
        raise EnvFileError(f"{path} is not UTF-8 text: {exc.reason} at byte {exc.start}") from None
