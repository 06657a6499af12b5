"""``GET /api/admin/sync``: the pipeline's run history and the live catalog, for the admin
sync-status page (admins only, under the shared admin rate limit).

The runs come from ``<data_dir>/sync_history.jsonl`` (:mod:`core.last_sync`), never from the
warehouse (a flow may hold its write lock); sources per quality come from the published
catalog snapshot. Works before the first publish (empty counts, ``catalog: null``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from core.catalog.contract import CatalogUnavailable
from core.last_sync import HISTORY_CAP, read_sync_history
from core.settings import Settings
from serve import answers
from serve.extensions import app_settings, catalog_reader, limiter
from serve.params import int_arg
from serve.tokens import require_admin

bp = Blueprint("admin_sync", __name__, url_prefix="/api/admin")

DEFAULT_RUNS = 100
MAX_RUNS = HISTORY_CAP


@bp.before_request
def _guard() -> None:
    require_admin()


limiter.shared_limit(lambda: app_settings().rate_limit_admin, scope="admin")(bp)


def prefect_ui_url(settings: Settings, request_host: str) -> str | None:
    """The configured Prefect UI address; empty setting: the host the admin reached the API
    on, at ``prefect_ui_port`` (plain http, as ``miauflix demo`` starts it); ``off``: None."""
    if settings.prefect_ui_url == "off":
        return None
    if settings.prefect_ui_url:
        return settings.prefect_ui_url
    try:
        hostname = urlsplit(f"//{request_host}").hostname
    except ValueError:
        return None
    if not hostname:
        return None
    if ":" in hostname:
        hostname = f"[{hostname}]"
    return f"http://{hostname}:{settings.prefect_ui_port}"


def _live_catalog() -> tuple[dict[str, Any] | None, dict[str, int]]:
    """The live catalog's version and its sources per quality (highest resolution first)."""
    try:
        snapshot = catalog_reader().snapshot()
    except CatalogUnavailable:
        return None, {}
    rows = snapshot.query(
        "SELECT quality, count(*) AS n, max(resolution) AS r FROM sources"
        " GROUP BY quality ORDER BY r DESC, quality"
    )
    version = snapshot.version
    catalog = {
        "run_id": version.run_id,
        "published_at": version.published_at,
        "counts": version.counts,
    }
    return catalog, {str(row["quality"]): int(row["n"]) for row in rows}


@bp.get("/sync")
def sync_history() -> ResponseReturnValue:
    limit = int_arg("limit", DEFAULT_RUNS, 1, MAX_RUNS) or DEFAULT_RUNS
    settings = app_settings()
    catalog, by_quality = _live_catalog()
    body = answers.SyncHistory.model_validate(
        {
            "runs": read_sync_history(settings.data_dir, limit),
            "sources_by_quality": by_quality,
            "catalog": catalog,
            "prefect_ui_url": prefect_ui_url(settings, request.host),
        }
    )
    return jsonify(body.model_dump())
