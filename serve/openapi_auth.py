"""OpenAPI fragments for ``/api/auth`` (sessions) and ``/api/admin`` (merged by
:func:`serve.openapi.build_document`)."""

from __future__ import annotations

from typing import Any

from serve.openapi_parts import JSON as _JSON
from serve.openapi_parts import SECURED, rate_limited
from serve.openapi_parts import error as _error
from serve.openapi_parts import ok as _ok
from serve.openapi_parts import ref as _ref


def _body(schema: str) -> dict[str, Any]:
    return {"required": True, "content": {_JSON: {"schema": _ref(schema)}}}


_RATE = rate_limited()
_AUTH = {
    "401": _error("Missing, invalid, expired or revoked token"),
    "403": _error("CSRF check failed for a cookie-authenticated write"),
}
_BODY_ERRORS = {
    "400": _error("Malformed JSON or invalid fields (named in the message)"),
    "413": _error("Body larger than the limit"),
    "415": _error("Body is not application/json"),
}
_ADMIN = {
    "401": _error("Missing, invalid, expired or revoked token"),
    "403": _error("admin_required (or CSRF failure)"),
    "429": _RATE,
}
_USER_ID = {
    "name": "user_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1, "maximum": 2**31},
    "description": "User id",
}


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


_PAGING = [
    _query("page", {"type": "integer", "minimum": 1, "default": 1}, "Page"),
    _query("per_page", {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}, "Size"),
]
_STRICT_STR = {"type": "string"}


def _page(item: dict[str, Any]) -> dict[str, Any]:
    integer = {"type": "integer"}
    return {
        "type": "object",
        "properties": {
            "results": {"type": "array", "items": item},
            "page": integer,
            "per_page": integer,
            "total_results": integer,
        },
    }


SCHEMAS: dict[str, Any] = {
    "LoginRequest": {
        "type": "object",
        "required": ["email", "password"],
        "additionalProperties": False,
        "properties": {
            "email": {"type": "string", "minLength": 3, "maxLength": 320},
            "password": {"type": "string", "minLength": 1, "maxLength": 1024},
            "mode": {"enum": ["token", "cookie"], "default": "token"},
            "device": {"type": "string", "maxLength": 100},
        },
    },
    "Token": {
        "type": "object",
        "description": "mode=token: access_token + refresh_token. mode=cookie: tokens are "
        "HttpOnly cookies; csrf_token must be echoed in X-CSRF-Token on writes.",
        "properties": {
            "access_token": _STRICT_STR,
            "refresh_token": _STRICT_STR,
            "csrf_token": _STRICT_STR,
            "session_id": _STRICT_STR,
            "token_type": {"enum": ["Bearer", "Cookie"]},
            "expires_in": {"type": "integer", "description": "seconds"},
        },
    },
    "RefreshRequest": {
        "type": "object",
        "required": ["refresh_token"],
        "additionalProperties": False,
        "properties": {"refresh_token": {"type": "string", "minLength": 16, "maxLength": 256}},
    },
    "PasswordChange": {
        "type": "object",
        "required": ["old_password", "new_password"],
        "additionalProperties": False,
        "properties": {
            "old_password": {"type": "string", "minLength": 1, "maxLength": 1024},
            "new_password": {"type": "string", "minLength": 1, "maxLength": 1024},
        },
    },
    "Session": {
        "type": "object",
        "properties": {
            "id": _STRICT_STR,
            "device": _STRICT_STR,
            "ip": _STRICT_STR,
            "created_at": _STRICT_STR,
            "last_used_at": _STRICT_STR,
            "expires_at": _STRICT_STR,
            "current": {"type": "boolean"},
        },
    },
    "Sessions": {
        "type": "object",
        "properties": {"results": {"type": "array", "items": _ref("Session")}},
    },
    "User": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "email": _STRICT_STR,
            "role": {"enum": ["user", "admin"]},
            "disabled": {"type": "boolean"},
            "created_at": _STRICT_STR,
        },
    },
    "UserPage": _page(_ref("User")),
    "NewUser": {
        "type": "object",
        "required": ["email", "password"],
        "additionalProperties": False,
        "properties": {
            "email": {"type": "string", "minLength": 3, "maxLength": 320},
            "password": {"type": "string", "minLength": 1, "maxLength": 1024},
            "role": {"enum": ["user", "admin"], "default": "user"},
        },
    },
    "UserPatch": {
        "type": "object",
        "additionalProperties": False,
        "properties": {"disabled": {"type": "boolean"}, "role": {"enum": ["user", "admin"]}},
    },
    "AuditPage": _page({"type": "object"}),
    "Config": {"type": "object", "properties": {"settings": {"type": "object"}}},
    "Done": {"type": "object"},
}

