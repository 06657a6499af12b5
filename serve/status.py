"""``GET /api/status``: catalog version, last pipeline run and its data-quality result.

Serve never opens the DuckDB warehouse (the flow holds its write lock). The pipeline writes
``<data_dir>/last_sync.json`` atomically: ``{run_id, status, started_at, finished_at,
dq: {success, suites: [...]}, error}``; this endpoint reads it when present.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue

from serve.extensions import app_settings, catalog_reader, limiter
from serve.tokens import require_user

log = logging.getLogger(__name__)

bp = Blueprint("status", __name__, url_prefix="/api")

LAST_SYNC_FILE = "last_sync.json"
MAX_LAST_SYNC_BYTES = 1024 * 1024
_SYNC_KEYS = ("run_id", "status", "scope", "started_at", "finished_at", "seconds", "dq", "error")


@bp.before_request
def _authenticate() -> None:
    require_user()


limiter.shared_limit(
    lambda: str(current_app.config["MIAUFLIX_RATE_LIMIT_CATALOG"]), scope="catalogue"
)(bp)


def read_last_sync(data_dir: Path) -> dict[str, Any] | None:
    """The pipeline's last-run record, or ``None`` when absent or unreadable."""
    path = data_dir / LAST_SYNC_FILE
    try:
        if path.stat().st_size > MAX_LAST_SYNC_BYTES:
            log.warning("%s is larger than %d bytes; ignored", path, MAX_LAST_SYNC_BYTES)
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("cannot read %s: %s", path, exc)
        return None
    if not isinstance(data, dict):
        log.warning("%s does not hold a JSON object; ignored", path)
        return None
    record = {key: data.get(key) for key in _SYNC_KEYS}
    if not isinstance(record["dq"], dict):
        record["dq"] = None
    return record


@bp.get("/status")
def status() -> ResponseReturnValue:
    settings = app_settings()
    version = catalog_reader().version()
    return jsonify(
        {
            "catalog": version.as_dict() if version is not None else None,
            "last_sync": read_last_sync(settings.data_dir),
            "engine": {"url": settings.engine_url},
        }
    )
