"""``GET /api/health``: liveness, no auth, no database."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

bp = Blueprint("health", __name__, url_prefix="/api")


@bp.get("/health")
def health() -> ResponseReturnValue:
    return jsonify({"status": "ok"})
