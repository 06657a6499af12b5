"""The one JSON error shape: ``{"error": {"code": "<snake_case>", "message": "..."}}``.

Every error the API answers goes through here: our own :class:`ApiError` tree, werkzeug's
HTTP exceptions (404, 405, 413, ...), flask-limiter's 429 (with ``Retry-After``), the JWT
errors (wired in :mod:`serve.tokens`) and any unexpected exception (500, details logged).
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Mapping

from flask import Flask, Response, jsonify, request
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded
from werkzeug.exceptions import HTTPException

from core.catalog.contract import CatalogUnavailable
from core.errors import MiauflixError

log = logging.getLogger(__name__)

# Codes for werkzeug's exceptions; anything else gets the snake_case of its name.
HTTP_ERROR_CODES: dict[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    408: "request_timeout",
    411: "length_required",
    413: "payload_too_large",
    414: "uri_too_long",
    415: "unsupported_media_type",
    429: "rate_limited",
    431: "headers_too_large",
    500: "internal_error",
    501: "not_implemented",
    503: "service_unavailable",
}


class ApiError(MiauflixError):
    """An error answered to the client as-is: HTTP status, machine code, human message."""

    status = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code
        self.headers = dict(headers or {})


class InvalidParameter(ApiError):
    """A query parameter or path segment is malformed or out of range (names the param)."""

    code = "invalid_parameter"


class InvalidBody(ApiError):
    """The JSON body failed validation (names the field)."""

    code = "validation_error"


class NotFound(ApiError):
    status = 404
    code = "not_found"


class Unauthorized(ApiError):
    status = 401
    code = "unauthorized"


class Forbidden(ApiError):
    status = 403
    code = "forbidden"


class ServiceUnavailable(ApiError):
    status = 503
    code = "service_unavailable"


def error_response(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> Response:
    """Build the canonical error response."""
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _snake(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "error"


def _handle_api_error(exc: ApiError) -> Response:
    return error_response(exc.status, exc.code, exc.message, exc.headers)


def _retry_after_seconds(exc: RateLimitExceeded, limiter: Limiter | None) -> int:
    current = limiter.current_limit if limiter is not None else None
    if current is not None:
        return max(1, math.ceil(current.reset_at - time.time()))
    return max(1, int(exc.limit.limit.get_expiry()))


def _handle_http_exception(exc: HTTPException, limiter: Limiter | None = None) -> Response:
    status = exc.code or 500
    code = HTTP_ERROR_CODES.get(status) or _snake(exc.name)
    headers = {
        name: value
        for name, value in exc.get_headers()
        if name.lower() not in {"content-type", "content-length"}
    }
    if isinstance(exc, RateLimitExceeded):
        headers["Retry-After"] = str(_retry_after_seconds(exc, limiter))
        message = f"rate limit exceeded ({exc.description}); retry later"
    elif status == 404:
        message = f"no such resource: {request.path}"
    elif status == 405:
        message = f"method {request.method} is not allowed on {request.path}"
    elif status == 413:
        message = "request body too large"
    else:
        message = exc.description or exc.name
    return error_response(status, code, message, headers)


def _handle_catalog_unavailable(exc: CatalogUnavailable) -> Response:
    return error_response(503, exc.code, str(exc))


def _handle_unexpected(exc: Exception) -> Response:
    if isinstance(exc, HTTPException):  # pragma: no cover - routed above by Flask
        return _handle_http_exception(exc)
    log.exception("unhandled error on %s %s", request.method, request.path)
    return error_response(500, "internal_error", "internal server error")


def register_error_handlers(app: Flask, limiter: Limiter | None = None) -> None:
    """Route every error kind to the one JSON shape (``limiter``: whose current limit
    gives a 429 its ``Retry-After``)."""

    def handle_http_exception(exc: HTTPException) -> Response:
        return _handle_http_exception(exc, limiter)

    app.register_error_handler(ApiError, _handle_api_error)
    app.register_error_handler(CatalogUnavailable, _handle_catalog_unavailable)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, _handle_unexpected)
