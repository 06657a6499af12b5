"""``/api/admin``: user management, the audit log and the effective configuration (admins).

No open sign-up: admins create, list, disable, re-enable, change the role of and delete
users. Disabling or deleting a user, or changing their role, ends their sessions and stream
keys. The last active admin cannot be disabled, demoted or deleted.
"""

from __future__ import annotations

import re
import time
from typing import Any, Literal

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from serve import answers, audit
from serve.appdb import LastAdmin, User, UserExists
from serve.emails import EmailRefused, checked_email, look_alike_of
from serve.errors import ApiError, InvalidBody, InvalidParameter, NotFound
from serve.extensions import app_db, app_settings, limiter, session_store
from serve.params import choice_arg, int_arg, json_body, parse_int, text_arg
from serve.passwords import WeakPassword, check_password_policy, hash_password
from serve.tokens import forget_sessions, require_admin

bp = Blueprint("admin", __name__, url_prefix="/api/admin")

# An address with one @, no whitespace or control characters (surrounding blanks allowed).
EMAIL_PATTERN = r"^\s*[^@\s\x00-\x1f]{1,64}@[^@\s\x00-\x1f]{1,255}\s*$"
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?Z?)?$")
_URI_CREDENTIALS = re.compile(r"://[^@/\s]*@")
MAX_PER_PAGE = 200


@bp.before_request
def _guard() -> None:
    require_admin()


limiter.shared_limit(lambda: app_settings().rate_limit_admin, scope="admin")(bp)


