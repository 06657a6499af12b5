"""The Flask application factory: settings, keys, app.sqlite, extensions, blueprints,
security hooks and the first admin. Every knob is a :class:`core.settings.Settings`
field (``MIAUFLIX_*``)."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from flask import Flask

from core.crypto import CryptoError, Keyring, derive_key, load_or_create_master_key
from core.settings import Settings, load_settings
from serve import (
    admin,
    auth,
    engine_status,
    genres,
    health,
    lists,
    movies,
    openapi,
    security,
    status,
    streams,
)
from serve.appdb import AppDB
from serve.catalog import CatalogReader
from serve.errors import register_error_handlers
from serve.extensions import bind, jwt, limit_streaming, limiter
from serve.limiter_storage import storage_uri
from serve.response_cache import ResponseCache
from serve.sessions import SessionStore
from serve.tokens import configure_jwt
from serve.users import bootstrap_admin

log = logging.getLogger(__name__)

BLUEPRINTS = (
    health.bp,
    auth.bp,
    admin.bp,
    movies.bp,
    lists.bp,
    genres.bp,
    status.bp,
    streams.bp,
    engine_status.bp,
    openapi.bp,
)
limit_streaming(streams.bp)  # once, at import: the limiter keeps blueprint limits globally


def master_key(settings: Settings) -> bytes:
    """The master secret; tolerates another worker creating the key file at the same time."""
    configured = settings.secret_key.get_secret_value()
    for attempt in range(50):
        try:
            return load_or_create_master_key(settings.key_path, configured)
        except (FileExistsError, CryptoError):
            # Another process is between O_EXCL-create and write of the key file.
            if attempt == 49:
                raise
            time.sleep(0.02)
    raise AssertionError("unreachable")


def create_app(settings: Settings | None = None) -> Flask:
    """Build the API app: extensions, blueprints, error shape, first admin."""
    settings = settings or load_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    app = Flask("serve")
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.config.update(
        MAX_CONTENT_LENGTH=settings.api_max_body_bytes,
        RATELIMIT_ENABLED=settings.rate_limit_enabled,
        RATELIMIT_STORAGE_URI=storage_uri(settings.rate_limit_storage_uri),
        MIAUFLIX_RATE_LIMIT_LOGIN=settings.rate_limit_login,
        MIAUFLIX_RATE_LIMIT_REFRESH=settings.rate_limit_refresh,
        MIAUFLIX_RATE_LIMIT_PASSWORD=settings.rate_limit_password,
        MIAUFLIX_RATE_LIMIT_CATALOG=settings.rate_limit_catalog,
        MIAUFLIX_RATE_LIMIT_ADMIN=settings.rate_limit_admin,
        MIAUFLIX_RATE_LIMIT_STREAM=settings.rate_limit_stream,
        MIAUFLIX_ACCESS_TOKEN_MINUTES=settings.access_token_minutes,
        MIAUFLIX_PASSWORD_MIN_LENGTH=settings.password_min_length,
        MIAUFLIX_COOKIE_SECURE=settings.cookie_secure,
        MIAUFLIX_SETTINGS=settings,  # read by serve/streams.py and serve/engine_status.py
    )
    master_key(settings)  # creates the key file once, tolerating concurrent starters
    keyring = Keyring.load(settings.key_path, settings.secret_key.get_secret_value())
    configure_jwt(
        app,
        [derive_key(master, "jwt") for master in keyring.masters],
        settings.access_token_minutes,
    )

    appdb = AppDB(settings.app_db_path)
    appdb.migrate()
    generated = bootstrap_admin(
        appdb, settings.admin_email, settings.admin_password.get_secret_value()
    )
    if generated is not None:
        # Shown once, on stdout only: never logged.
        print(
            f"Miauflix: created admin {settings.admin_email} with password: {generated}",
            flush=True,
        )
    bind(
        app.extensions,
        settings=settings,
        catalog=CatalogReader(settings.catalog_path),
        appdb=appdb,
        sessions=SessionStore(
            appdb, timedelta(days=settings.refresh_token_days), settings.sessions_per_user
        ),
        keyring=keyring,
        responses=ResponseCache(),
    )

    jwt.init_app(app)
    limiter.init_app(app)
    register_error_handlers(app)
    security.install(app, settings)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    return app
