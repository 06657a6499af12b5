"""``/api/auth``: login, refresh (rotating), logout, sessions, password change, ``me``.

Two client styles:

* **token** (TV, scripts; the default): login answers ``access_token`` + ``refresh_token``
  in JSON; requests send ``Authorization: Bearer``; refresh posts ``{"refresh_token"}``.
* **cookie** (browsers; ``"mode": "cookie"`` at login): both tokens are set as
  ``HttpOnly; SameSite=Strict`` cookies (``Secure`` over TLS) and the JSON carries only the
  ``csrf_token`` (also in the readable ``miauflix_csrf`` cookie). Every cookie-authenticated
  write, refresh and logout must echo it in ``X-CSRF-Token``.
"""

from __future__ import annotations

import time
from typing import Literal

from flask import Blueprint, Response, jsonify, request
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, ConfigDict, Field

from serve import answers, audit
from serve.appdb import User
from serve.client import client_ip, request_is_secure
from serve.device_names import device_name
from serve.emails import audit_email
from serve.errors import ApiError, Forbidden, InvalidBody, NotFound, Unauthorized
from serve.extensions import app_db, app_settings, limiter, session_store
from serve.params import json_body
from serve.passwords import WeakPassword, check_password_policy, hash_password, verify_password
from serve.sessions import IssuedSession, RefreshRejected, RefreshReused
from serve.tokens import (
    ACCESS_COOKIE,
    CSRF_COOKIE,
    CSRF_HEADER,
    REFRESH_COOKIE,
    current_session_id,
    forget_sessions,
    issue_access_token,
    require_user,
)
from serve.users import InvalidCredentials, authenticate

bp = Blueprint("auth", __name__, url_prefix="/api/auth")


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=1024)
    mode: Literal["token", "cookie"] = "token"
    device: str | None = Field(default=None, max_length=100)


class RefreshRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    refresh_token: str = Field(min_length=16, max_length=256)


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    old_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=1, max_length=1024)


def _minutes() -> int:
    return app_settings().access_token_minutes


def _set_cookie(response: Response, name: str, value: str, path: str, http_only: bool) -> None:
    lifetime = session_store().lifetime
    response.set_cookie(
        name,
        value,
        max_age=int(lifetime.total_seconds()) if name != ACCESS_COOKIE else _minutes() * 60,
        path=path,
        secure=_cookie_secure(),
        httponly=http_only,
        samesite="Strict",
    )


def _cookie_secure() -> bool:
    mode = app_settings().cookie_secure
    return mode == "always" or (mode == "auto" and request_is_secure())


def _clear_cookies(response: Response) -> None:
    for name, path in ((ACCESS_COOKIE, "/api"), (REFRESH_COOKIE, "/api/auth"), (CSRF_COOKIE, "/")):
        response.delete_cookie(name, path=path, samesite="Strict", httponly=name != CSRF_COOKIE)


def _token_response(issued: IssuedSession, user: User, csrf: str, cookie: bool) -> Response:
    body = issue_access_token(user, _minutes(), issued.session.id, csrf)
    body["session_id"] = issued.session.id
    if cookie:
        response = jsonify(
            {
                "token_type": "Cookie",
                "expires_in": body["expires_in"],
                "session_id": issued.session.id,
                "csrf_token": csrf,
            }
        )
        _set_cookie(response, ACCESS_COOKIE, str(body["access_token"]), "/api", True)
        _set_cookie(response, REFRESH_COOKIE, issued.refresh_token, "/api/auth", True)
        _set_cookie(response, CSRF_COOKIE, csrf, "/", False)
        return response
    body["refresh_token"] = issued.refresh_token
    return jsonify(body)


@bp.post("/login")
@limiter.limit(lambda: app_settings().rate_limit_login)
def login() -> ResponseReturnValue:
    body = json_body(LoginRequest)
    db = app_db()
    try:
        user = authenticate(db, body.email, body.password)
    except ApiError as exc:
        known = db.user_by_email(body.email)
        audit.record(
            db,
            "login_failure",
            user_id=known.id if known else None,
            # Never the raw field: it may hold a password typed in the wrong box.
            email=known.email if known else audit_email(body.email),
            reason=exc.code,
        )
        raise
    device = body.device or device_name(request.headers.get("User-Agent", ""))
    issued, evicted = session_store().create(user.id, device, client_ip())
    for old in evicted:
        audit.record(db, "session_evicted", user_id=user.id, session=old[:8])
    audit.record(db, "login_success", user_id=user.id, mode=body.mode, device=device)
    return _token_response(issued, user, issued.csrf_token, body.mode == "cookie")