class NewUser(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    email: str = Field(min_length=3, max_length=320, pattern=EMAIL_PATTERN)
    password: str = Field(min_length=1, max_length=1024)
    role: Literal["user", "admin"] = "user"


class UserPatch(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    disabled: bool | None = None
    role: Literal["user", "admin"] | None = None


class Conflict(ApiError):
    status = 409
    code = "conflict"


def _public(user: User) -> dict[str, Any]:
    public = {
        "id": user.id,
        "email": user.email,
        "role": user.role,
        "disabled": user.disabled,
        "created_at": user.created_at,
    }
    return answers.UserInfo.model_validate(public).model_dump()


def _user(raw: str) -> User:
    user_id = parse_int("user_id", raw, 1, 2**31)
    user = app_db().user_by_id(user_id)
    if user is None:
        raise NotFound(f"no user with id {user_id}", code="user_not_found")
    return user


def _end_everything(user_id: int, reason: str) -> None:
    session_store().revoke_all(user_id, reason)
    app_db().revoke_streams(user_id, time.time())
    forget_sessions(user_id)


def _change(user: User, **change: Any) -> None:
    """Apply an admin change atomically; the last active admin stays (409 otherwise)."""
    try:
        app_db().change_user(user.id, **change)
    except LastAdmin as exc:
        raise Conflict(str(exc), code="last_admin") from None


@bp.get("/users")
def list_users() -> ResponseReturnValue:
    page = int_arg("page", 1, 1, 1_000_000) or 1
    per_page = int_arg("per_page", 50, 1, MAX_PER_PAGE) or 50
    db = app_db()
    users = db.list_users(per_page, (page - 1) * per_page)
    return jsonify(
        {
            "results": [_public(user) for user in users],
            "page": page,
            "per_page": per_page,
            "total_results": db.count_users(),
        }
    )


@bp.post("/users")
def create_user() -> ResponseReturnValue:
    admin = require_admin()
    body = json_body(NewUser)
    try:
        check_password_policy(body.password, app_settings().password_min_length, body.email)
    except WeakPassword as exc:
        raise InvalidBody(f"password: {exc}", code="weak_password") from None
    try:
        email = checked_email(body.email)
    except EmailRefused as exc:
        raise InvalidBody(f"email: {exc}", code="invalid_email") from None
    db = app_db()
    twin = look_alike_of(email, db.all_emails())
    if twin is not None:
        raise InvalidBody(
            f"email: {email!r} looks like the existing account {twin!r}", code="invalid_email"
        )
    try:
        user = db.create_user(email, hash_password(body.password), body.role)
    except UserExists:
        raise Conflict(f"user {email!r} exists", code="user_exists") from None
    audit.record(db, "user_created", user_id=user.id, actor_id=admin.id, role=user.role)
    response = jsonify(_public(user))
    response.status_code = 201
    return response


@bp.get("/users/<user_id>")
def get_user(user_id: str) -> ResponseReturnValue:
    return jsonify(_public(_user(user_id)))


@bp.patch("/users/<user_id>")
def update_user(user_id: str) -> ResponseReturnValue:
    admin = require_admin()
    user = _user(user_id)
    body = json_body(UserPatch)
    db = app_db()
    if body.role is not None and body.role != user.role:
        _change(user, role=body.role)
        _end_everything(user.id, "role_change")
        audit.record(
            db, "role_change", user_id=user.id, actor_id=admin.id, old=user.role, new=body.role
        )
    if body.disabled is not None and body.disabled != user.disabled:
        if body.disabled:
            _change(user, disabled=True)
            _end_everything(user.id, "user_disabled")
            audit.record(db, "user_disabled", user_id=user.id, actor_id=admin.id)
        else:
            db.set_disabled(user.id, False)
            audit.record(db, "user_enabled", user_id=user.id, actor_id=admin.id)
    updated = db.user_by_id(user.id)
    assert updated is not None
    return jsonify(_public(updated))


@bp.delete("/users/<user_id>")
def delete_user(user_id: str) -> ResponseReturnValue:
    admin = require_admin()
    user = _user(user_id)
    db = app_db()
    _change(user, delete=True)  # sessions go with the row (ON DELETE CASCADE)
    _end_everything(user.id, "user_deleted")
    audit.record(db, "user_deleted", user_id=user.id, actor_id=admin.id, email=user.email)
    return jsonify({"deleted": user.id})


def _timestamp(name: str) -> str | None:
    raw = text_arg(name, 32)
    if raw is not None and not _TIMESTAMP.match(raw):
        raise InvalidParameter(f"{name} must be an ISO 8601 UTC timestamp")
    return raw


@bp.get("/audit")
def read_audit() -> ResponseReturnValue:
    admin = require_admin()
    page = int_arg("page", 1, 1, 1_000_000) or 1
    per_page = int_arg("per_page", 50, 1, MAX_PER_PAGE) or 50
    event = choice_arg("event", tuple(audit.EVENTS), None)
    severity = choice_arg("severity", audit.SEVERITIES, None)
    user_id = int_arg("user_id", None, 1, 2**31)
    events, total = audit.query(
        app_db(),
        event=event,
        severity=severity,
        user_id=user_id,
        since=_timestamp("since"),
        until=_timestamp("until"),
        limit=per_page,
        offset=(page - 1) * per_page,
    )
    audit.record(app_db(), "admin_read_audit", actor_id=admin.id, filter_event=event, page=page)
    return jsonify(
        {
            "results": [item.as_dict() for item in events],
            "page": page,
            "per_page": per_page,
            "total_results": total,
        }
    )


def redacted_settings() -> dict[str, Any]:
    """The effective settings with every secret masked."""
    out: dict[str, Any] = {}
    for name, value in app_settings().model_dump().items():
        if isinstance(value, SecretStr):
            out[name] = "[set]" if value.get_secret_value() else "[empty]"
        elif isinstance(value, str):
            out[name] = _URI_CREDENTIALS.sub("://[redacted]@", value)
        elif isinstance(value, (int, float, bool)) or value is None:
            out[name] = value
        elif isinstance(value, list):
            out[name] = [_URI_CREDENTIALS.sub("://[redacted]@", str(item)) for item in value]
        else:
            out[name] = str(value)
    return out


@bp.get("/config")
def read_config() -> ResponseReturnValue:
    admin = require_admin()
    audit.record(app_db(), "admin_read_config", actor_id=admin.id)
    return jsonify({"settings": redacted_settings()})
