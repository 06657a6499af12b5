"""The Flask application factory: settings, keys, app.sqlite, extensions, blueprints,
security hooks and the first admin. Every knob is a :class:`core.settings.Settings`
field (``MIAUFLIX_*``)."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from flask import Flask

from core.catalog.snapshots import CatalogReader
from core.catalog.sources import Catalog
from core.crypto import CryptoError, Keyring, derive_key, load_or_create_master_key
from core.settings import Settings, load_settings
from core.stream_keys import StreamKeySigner
from serve import (
    admin,
    admin_sync,
    auth,
    client,
    engine_status,
    episode_progress,
    genres,
    health,
    lists,
    movies,
    openapi,
    pairing,
    progress,
    security,
    show_routes,
    show_streams,
    shows,
    status,
    streams,
    trakt,
    trakt_routes,
    web,
)
from serve.appdb import AppDB
from serve.errors import register_error_handlers
from serve.extensions import bind, jwt, limit_streaming, limiter
from serve.limiter_storage import storage_uri
from serve.params import IdConverter
from serve.response_cache import ResponseCache
from serve.sessions import SessionStore
from serve.tokens import configure_jwt
from serve.users import bootstrap_admin

log = logging.getLogger(__name__)

BLUEPRINTS = (
    health.bp,
    auth.bp,
    admin.bp,
    admin_sync.bp,
    movies.bp,
    lists.bp,
    genres.bp,
    status.bp,
    streams.bp,
    shows.bp,
    show_streams.bp,
    progress.bp,
    episode_progress.bp,
    engine_status.bp,
    pairing.bp,
    trakt.bp,
    openapi.bp,
    web.bp,
)
limit_streaming(streams.bp)  # once, at import: the limiter keeps blueprint limits globally
limit_streaming(show_streams.bp)
assert show_routes  # declares the TV routes in the OpenAPI document on import
assert trakt_routes  # declares the Trakt routes likewise


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
    app.url_map.converters["int"] = IdConverter  # bounded ids: before any route is added
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.config.update(
        MAX_CONTENT_LENGTH=settings.api_max_body_bytes,
        RATELIMIT_ENABLED=settings.rate_limit_enabled,
        RATELIMIT_STORAGE_URI=storage_uri(settings.rate_limit_storage_uri),
        # Shared storage (Redis) unreachable: the same limits per worker, not a 500.
        RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=True,
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
        sources=Catalog(settings.catalog_path, keyring),
        signer=StreamKeySigner(keyring, settings.stream_key_ttl),
        engine_transport=None,
    )

    jwt.init_app(app)
    limiter.init_app(app)
    register_error_handlers(app, limiter)
    client.install(app, settings.trusted_proxies)
    security.install(app, settings)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    return app
