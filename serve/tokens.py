"""JWT access tokens: configuration, issuing, cookies, and the JSON answers for JWT failures.

Tokens are HS256 with a ``kid`` header naming the signing key (``derive_key(master, "jwt")``
of the current master, or of a previous one after ``miauflix keys rotate``; a token keeps
verifying under its own key until it expires). Claims: iss, aud, exp (15 minutes by
default), iat, nbf, jti, sub (user id), role, sid (session id) and csrf (the session's
CSRF secret, checked against ``X-CSRF-Token`` when the token came from a cookie). Only
HS256 is accepted, so ``alg: none`` and algorithm-confusion tokens fail.

Each request checks that the user is active, the role unchanged and the session not revoked
(one indexed join on ``app.sqlite``). ``SESSION_CACHE_SECONDS`` > 0 would cache that check
per process (revocations in this process clear it; other workers would lag by at most that
long); it is 0, so revocation is immediate everywhere.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g
from flask_jwt_extended import create_access_token, get_jwt, verify_jwt_in_request

from serve.appdb import User
from serve.errors import Forbidden, error_response
from serve.extensions import app_db, jwt, session_store

ISSUER = "miauflix"
AUDIENCE = "miauflix-api"
DEFAULT_ACCESS_MINUTES = 15
ACCESS_COOKIE = "miauflix_access"
REFRESH_COOKIE = "miauflix_refresh"
CSRF_COOKIE = "miauflix_csrf"
CSRF_HEADER = "X-CSRF-Token"
SESSION_CACHE_SECONDS = 0.0  # 0: check the session on every request


def key_id(signing_key: bytes) -> str:
    return hashlib.sha256(signing_key).hexdigest()[:12]


class _ActiveCache:
    """(user id, session id) -> (user, checked at); bounded, per process."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._entries: dict[tuple[int, str], tuple[User, float]] = {}
        self._lock = threading.Lock()

    def get(self, user_id: int, session_id: str) -> User | None:
        if self.ttl <= 0:
            return None
        entry = self._entries.get((user_id, session_id))
        if entry is None or time.monotonic() - entry[1] > self.ttl:
            return None
        return entry[0]

    def put(self, user: User, session_id: str) -> None:
        with self._lock:
            if len(self._entries) > 50_000:
                self._entries.clear()
            self._entries[(user.id, session_id)] = (user, time.monotonic())

    def forget_user(self, user_id: int) -> None:
        with self._lock:
            for key in [key for key in self._entries if key[0] == user_id]:
                del self._entries[key]


def configure_jwt(app: Flask, signing_keys: Sequence[bytes] | bytes, access_minutes: int) -> None:
    """Set the flask-jwt-extended configuration; ``signing_keys[0]`` signs, all verify."""
    keys = [signing_keys] if isinstance(signing_keys, bytes) else list(signing_keys)
    app.config.update(
        JWT_SECRET_KEY=keys[0],
        JWT_ALGORITHM="HS256",
        JWT_DECODE_ALGORITHMS=["HS256"],
        JWT_ENCODE_ISSUER=ISSUER,
        JWT_DECODE_ISSUER=ISSUER,
        JWT_ENCODE_AUDIENCE=AUDIENCE,
        JWT_DECODE_AUDIENCE=AUDIENCE,
        JWT_ENCODE_NBF=True,
        JWT_TOKEN_LOCATION=["headers", "cookies"],
        JWT_HEADER_TYPE="Bearer",
        JWT_ACCESS_COOKIE_NAME=ACCESS_COOKIE,
        JWT_ACCESS_COOKIE_PATH="/api",
        JWT_COOKIE_CSRF_PROTECT=True,
        JWT_CSRF_IN_COOKIES=False,  # the session's CSRF cookie is set by serve.auth
        JWT_ACCESS_CSRF_HEADER_NAME=CSRF_HEADER,
        JWT_CSRF_CHECK_FORM=False,
        JWT_ACCESS_TOKEN_EXPIRES=timedelta(minutes=access_minutes),
        JWT_ERROR_MESSAGE_KEY="message",
        MIAUFLIX_JWT_KEYS={key_id(key): key for key in keys},
        MIAUFLIX_JWT_KID=key_id(keys[0]),
        MIAUFLIX_ACTIVE_CACHE=_ActiveCache(SESSION_CACHE_SECONDS),
    )


def issue_access_token(
    user: User, access_minutes: int, session_id: str | None = None, csrf: str = ""
) -> dict[str, Any]:
    """The token body for ``user`` in ``session_id`` (a new session when ``None``)."""
    if session_id is None:
        issued, _evicted = session_store().create(user.id, "internal", "")
        session_id, csrf = issued.session.id, issued.csrf_token
    token = create_access_token(
        identity=str(user.id),
        additional_claims={"role": user.role, "sid": session_id, "csrf": csrf},
        additional_headers={"kid": current_app.config["MIAUFLIX_JWT_KID"]},
        expires_delta=timedelta(minutes=access_minutes),
    )
    return {"access_token": token, "token_type": "Bearer", "expires_in": access_minutes * 60}


