"""``GET /api/health``: liveness, no auth, no database."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from serve.answers import Health

bp = Blueprint("health", __name__, url_prefix="/api")


@bp.get("/health")
def health() -> ResponseReturnValue:
    return jsonify(Health(status="ok").model_dump())
