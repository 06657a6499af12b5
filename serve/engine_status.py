"""``GET /api/engine/status`` (admins): the engine's per-source storage records and VPN state.

The API proxies the engine's own ``/api/engine/status`` with a 60-second status key signed
by the app's stream-key signer (the engine verifies it under the shared master secret).
"""

from __future__ import annotations

import httpx
from flask import Blueprint, Response, jsonify

from core.stream_keys import PURPOSE_STATUS
from serve.errors import ApiError
from serve.extensions import app_settings, engine_transport, stream_signer
from serve.tokens import require_admin

bp = Blueprint("engine_status", __name__)

STATUS_KEY_SECONDS = 60


@bp.get("/api/engine/status")
def engine_status() -> tuple[Response, int]:
    admin = require_admin()
    url = f"{app_settings().engine_url}/api/engine/status"
    key, _ = stream_signer().issue(
        str(admin.id), "*", purpose=PURPOSE_STATUS, ttl=STATUS_KEY_SECONDS
    )
    try:
        with httpx.Client(timeout=5.0, transport=engine_transport()) as client:
            response = client.get(url, headers={"Authorization": f"Bearer {key}"})
    except httpx.HTTPError as exc:
        raise ApiError(
            f"GET {url} failed: {exc!r}", status=502, code="engine_unreachable"
        ) from None
    if response.status_code != 200:
        raise ApiError(
            f"GET {url} answered {response.status_code}", status=502, code="engine_error"
        )
    return jsonify(response.json()), 200
