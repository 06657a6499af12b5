"""``GET /api/status``: catalog version, last pipeline run and its data-quality result.

Serve never opens the DuckDB warehouse (the flow holds its write lock). The pipeline writes
``<data_dir>/last_sync.json`` atomically: ``{run_id, status, started_at, finished_at,
dq: {success, suites: [...]}, error}``; this endpoint reads it when present.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from core.last_sync import read_last_sync
from core.settings import Settings
from core.vpn import SystemInterfaces, check_vpn
from serve.extensions import app_settings, catalog_reader
from serve.tokens import protect_catalogue

log = logging.getLogger(__name__)

bp = Blueprint("status", __name__, url_prefix="/api")

_SYNC_KEYS = ("run_id", "status", "scope", "started_at", "finished_at", "seconds", "dq", "error")


protect_catalogue(bp)


def _last_sync(data_dir: Path) -> dict[str, Any] | None:
    """The public fields of the pipeline's last-run record."""
    data = read_last_sync(data_dir)
    if data is None:
        return None
    record = {key: data.get(key) for key in _SYNC_KEYS}
    if not isinstance(record["dq"], dict):
        record["dq"] = None
    return record


def _vpn_state(settings: Settings) -> dict[str, object]:
    """What the engine's VPN guard sees on this host (the engine refuses torrents when a
    VPN is required and missing)."""
    state = check_vpn(
        SystemInterfaces(), required=settings.require_vpn, configured=settings.vpn_interface
    )
    return state.as_dict()


@bp.get("/status")
def status() -> ResponseReturnValue:
    settings = app_settings()
    version = catalog_reader().version()
    return jsonify(
        {
            "catalog": version.as_dict() if version is not None else None,
            "last_sync": _last_sync(settings.data_dir),
            "engine": {"url": settings.engine_url, "vpn": _vpn_state(settings)},
        }
    )