@bp.post("/refresh")
@limiter.limit(lambda: app_settings().rate_limit_refresh)
def refresh() -> ResponseReturnValue:
    store, db = session_store(), app_db()
    cookie_token = request.cookies.get(REFRESH_COOKIE)
    cookie = bool(cookie_token) and not request.get_data()
    csrf = ""
    if cookie:
        token = str(cookie_token)
        csrf = request.headers.get(CSRF_HEADER, "")
        session = store.session_for_refresh(token)
        if session is not None and not store.csrf_matches(session.id, csrf):
            audit.record(db, "csrf_failure", user_id=session.user_id, path=request.path)
            raise Forbidden(f"missing or wrong {CSRF_HEADER} header", code="csrf_failed")
    elif not request.get_data():  # a signed-out browser checking for a session
        raise Unauthorized("no session to refresh: sign in", code="no_session")
    else:
        token = json_body(RefreshRequest).refresh_token
    try:
        issued = store.rotate(token, client_ip())
    except RefreshReused as exc:
        forget_sessions(exc.user_id)
        audit.record(db, "refresh_reuse", user_id=exc.user_id, session=exc.session_id[:8])
        raise
    except RefreshRejected:
        raise
    user = db.user_by_id(issued.session.user_id)
    if user is None or user.disabled:
        store.revoke(issued.session.id, "user_disabled")
        raise RefreshRejected("the session's user is disabled or deleted")
    audit.record(db, "refresh", user_id=user.id, session=issued.session.id[:8])
    response = _token_response(issued, user, csrf, cookie)
    return response


def _end_sessions(user_id: int, response: Response) -> None:
    app_db().revoke_streams(user_id, time.time())
    forget_sessions(user_id)
    _clear_cookies(response)


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    user = require_user()
    session_store().revoke(current_session_id(), "logout", user.id)
    audit.record(app_db(), "logout", user_id=user.id, session=current_session_id()[:8])
    response = jsonify({"logged_out": 1})
    _end_sessions(user.id, response)
    return response


@bp.post("/logout-all")
def logout_all() -> ResponseReturnValue:
    user = require_user()
    count = session_store().revoke_all(user.id, "logout_all")
    audit.record(app_db(), "logout_all", user_id=user.id, sessions=count)
    response = jsonify({"logged_out": count})
    _end_sessions(user.id, response)
    return response


@bp.get("/sessions")
def sessions() -> ResponseReturnValue:
    user = require_user()
    current = current_session_id()
    live = session_store().list_active(user.id)
    results = [answers.SessionInfo.model_validate(session.public(current)) for session in live]
    return jsonify(answers.SessionList(results=results).model_dump())


@bp.delete("/sessions/<session_id>")
def delete_session(session_id: str) -> ResponseReturnValue:
    user = require_user()
    if not (1 <= len(session_id) <= 64 and session_id.isalnum()):
        raise NotFound(f"no session {session_id[:64]!r}", code="session_not_found")
    if not session_store().revoke(session_id, "revoked_by_user", user.id):
        raise NotFound(f"no live session {session_id!r}", code="session_not_found")
    forget_sessions(user.id)
    audit.record(app_db(), "session_revoked", user_id=user.id, session=session_id[:8])
    return jsonify({"revoked": session_id})


@bp.post("/password")
@limiter.limit(lambda: app_settings().rate_limit_password)
def change_password() -> ResponseReturnValue:
    caller = require_user()
    body = json_body(PasswordChange)
    db = app_db()
    user = db.user_by_id(caller.id) or caller  # fresh hash, not the cached one
    if not verify_password(body.old_password, user.password_hash):
        audit.record(db, "password_change_failure", user_id=user.id, reason="wrong_old_password")
        raise InvalidCredentials()
    try:
        check_password_policy(body.new_password, app_settings().password_min_length, user.email)
    except WeakPassword as exc:
        raise InvalidBody(f"new_password: {exc}", code="weak_password") from None
    db.set_password_hash(user.id, hash_password(body.new_password))
    current = current_session_id()
    store = session_store()
    others = [s.id for s in store.list_active(user.id) if s.id != current]
    for other in others:
        store.revoke(other, "password_change", user.id)
    db.revoke_streams(user.id, time.time())
    forget_sessions(user.id)
    audit.record(db, "password_change", user_id=user.id, sessions_revoked=len(others))
    return jsonify({"changed": True, "sessions_revoked": len(others)})


@bp.get("/me")
def me() -> ResponseReturnValue:
    user = require_user()
    me = answers.Me.model_validate({"id": user.id, "email": user.email, "role": user.role})
    return jsonify(me.model_dump())
