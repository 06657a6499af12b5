"""The web client: ``web/dist`` served at ``/`` on the API's origin.

``index.html`` is answered for ``/`` and for every client-side route that is not under
``/api`` (the single-page app routes itself), always with ``Cache-Control: no-cache``.
Files under ``/assets/`` carry a content hash in their names and are cached for a year.
When ``web/dist`` has not been built the client answers a 503 in the one JSON error shape.
``/api/...`` never falls through to the client: unknown API paths stay JSON 404s.
"""

from __future__ import annotations

import mimetypes
import re
from pathlib import Path

from flask import Blueprint, Response, current_app, request, send_from_directory
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import NotFound
from werkzeug.routing import PathConverter

from serve.errors import ServiceUnavailable

bp = Blueprint("web", __name__)

DIST_KEY = "MIAUFLIX_WEB_DIST"
DEFAULT_DIST = Path(__file__).resolve().parents[1] / "web" / "dist"
HASHED = re.compile(r"-[A-Z0-9]{8,}\.(js|css|woff2|svg|png|jpg|webp)$", re.IGNORECASE)
YEAR = 365 * 24 * 3600


class ClientRoute(PathConverter):
    """A path that is not under ``/api``, so API 404s and 405s keep their meaning."""

    regex = r"(?!api(?:/|$))[^/].*?"


def _add_converter(state: BlueprintSetupState) -> None:
    state.app.url_map.converters["client_route"] = ClientRoute


bp.record_once(_add_converter)  # before the routes below: they use the converter


def dist_dir() -> Path:
    """Where the built client lives (``MIAUFLIX_WEB_DIST`` in the app config overrides)."""
    return Path(current_app.config.get(DIST_KEY) or DEFAULT_DIST)


def _index() -> Response:
    dist = dist_dir()
    if not (dist / "index.html").is_file():
        raise ServiceUnavailable(
            f"the web client is not built ({dist / 'index.html'} is missing);"
            " run `npm ci && npm run build` in web/ (scripts/setup.sh does it)",
            code="web_not_built",
        )
    response = send_from_directory(dist, "index.html", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/")
def index() -> ResponseReturnValue:
    return _index()


def _accepts_gzip() -> bool:
    return "gzip" in request.headers.get("Accept-Encoding", "").lower()


@bp.get("/assets/<path:name>")
def asset(name: str) -> ResponseReturnValue:
    dist = dist_dir()
    if not (dist / "index.html").is_file():
        return _index()
    assets = dist / "assets"
    if name.endswith(".gz"):
        raise NotFound()
    if _accepts_gzip() and (assets / f"{name}.gz").is_file():
        # The build writes a gzip copy of each bundle; same content type, encoded body.
        mimetype = mimetypes.guess_type(name)[0] or "application/octet-stream"
        response = send_from_directory(assets, f"{name}.gz", mimetype=mimetype, max_age=YEAR)
        response.headers["Content-Encoding"] = "gzip"
        response.headers.pop("Content-Disposition", None)
    else:
        response = send_from_directory(assets, name, max_age=YEAR)
    response.vary.add("Accept-Encoding")
    if HASHED.search(name):
        response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    else:
        response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/favicon.svg")
def favicon() -> ResponseReturnValue:
    return send_from_directory(dist_dir(), "favicon.svg", max_age=24 * 3600)


@bp.get("/<client_route:route>")
def client_route(route: str) -> ResponseReturnValue:
    """SPA fallback: a non-API path without a file extension or dot segment gets
    ``index.html`` (no client route has either; a traversal attempt gets a 404)."""
    segments = route.split("/")
    if "." in segments[-1] or any(part in {".", ".."} for part in segments):
        raise NotFound()
    return _index()