PATHS: dict[str, Any] = {
    "/api/auth/login": {
        "post": {
            "summary": "Exchange email + password for an access and a refresh token",
            "security": [],
            "requestBody": _body("LoginRequest"),
            "responses": {
                "200": _ok("Token"),
                **_BODY_ERRORS,
                "401": _error("invalid_credentials (same for unknown user and bad password)"),
                "403": _error("account_disabled"),
                "429": _RATE,
            },
        }
    },
    "/api/auth/refresh": {
        "post": {
            "summary": "Rotate a refresh token (JSON body, or the HttpOnly cookie plus "
            "X-CSRF-Token); reusing a rotated token revokes the session",
            "security": [],
            "requestBody": _body("RefreshRequest"),
            "responses": {
                "200": _ok("Token"),
                **_BODY_ERRORS,
                "401": _error("invalid_refresh_token or refresh_token_reused"),
                "403": _error("csrf_failed (cookie mode)"),
                "429": _RATE,
            },
        }
    },
    "/api/auth/logout": {
        "post": {
            "summary": "End this session (and the user's stream keys)",
            "security": SECURED,
            "responses": {"200": _ok("Done"), **_AUTH},
        }
    },
    "/api/auth/logout-all": {
        "post": {
            "summary": "End every session of the user (and their stream keys)",
            "security": SECURED,
            "responses": {"200": _ok("Done"), **_AUTH},
        }
    },
    "/api/auth/sessions": {
        "get": {
            "summary": "The caller's live sessions (device, last use, IP)",
            "security": SECURED,
            "responses": {"200": _ok("Sessions"), **_AUTH},
        }
    },
    "/api/auth/sessions/{session_id}": {
        "delete": {
            "summary": "End one of the caller's sessions",
            "security": SECURED,
            "parameters": [
                {
                    "name": "session_id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "maxLength": 64},
                    "description": "Session id",
                }
            ],
            "responses": {"200": _ok("Done"), "404": _error("session_not_found"), **_AUTH},
        }
    },
    "/api/auth/password": {
        "post": {
            "summary": "Change one's password (old password required); ends other sessions",
            "security": SECURED,
            "requestBody": _body("PasswordChange"),
            "responses": {
                "200": _ok("Done"),
                **_BODY_ERRORS,
                **_AUTH,
                "401": _error("invalid_credentials (wrong old password) or bad token"),
                "429": _RATE,
            },
        }
    },
    "/api/admin/users": {
        "get": {
            "summary": "List users",
            "security": SECURED,
            "parameters": _PAGING,
            "responses": {"200": _ok("UserPage"), "400": _error("invalid_parameter"), **_ADMIN},
        },
        "post": {
            "summary": "Create a user (no open sign-up)",
            "security": SECURED,
            "requestBody": _body("NewUser"),
            "responses": {
                "201": _ok("User", "Created"),
                **_BODY_ERRORS,
                "409": _error("user_exists"),
                **_ADMIN,
            },
        },
    },
    "/api/admin/users/{user_id}": {
        "get": {
            "summary": "One user",
            "security": SECURED,
            "parameters": [_USER_ID],
            "responses": {
                "200": _ok("User"),
                "400": _error("invalid_parameter"),
                "404": _error("user_not_found"),
                **_ADMIN,
            },
        },
        "patch": {
            "summary": "Disable / enable a user or change their role",
            "security": SECURED,
            "parameters": [_USER_ID],
            "requestBody": _body("UserPatch"),
            "responses": {
                "200": _ok("User"),
                **_BODY_ERRORS,
                "404": _error("user_not_found"),
                "409": _error("last_admin"),
                **_ADMIN,
            },
        },
        "delete": {
            "summary": "Delete a user (their sessions and stream keys end)",
            "security": SECURED,
            "parameters": [_USER_ID],
            "responses": {
                "200": _ok("Done"),
                "400": _error("invalid_parameter"),
                "404": _error("user_not_found"),
                "409": _error("last_admin"),
                **_ADMIN,
            },
        },
    },
    "/api/admin/audit": {
        "get": {
            "summary": "Audit events, newest first, with filters and paging",
            "security": SECURED,
            "parameters": [
                *_PAGING,
                _query("event", {"type": "string", "maxLength": 40}, "Event name"),
                _query("severity", {"enum": ["info", "warning", "critical"]}, "Severity"),
                _query("user_id", {"type": "integer", "minimum": 1}, "User concerned"),
                _query("since", {"type": "string", "maxLength": 32}, "ISO 8601 UTC, inclusive"),
                _query("until", {"type": "string", "maxLength": 32}, "ISO 8601 UTC, exclusive"),
            ],
            "responses": {"200": _ok("AuditPage"), "400": _error("invalid_parameter"), **_ADMIN},
        }
    },
    "/api/admin/config": {
        "get": {
            "summary": "Effective settings with secrets masked (the read is audited)",
            "security": SECURED,
            "responses": {"200": _ok("Config"), **_ADMIN},
        }
    },
}
