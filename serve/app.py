"""The Flask application factory.

Knobs not (yet) in :class:`miauflix.settings.Settings` are read with ``getattr(settings,
name, default)`` so that adding them to Settings later needs no change here:

==========================  ===============  =============================================
setting                     default          meaning
==========================  ===============  =============================================
``rate_limit_login``        ``10/minute``    login attempts per client IP
``rate_limit_catalog``      ``300/minute``   catalogue requests per client IP (shared)
``rate_limit_enabled``      ``True``         switch rate limiting off (benchmarks)
``rate_limit_storage_uri``  ``memory://``    flask-limiter storage (per process in memory)
``access_token_minutes``    ``60``           JWT lifetime
``api_max_body_bytes``      ``65536``        largest accepted request body
``trusted_proxies``         ``0``            reverse proxies in front (X-Forwarded-* hops)
==========================  ===============  =============================================
"""

from __future__ import annotations

import logging
import time

from flask import Flask, Response, request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix

from miauflix.crypto import CryptoError, derive_key, load_or_create_master_key
from miauflix.settings import Settings, load_settings
from serve import auth, genres, health, lists, movies, openapi, status
from serve.appdb import AppDB
from serve.catalog import CatalogReader
from serve.errors import register_error_handlers
from serve.extensions import bind, jwt, limiter
from serve.tokens import DEFAULT_ACCESS_MINUTES, configure_jwt
from serve.users import bootstrap_admin

log = logging.getLogger(__name__)

BLUEPRINTS = (
    health.bp,
    auth.bp,
    movies.bp,
    lists.bp,
    genres.bp,
    status.bp,
    openapi.bp,
)

API_CSP = "default-src 'none'; frame-ancestors 'none'"


def _setting(settings: Settings, name: str, default: object) -> object:
    return getattr(settings, name, default)


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


def _security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("X-Frame-Options", "DENY")
    if request.path.startswith("/api/"):
        headers.setdefault("Content-Security-Policy", API_CSP)
        headers.setdefault("Cache-Control", "no-store")
    else:
        headers.setdefault("Content-Security-Policy", "frame-ancestors 'none'")
    return response


def _reject_oversized() -> None:
    from flask import current_app

    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    length = request.content_length
    if limit is not None and length is not None and length > int(limit):
        raise RequestEntityTooLarge()


def create_app(settings: Settings | None = None) -> Flask:
    """Build the API app: extensions, blueprints, error shape, first admin."""
    settings = settings or load_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    app = Flask("serve")
    app.json.sort_keys = False  # type: ignore[attr-defined]
    access_minutes = int(str(_setting(settings, "access_token_minutes", DEFAULT_ACCESS_MINUTES)))
    app.config.update(
        MAX_CONTENT_LENGTH=int(str(_setting(settings, "api_max_body_bytes", 64 * 1024))),
        RATELIMIT_ENABLED=bool(_setting(settings, "rate_limit_enabled", True)),
        RATELIMIT_STORAGE_URI=str(_setting(settings, "rate_limit_storage_uri", "memory://")),
        MIAUFLIX_RATE_LIMIT_LOGIN=str(_setting(settings, "rate_limit_login", "10/minute")),
        MIAUFLIX_RATE_LIMIT_CATALOG=str(_setting(settings, "rate_limit_catalog", "300/minute")),
        MIAUFLIX_ACCESS_TOKEN_MINUTES=access_minutes,
        MIAUFLIX_SETTINGS=settings,  # read by serve/streams.py and serve/engine_status.py
    )
    configure_jwt(app, derive_key(master_key(settings), "jwt"), access_minutes)

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
    )

    jwt.init_app(app)
    limiter.init_app(app)
    register_error_handlers(app)
    app.before_request(_reject_oversized)
    app.after_request(_security_headers)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)

    proxies = int(str(_setting(settings, "trusted_proxies", 0)))
    if proxies > 0:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )
    return app
