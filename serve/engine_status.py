"""``GET /api/engine/status`` (admins): the engine's per-source storage records and VPN state.

The API proxies the engine's own ``/api/engine/status`` with a 60-second status key signed
under the shared master secret. An admin is a JWT whose claims carry ``"is_admin": true``
or ``"role": "admin"``.
"""

from __future__ import annotations

import httpx
from flask import Blueprint, Response, current_app, jsonify
from flask_jwt_extended import get_jwt, get_jwt_identity, jwt_required

from core.crypto import load_or_create_master_key
from core.settings import Settings
from engine.keys import PURPOSE_STATUS, StreamKeySigner

bp = Blueprint("engine_status", __name__)


def _error(status: int, code: str, message: str) -> tuple[Response, int]:
    return jsonify({"error": {"code": code, "message": message}}), status


def status_key(settings: Settings, user: str) -> str:
    master = load_or_create_master_key(settings.key_path, settings.secret_key.get_secret_value())
    key, _ = StreamKeySigner(master, 60).issue(user, "*", purpose=PURPOSE_STATUS)
    return key


@bp.get("/api/engine/status")
@jwt_required()
def engine_status() -> tuple[Response, int]:
    claims = get_jwt()
    if not (claims.get("is_admin") is True or claims.get("role") == "admin"):
        return _error(403, "forbidden", "the engine status is for admins")
    settings: Settings = current_app.config["MIAUFLIX_SETTINGS"]
    url = f"{settings.engine_url}/api/engine/status"
    transport = current_app.config.get("MIAUFLIX_ENGINE_TRANSPORT")  # tests inject one
    try:
        with httpx.Client(timeout=5.0, transport=transport) as client:
            response = client.get(
                url,
                headers={
                    "Authorization": f"Bearer {status_key(settings, str(get_jwt_identity()))}"
                },
            )
    except httpx.HTTPError as exc:
        return _error(502, "engine_unreachable", f"GET {url} failed: {exc!r}")
    if response.status_code != 200:
        return _error(502, "engine_error", f"GET {url} answered {response.status_code}")
    return jsonify(response.json()), 200
