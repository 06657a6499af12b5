"""JWT access tokens: configuration, issuing, cookies, and the JSON answers for JWT failures.

Tokens are HS256 with a ``kid`` header naming the signing key (``derive_key(master, "jwt")``
of the current master, or of a previous one after ``miauflix keys rotate``; a token keeps
verifying under its own key until it expires). Claims: iss, aud, exp (15 minutes by
default), iat, nbf, jti, sub (user id), role, sid (session id) and csrf (the session's
CSRF secret, checked against ``X-CSRF-Token`` when the token came from a cookie). Only
HS256 is accepted, so ``alg: none`` and algorithm-confusion tokens fail.

Signature and claim verification of one exact ``Authorization`` header value happens once
per process: later requests carrying the identical header reuse the verified header and
claims (keyed by its SHA-256, bounded LRU) after re-checking ``exp``/``nbf``/``iat`` against
the clock. Signing keys never change inside a process, so the answer is the same.

Each request checks that the user is active, the role unchanged and the session not revoked
(one indexed join on ``app.sqlite``), also on the verified-header path.
``SESSION_CACHE_SECONDS`` > 0 would cache that check per process (revocations in this
process clear it; other workers would lag by at most that long); it is 0, so revocation
is immediate everywhere.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, request
from flask_jwt_extended import (
    create_access_token,
    get_current_user,
    get_jwt,
    get_jwt_header,
    get_jwt_request_location,
    verify_jwt_in_request,
)

from serve.appdb import User
from serve.errors import Forbidden, error_response
from serve.extensions import app_db, jwt, limit_catalogue, session_store

ISSUER = "miauflix"
AUDIENCE = "miauflix-api"
DEFAULT_ACCESS_MINUTES = 15
ACCESS_COOKIE = "miauflix_access"
REFRESH_COOKIE = "miauflix_refresh"
CSRF_COOKIE = "miauflix_csrf"
CSRF_HEADER = "X-CSRF-Token"
SESSION_CACHE_SECONDS = 0.0  # 0: check the session on every request
VERIFIED_HEADERS = 10_000  # verified Authorization headers remembered per process
# flask-jwt-extended verifies nothing for these methods (its ``exempt_methods``; pinned by
# tests/serve/test_dependency_internals.py).
EXEMPT_METHODS = frozenset({"OPTIONS"})
_EXTENSION = "miauflix.tokens"


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


class _VerifiedHeaders:
    """SHA-256 of an ``Authorization`` header whose access token this process verified ->
    (JWT header, claims). Bounded LRU; time claims are re-checked on every use."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[bytes, tuple[dict[str, Any], dict[str, Any]]] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def _key(raw: str) -> bytes:
        return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).digest()

    def get(self, raw: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
        key = self._key(raw)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, raw: str, header: dict[str, Any], claims: dict[str, Any]) -> None:
        if self.size <= 0:
            return
        key = self._key(raw)
        with self._lock:
            self._entries[key] = (dict(header), dict(claims))
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def drop(self, raw: str) -> None:
        with self._lock:
            self._entries.pop(self._key(raw), None)

    def __len__(self) -> int:
        return len(self._entries)


def _timely(claims: dict[str, Any], now: float, leeway: float) -> bool:
    """PyJWT's exp/nbf/iat rules: exp > now - leeway, nbf and iat <= now + leeway."""
    try:
        exp, nbf, iat = int(claims["exp"]), int(claims["nbf"]), int(claims["iat"])
    except (KeyError, TypeError, ValueError, OverflowError):
        return False
    return exp > now - leeway and nbf <= now + leeway and iat <= now + leeway


@dataclass(frozen=True)
class TokenState:
    """The per-app signing keys and caches, built once by :func:`configure_jwt`."""

    keys: dict[str, bytes]  # kid -> key; every key verifies
    kid: str  # the key that signs
    active: _ActiveCache
    verified: _VerifiedHeaders


