"""``POST /api/movies/<tmdb_id>/stream``: pick a source and issue a signed stream URL.

Body (all optional): ``{"source_id": str}`` or ``{"quality": "720p"}``, and
``{"profile": "web" | "tv"}`` (default web). Answer: ``{"stream_url", "expires_at",
"source": {...}}``. The URL points at the engine (``MIAUFLIX_ENGINE_URL``) and carries a
key bound to the user and the source, which the engine verifies on its own.

Relies on ``current_app.config["MIAUFLIX_SETTINGS"]`` (a :class:`core.settings.Settings`)
and, optionally, ``current_app.config["MIAUFLIX_STREAM_KEY_TTL"]`` (seconds; otherwise
``MIAUFLIX_STREAM_KEY_TTL`` via :class:`engine.config.EngineSettings`).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from flask_jwt_extended import get_jwt_identity, jwt_required

from core.crypto import Keyring
from core.settings import Settings
from engine.catalog import PROFILES, Catalog
from engine.config import load_engine_settings
from engine.errors import SourceNotFound, SourceResolveError
from engine.keys import StreamKeySigner

bp = Blueprint("streams", __name__)

_SOURCE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_QUALITY = re.compile(r"^[0-9]{3,4}p(\.3D)?$", re.IGNORECASE)
_EXT_KEY = "miauflix_streams"


def _error(status: int, code: str, message: str) -> tuple[Response, int]:
    return jsonify({"error": {"code": code, "message": message}}), status


def _tools() -> tuple[Catalog, StreamKeySigner, Settings]:
    """Catalog and signer built once per app from its settings.

    Both share one :class:`Keyring`: the catalog opens values sealed under any kept master,
    and the signer signs under the current one, re-reading the key files after a rotation
    (the engine does the same, so both agree on the new key without a restart).
    """
    cached = current_app.extensions.get(_EXT_KEY)
    if cached is None:
        settings: Settings = current_app.config["MIAUFLIX_SETTINGS"]
        keyring = Keyring.load(settings.key_path, settings.secret_key.get_secret_value())
        ttl = current_app.config.get("MIAUFLIX_STREAM_KEY_TTL")
        if ttl is None:
            ttl = load_engine_settings().stream_key_ttl
        cached = (
            Catalog(settings.catalog_path, keyring),
            StreamKeySigner(keyring, int(ttl)),
            settings,
        )
        current_app.extensions[_EXT_KEY] = cached
    return cached  # type: ignore[no-any-return]


def _body() -> dict[str, Any] | tuple[Response, int]:
    if not request.get_data():
        return {}
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return _error(400, "invalid_body", "the body must be a JSON object")
    unknown = set(data) - {"source_id", "quality", "profile"}
    if unknown:
        return _error(400, "invalid_body", f"unknown fields: {', '.join(sorted(unknown))}")
    source_id, quality = data.get("source_id"), data.get("quality")
    profile = data.get("profile", "web")
    if source_id is not None and (
        not isinstance(source_id, str) or not _SOURCE_ID.match(source_id)
    ):
        return _error(400, "invalid_body", "source_id must be a source id string")
    if quality is not None and (not isinstance(quality, str) or not _QUALITY.match(quality)):
        return _error(400, "invalid_body", "quality must look like 720p, 1080p, 2160p")
    if source_id is not None and quality is not None:
        return _error(400, "invalid_body", "give source_id or quality, not both")
    if profile not in PROFILES:
        return _error(400, "invalid_body", f"profile must be one of {', '.join(PROFILES)}")
    return {"source_id": source_id, "quality": quality, "profile": profile}


@bp.post("/api/movies/<int:tmdb_id>/stream")
@jwt_required()
def issue_stream(tmdb_id: int) -> tuple[Response, int]:
    body = _body()
    if isinstance(body, tuple):
        return body
    catalog, signer, settings = _tools()
    try:
        source = catalog.pick(
            tmdb_id,
            profile=body.get("profile", "web"),
            source_id=body.get("source_id"),
            quality=body.get("quality"),
        )
    except SourceNotFound as exc:
        return _error(404, "source_not_found", str(exc))
    except SourceResolveError as exc:
        return _error(502, "source_unavailable", str(exc))
    user = str(get_jwt_identity())
    key, expires_at = signer.issue(user, source.source_id, profile=body.get("profile", "web"))
    expires = dt.datetime.fromtimestamp(expires_at, dt.UTC).isoformat().replace("+00:00", "Z")
    return jsonify(
        {
            "stream_url": f"{settings.engine_url}/stream/{key}",
            "expires_at": expires,
            "source": source.public(),
        }
    ), 200
