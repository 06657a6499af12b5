"""JWT access tokens: configuration, issuing, and the JSON answers for every JWT failure.

Tokens are HS256, signed with ``derive_key(master, "jwt")``, and carry iss, aud, exp, iat,
nbf, jti, sub (the user id) and role. Only HS256 is accepted when decoding, so ``alg: none``
and algorithm-confusion tokens fail. Each request re-reads the user: a disabled or deleted
account's tokens stop working at once.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask, Response
from flask_jwt_extended import create_access_token, get_current_user, verify_jwt_in_request

from serve.appdb import User
from serve.errors import Forbidden, error_response
from serve.extensions import app_db, jwt

ISSUER = "miauflix"
AUDIENCE = "miauflix-api"
DEFAULT_ACCESS_MINUTES = 60


def configure_jwt(app: Flask, signing_key: bytes, access_minutes: int) -> None:
    """Set the flask-jwt-extended configuration; call before ``jwt.init_app``."""
    app.config.update(
        JWT_SECRET_KEY=signing_key,
        JWT_ALGORITHM="HS256",
        JWT_DECODE_ALGORITHMS=["HS256"],
        JWT_ENCODE_ISSUER=ISSUER,
        JWT_DECODE_ISSUER=ISSUER,
        JWT_ENCODE_AUDIENCE=AUDIENCE,
        JWT_DECODE_AUDIENCE=AUDIENCE,
        JWT_ENCODE_NBF=True,
        JWT_TOKEN_LOCATION=["headers"],
        JWT_HEADER_TYPE="Bearer",
        JWT_COOKIE_CSRF_PROTECT=False,
        JWT_ACCESS_TOKEN_EXPIRES=timedelta(minutes=access_minutes),
        JWT_ERROR_MESSAGE_KEY="message",
    )


def issue_access_token(user: User, access_minutes: int) -> dict[str, Any]:
    """The login response body for ``user``."""
    token = create_access_token(identity=str(user.id), additional_claims={"role": user.role})
    return {"access_token": token, "token_type": "Bearer", "expires_in": access_minutes * 60}


def require_user() -> User:
    """Verify the request's bearer token and return its (active) user."""
    verify_jwt_in_request()
    user: User = get_current_user()
    return user


def require_admin() -> User:
    user = require_user()
    if not user.is_admin:
        raise Forbidden("this endpoint needs the admin role", code="admin_required")
    return user


# --- callbacks (registered once on the shared JWTManager) ----------------------------------
@jwt.user_lookup_loader
def _load_user(_header: dict[str, Any], data: dict[str, Any]) -> User | None:
    try:
        user_id = int(str(data.get("sub", "")))
    except ValueError:
        return None
    user = app_db().user_by_id(user_id)
    if user is None or user.disabled:
        return None
    return user


@jwt.user_lookup_error_loader
def _user_gone(_header: dict[str, Any], _data: dict[str, Any]) -> Response:
    return error_response(401, "invalid_token", "the token's user is unknown or disabled")


@jwt.unauthorized_loader
def _missing(reason: str) -> Response:
    return error_response(
        401, "authorization_required", f"a Bearer access token is required ({reason})"
    )


@jwt.invalid_token_loader
def _invalid(reason: str) -> Response:
    return error_response(401, "invalid_token", f"invalid access token ({reason})")


@jwt.expired_token_loader
def _expired(_header: dict[str, Any], _data: dict[str, Any]) -> Response:
    return error_response(401, "token_expired", "the access token has expired; log in again")


@jwt.revoked_token_loader
def _revoked(_header: dict[str, Any], _data: dict[str, Any]) -> Response:
    return error_response(401, "token_revoked", "the access token has been revoked")


@jwt.needs_fresh_token_loader
def _needs_fresh(_header: dict[str, Any], _data: dict[str, Any]) -> Response:
    return error_response(401, "fresh_token_required", "log in again for this action")


@jwt.token_verification_failed_loader
def _claims_failed(_header: dict[str, Any], _data: dict[str, Any]) -> Response:
    return error_response(401, "invalid_token", "the access token's claims were rejected")