def token_state(app: Flask | None = None) -> TokenState:
    """The token state of ``app`` (default: the current app)."""
    state: TokenState = (app or current_app).extensions[_EXTENSION]
    return state


def configure_jwt(app: Flask, signing_keys: Sequence[bytes] | bytes, access_minutes: int) -> None:
    """Set the flask-jwt-extended configuration; ``signing_keys[0]`` signs, all verify."""
    keys = [signing_keys] if isinstance(signing_keys, bytes) else list(signing_keys)
    app.extensions[_EXTENSION] = TokenState(
        keys={key_id(key): key for key in keys},
        kid=key_id(keys[0]),
        active=_ActiveCache(SESSION_CACHE_SECONDS),
        verified=_VerifiedHeaders(VERIFIED_HEADERS),
    )
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
        additional_headers={"kid": token_state().kid},
        expires_delta=timedelta(minutes=access_minutes),
    )
    return {"access_token": token, "token_type": "Bearer", "expires_in": access_minutes * 60}


def forget_sessions(user_id: int) -> None:
    """Drop this process's cached session checks for ``user_id`` (after a revocation)."""
    token_state().active.forget_user(user_id)


def require_user() -> User:
    """Verify the request's access token (header or cookie+CSRF) and return its user."""
    cached: User | None = g.get("_miauflix_user")
    if cached is not None:
        return cached
    user = _user_from_verified_header()
    if user is None:
        verify_jwt_in_request()
        user = get_current_user()
        _remember_verified_header()
    g._miauflix_user = user
    return user


def _user_from_verified_header() -> User | None:
    """The user of a Bearer header this process already verified (still timely, session
    and user still live), with flask-jwt-extended's request context filled in as
    ``verify_jwt_in_request`` would; ``None`` sends the request down the full path."""
    raw = request.headers.get("Authorization")
    if not raw or request.method in EXEMPT_METHODS:
        return None
    verified = token_state().verified
    entry = verified.get(raw)
    if entry is None:
        return None
    header, claims = entry
    if not _timely(claims, time.time(), float(current_app.config["JWT_DECODE_LEEWAY"])):
        verified.drop(raw)
        return None
    user = _load_user(header, claims)  # the per-request session/user/role check
    if user is None:
        return None  # the full path answers with the right error
    _publish_verified_token(header, claims, user)
    return user


# flask-jwt-extended has no public way to hand it an already-verified token, and its
# readers (get_jwt, get_jwt_header, get_jwt_identity, get_current_user,
# get_jwt_request_location) look at these four ``g`` attributes, exactly as its own
# ``verify_jwt_in_request`` sets them. This is the one place that writes them; the names
# and shapes are pinned by tests/serve/test_dependency_internals.py and the version by
# ``flask-jwt-extended<4.8`` in pyproject.toml.
JWT_CONTEXT_ATTRIBUTES = (
    "_jwt_extended_jwt_user",
    "_jwt_extended_jwt_header",
    "_jwt_extended_jwt",
    "_jwt_extended_jwt_location",
)


def _publish_verified_token(header: dict[str, Any], claims: dict[str, Any], user: User) -> None:
    """Fill flask-jwt-extended's request context as ``verify_jwt_in_request`` would."""
    values = ({"loaded_user": user}, dict(header), dict(claims), "headers")
    for name, value in zip(JWT_CONTEXT_ATTRIBUTES, values, strict=True):
        setattr(g, name, value)


def _remember_verified_header() -> None:
    """After a full verification from the Authorization header, remember that header."""
    if get_jwt_request_location() != "headers":
        return
    claims = get_jwt()
    raw = request.headers.get("Authorization")
    if raw and claims.get("type") == "access":
        token_state().verified.put(raw, get_jwt_header(), claims)


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
    keys = token_state().keys
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
    cache = token_state().active
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

    def authenticate() -> None:
        require_user()

    blueprint.before_request(authenticate)
    limit_catalogue(blueprint)