def forget_sessions(user_id: int) -> None:
    """Drop this process's cached session checks for ``user_id`` (after a revocation)."""
    cache: _ActiveCache = current_app.config["MIAUFLIX_ACTIVE_CACHE"]
    cache.forget_user(user_id)


def require_user() -> User:
    """Verify the request's access token (header or cookie+CSRF) and return its user."""
    cached: User | None = g.get("_miauflix_user")
    if cached is not None:
        return cached
    verify_jwt_in_request()
    from flask_jwt_extended import get_current_user

    user: User = get_current_user()
    g._miauflix_user = user
    return user


def current_session_id() -> str:
    return str(get_jwt().get("sid", ""))


def require_admin() -> User:
    user = require_user()
    if not user.is_admin:
        raise Forbidden("this endpoint needs the admin role", code="admin_required")
    return user


# --- callbacks (registered once on the shared JWTManager) ----------------------------------
@jwt.decode_key_loader
def _decode_key(header: dict[str, Any], _payload: dict[str, Any]) -> bytes:
    keys: dict[str, bytes] = current_app.config["MIAUFLIX_JWT_KEYS"]
    kid = header.get("kid")
    if isinstance(kid, str) and kid in keys:
        return keys[kid]
    # Unknown or missing kid: verify against the current key (and fail if it is foreign).
    return bytes(current_app.config["JWT_SECRET_KEY"])


@jwt.user_lookup_loader
def _load_user(_header: dict[str, Any], data: dict[str, Any]) -> User | None:
    try:
        user_id = int(str(data.get("sub", "")))
    except ValueError:
        return None
    session_id = data.get("sid")
    if not isinstance(session_id, str) or not session_id:
        return None
    cache: _ActiveCache = current_app.config["MIAUFLIX_ACTIVE_CACHE"]
    user = cache.get(user_id, session_id)
    if user is not None:
        return user
    row = (
        app_db()
        .connection()
        .execute(
            "SELECT u.*, s.revoked_at AS s_revoked, s.expires_at AS s_expires"
            " FROM users u JOIN sessions s ON s.user_id = u.id WHERE u.id = ? AND s.id = ?",
            (user_id, session_id),
        )
        .fetchone()
    )
    if row is None or row["s_revoked"] is not None or row["disabled"]:
        return None
    user = app_db()._user(row)
    if user is None or user.role != data.get("role"):
        return None  # a role change invalidates tokens carrying the old role
    cache.put(user, session_id)
    return user


@jwt.user_lookup_error_loader
def _user_gone(_header: dict[str, Any], _data: dict[str, Any]) -> Response:
    return error_response(
        401, "invalid_token", "the token's session was revoked or its user is disabled"
    )


@jwt.unauthorized_loader
def _missing(reason: str) -> Response:
    if "CSRF" in reason:
        code = "csrf_token_missing" if "Missing" in reason else "csrf_failed"
        return error_response(
            403, code, f"cookie-authenticated writes need the {CSRF_HEADER} header ({reason})"
        )
    return error_response(
        401, "authorization_required", f"a Bearer access token is required ({reason})"
    )


@jwt.invalid_token_loader
def _invalid(reason: str) -> Response:
    if "CSRF" in reason:
        return error_response(403, "csrf_failed", f"CSRF check failed ({reason})")
    return error_response(401, "invalid_token", f"invalid access token ({reason})")


@jwt.expired_token_loader
def _expired(_header: dict[str, Any], _data: dict[str, Any]) -> Response:
    return error_response(401, "token_expired", "the access token has expired; refresh it")


@jwt.revoked_token_loader
def _revoked(_header: dict[str, Any], _data: dict[str, Any]) -> Response:
    return error_response(401, "token_revoked", "the access token has been revoked")


@jwt.needs_fresh_token_loader
def _needs_fresh(_header: dict[str, Any], _data: dict[str, Any]) -> Response:
    return error_response(401, "fresh_token_required", "log in again for this action")


@jwt.token_verification_failed_loader
def _claims_failed(_header: dict[str, Any], _data: dict[str, Any]) -> Response:
    return error_response(401, "invalid_token", "the access token's claims were rejected")


def protect_catalogue(blueprint: Blueprint) -> None:
    """Catalogue blueprints: every request needs a signed-in user and counts against the
    shared catalogue rate limit."""
    from serve.extensions import limit_catalogue

    def authenticate() -> None:
        require_user()

    blueprint.before_request(authenticate)
    limit_catalogue(blueprint)
