"""What every route module shares: the server context and response builders per service."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from sandbox.catalogue import SyntheticCatalogue
from sandbox.faults import UpstreamStats

TMDB_JSON = "application/json;charset=utf-8"
JSON_UTF8 = "application/json; charset=utf-8"
HTML = "text/html; charset=utf-8"

TMDB_ERRORS: dict[int, tuple[int, str]] = {
    7: (401, "Invalid API key: You must be granted a valid key."),
    9: (503, "Service offline: This service is temporarily offline, try again later."),
    11: (500, "Internal error: Something went wrong, contact TMDB."),
    20: (422, "Invalid date range: Should be a range no longer than 14 days."),
    22: (
        400,
        "Invalid page: Pages start at 1 and max at 500. They are expected to be an integer.",
    ),
    23: (400, "Invalid date: Format needs to be YYYY-MM-DD."),
    25: (429, "Your request count (#) is over the allowed limit of (40)."),
    34: (404, "The resource you requested could not be found."),
}

_STATUS_TEXT = {
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Temporarily Unavailable",
}


@dataclass
class UpstreamContext:
    """State the route handlers read: the catalogue, the configured credentials, counters."""

    catalogue: SyntheticCatalogue
    stats: UpstreamStats
    tmdb_api_key: str = ""
    trakt_client_id: str = ""


def dumps(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def json_response(
    body: Any,
    status: int = 200,
    *,
    media_type: str = JSON_UTF8,
    headers: dict[str, str] | None = None,
) -> Response:
    return Response(dumps(body), status_code=status, media_type=media_type, headers=headers)


def tmdb_error(code: int, headers: dict[str, str] | None = None) -> Response:
    """TMDB's error body ``{"success": false, "status_code", "status_message"}``."""
    status, message = TMDB_ERRORS[code]
    body = {"success": False, "status_code": code, "status_message": message}
    return json_response(body, status, media_type=TMDB_JSON, headers=headers)


def html_page(status: int, headers: dict[str, str] | None = None) -> Response:
    """An nginx/Cloudflare-style HTML error page (what proxies answer in front of APIs)."""
    text = _STATUS_TEXT.get(status, "Error")
    body = (
        f"<html>\r\n<head><title>{status} {text}</title></head>\r\n<body>\r\n"
        f"<center><h1>{status} {text}</h1></center>\r\n<hr><center>nginx</center>\r\n"
        "</body>\r\n</html>\r\n"
    )
    return Response(body, status_code=status, media_type=HTML, headers=headers)


def dirty_html_page() -> Response:
    """The 200 HTML a misconfigured upstream sometimes sends in place of JSON."""
    body = (
        "<!DOCTYPE html><html><head><title>Just a moment...</title></head>"
        "<body><p>Checking your browser before accessing the site.</p></body></html>"
    )
    return Response(body, status_code=200, media_type=HTML)


def service_base(request: Request, prefix: str) -> str:
    """``http://host:port/<prefix>`` as the client addressed this server."""
    return f"{request.url.scheme}://{request.url.netloc}/{prefix}"


def int_param(raw: str | None, default: int, low: int, high: int) -> int | None:
    """Parse a bounded integer query parameter; None when malformed or out of range."""
    if raw is None:
        return default
    raw = raw.strip()
    if not raw or len(raw) > 9 or not raw.isascii() or not raw.isdigit():
        return None
    value = int(raw)
    return value if low <= value <= high else None
