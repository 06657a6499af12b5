"""Flask extensions, created unbound here and ``init_app``-ed by :func:`serve.app.create_app`,
plus typed accessors for the per-app objects (settings, catalog reader, app database)."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from flask import Blueprint, current_app
from flask_jwt_extended import JWTManager
from flask_limiter import Limiter

if TYPE_CHECKING:
    from core.settings import Settings
    from serve.appdb import AppDB
    from serve.catalog import CatalogReader
    from serve.response_cache import ResponseCache
    from serve.sessions import SessionStore


def _client_key() -> str:
    from serve.security import client_ip  # local: security imports this module

    return client_ip()


jwt = JWTManager()
# Retry-After is set by serve.errors on the 429 itself; no X-RateLimit-* noise elsewhere.
# Keyed by the client address (X-Forwarded-For only from trusted proxies).
limiter = Limiter(_client_key, headers_enabled=False, strategy="fixed-window")

_KEY = "miauflix"


def bind(app_extensions: dict[str, object], **objects: object) -> None:
    """Store the per-app objects (``settings``, ``catalog``, ``appdb``, ``sessions``,
    ``keyring``, ``responses``) on the app."""
    app_extensions[_KEY] = dict(objects)


def _get(name: str) -> object:
    return cast(dict[str, object], current_app.extensions[_KEY])[name]


def app_settings() -> Settings:
    return cast("Settings", _get("settings"))


def catalog_reader() -> CatalogReader:
    return cast("CatalogReader", _get("catalog"))


def response_cache() -> ResponseCache:
    return cast("ResponseCache", _get("responses"))


def app_db() -> AppDB:
    return cast("AppDB", _get("appdb"))


def session_store() -> SessionStore:
    return cast("SessionStore", _get("sessions"))


def limit_catalogue(blueprint: Blueprint) -> None:
    """Apply the shared catalogue limit to a blueprint (movies, lists, genres, status)."""
    limiter.shared_limit(
        lambda: str(current_app.config["MIAUFLIX_RATE_LIMIT_CATALOG"]), scope="catalogue"
    )(blueprint)


def limit_streaming(blueprint: Blueprint) -> None:
    """Apply the (generous) streaming limit to a blueprint, e.g. ``serve.streams.bp``."""
    limiter.shared_limit(
        lambda: str(current_app.config["MIAUFLIX_RATE_LIMIT_STREAM"]), scope="stream"
    )(blueprint)
