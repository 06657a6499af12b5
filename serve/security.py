"""Request-level protections: security headers, CORS (closed unless origins are
configured), body size, and auth-failure burst auditing. The client address and the TLS
check live in :mod:`serve.client`.

The per-app values (allowed origins, the web client's CSP, the burst detectors) are
derived once from the settings by :func:`install` and kept in a :class:`RequestPolicy`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Flask, Response, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from core.settings import Settings
from serve import audit
from serve.client import client_ip, request_is_secure
from serve.extensions import app_db

API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
CORS_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
CORS_HEADERS = "Authorization, Content-Type, X-CSRF-Token"
_EXTENSION = "miauflix.security"


@dataclass
class RequestPolicy:
    """What the hooks need, computed once per app from the settings."""

    cors_origins: frozenset[str]
    web_csp: str
    packaged_apps: bool = False
    bursts: audit.BurstDetector = field(default_factory=audit.BurstDetector)
    rate_audit: audit.BurstDetector = field(
        default_factory=lambda: audit.BurstDetector(threshold=1, window=60.0)
    )


def policy(app: Flask | None = None) -> RequestPolicy:
    """The request policy of ``app`` (default: the current app)."""
    found: RequestPolicy = (app or current_app).extensions[_EXTENSION]
    return found


def web_csp(engine_url: str) -> str:
    """CSP for the web client: own scripts/styles, TMDB images, media from the engine."""
    return (
        "default-src 'self'; script-src 'self'; style-src 'self';"
        f" img-src 'self' data: https://image.tmdb.org; media-src 'self' blob: {engine_url};"
        f" connect-src 'self' {engine_url}; object-src 'none'; base-uri 'none';"
        " form-action 'self'; frame-ancestors 'none'"
    )


def _security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.path.startswith("/api/"):
        headers.setdefault("Content-Security-Policy", API_CSP)
        headers.setdefault("Cache-Control", "no-store")
    else:
        headers.setdefault("Content-Security-Policy", policy().web_csp)
    if request_is_secure():
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def _cors(response: Response) -> Response:
    """Configured origins get CORS with credentials; a packaged app (``Origin: null``, when
    allowed) gets it without: a bearer token it holds works, a cookie never crosses."""
    origin = request.headers.get("Origin")
    rules = policy()
    if origin and origin in rules.cors_origins:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Credentials"] = "true"
    elif origin == "null" and rules.packaged_apps:
        response.headers["Access-Control-Allow-Origin"] = "null"
    else:
        return response
    response.headers.add("Vary", "Origin")
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = CORS_METHODS
        response.headers["Access-Control-Allow-Headers"] = CORS_HEADERS
        response.headers["Access-Control-Max-Age"] = "600"
    return response


def _answer_preflight() -> Response | None:
    """``OPTIONS`` on a known route: the preflight answer (no body, no auth, the route's
    ``Allow``); :func:`_cors` adds the CORS headers for a configured origin. Answered before
    any blueprint guard runs (flask-jwt-extended verifies nothing for ``OPTIONS``)."""
    if request.method != "OPTIONS" or request.url_rule is None:
        return None
    return current_app.make_default_options_response()


def _reject_oversized() -> None:
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    length = request.content_length
    if limit is not None and length is not None and length > int(limit):
        raise RequestEntityTooLarge()


def _audit_failures(response: Response) -> Response:
    if response.status_code in (401, 403):
        ip = client_ip()
        detector = policy().bursts
        if detector.hit(ip):
            audit.record(
                app_db(),
                "auth_failure_burst",
                path=request.path,
                status=response.status_code,
                window_seconds=detector.window,
                count=detector.threshold,
            )
    elif response.status_code == 429:
        # One event per address per minute: a flood must not flood the log too.
        once = policy().rate_audit
        if once.hit(client_ip()):
            audit.record(app_db(), "rate_limited", path=request.path, method=request.method)
    return response


def install(app: Flask, settings: Settings) -> None:
    """Derive the request policy from ``settings`` and wire the hooks on ``app``."""
    app.extensions[_EXTENSION] = RequestPolicy(
        cors_origins=frozenset(settings.cors_origins),
        web_csp=web_csp(settings.engine_url),
        packaged_apps=settings.cors_packaged_apps,
    )
    app.before_request(_answer_preflight)
    app.before_request(_reject_oversized)
    app.after_request(_audit_failures)
    app.after_request(_cors)
    app.after_request(_security_headers)
