"""Flask extensions, created unbound here and ``init_app``-ed by :func:`serve.app.create_app`,
plus typed accessors for the per-app objects (settings, catalog reader, app database)."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from flask import Blueprint, current_app, request
from flask_jwt_extended import JWTManager
from flask_limiter import Limiter

from serve.client import client_ip

if TYPE_CHECKING:
    import httpx

    from core.catalog.snapshots import CatalogReader
    from core.catalog.sources import Catalog
    from core.crypto import Keyring
    from core.settings import Settings
    from core.stream_keys import StreamKeySigner
    from serve.appdb import AppDB
    from serve.response_cache import ResponseCache
    from serve.sessions import SessionStore


jwt = JWTManager()
# Retry-After is set by serve.errors on the 429 itself; no X-RateLimit-* noise elsewhere.
# Keyed by the client address (X-Forwarded-For only from trusted proxies).
limiter = Limiter(client_ip, headers_enabled=False, strategy="fixed-window")


@limiter.request_filter
def _is_preflight() -> bool:
    """CORS preflights carry no credentials and touch no data: they spend no limit (a
    browser would otherwise pay two login attempts per sign-in)."""
    return request.method == "OPTIONS"


_KEY = "miauflix"


def bind(app_extensions: dict[str, object], **objects: object) -> None:
    """Store the per-app objects (``settings``, ``catalog``, ``appdb``, ``sessions``,
    ``keyring``, ``responses``, ``sources``, ``signer``, ``engine_transport``) on the app."""
    app_extensions[_KEY] = dict(objects)


def _get(name: str) -> object:
    return cast(dict[str, object], current_app.extensions[_KEY])[name]


def app_settings() -> Settings:
    return cast("Settings", _get("settings"))


def catalog_reader() -> CatalogReader:
    return cast("CatalogReader", _get("catalog"))


def keyring() -> Keyring:
    """The master key and the kept ones, loaded once per app."""
    return cast("Keyring", _get("keyring"))


def source_catalog() -> Catalog:
    """Ranked sources and their secrets (opened with the app's keyring)."""
    return cast("Catalog", _get("sources"))


def stream_signer() -> StreamKeySigner:
    """Issues stream keys under the current master (follows key rotation)."""
    return cast("StreamKeySigner", _get("signer"))


def engine_transport() -> httpx.BaseTransport | None:
    """The httpx transport for calls to the engine (``None``: httpx's own; tests bind an
    ``httpx.MockTransport``)."""
    return cast("httpx.BaseTransport | None", _get("engine_transport"))


def response_cache() -> ResponseCache:
    return cast("ResponseCache", _get("responses"))


def app_db() -> AppDB:
    return cast("AppDB", _get("appdb"))


def session_store() -> SessionStore:
    return cast("SessionStore", _get("sessions"))


def limit_catalogue(blueprint: Blueprint) -> None:
    """Apply the shared catalogue limit to a blueprint (movies, lists, genres, status)."""
    limiter.shared_limit(lambda: app_settings().rate_limit_catalog, scope="catalogue")(blueprint)


def limit_streaming(blueprint: Blueprint) -> None:
    """Apply the (generous) streaming limit to a blueprint, e.g. ``serve.streams.bp``."""
    limiter.shared_limit(lambda: app_settings().rate_limit_stream, scope="stream")(blueprint)
