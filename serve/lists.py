"""``GET /api/lists``: the curated lists (popular, top rated, trending) with their sizes."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from core.catalog.snapshots import CatalogSnapshot
from serve.catalogue import LISTS
from serve.extensions import catalog_reader, response_cache
from serve.response_cache import cached_json
from serve.tokens import protect_catalogue, require_user
from serve.trakt_lists import personal_lists

bp = Blueprint("lists", __name__, url_prefix="/api")


protect_catalogue(bp)


@bp.get("/lists")
def lists() -> ResponseReturnValue:
    snapshot = catalog_reader().snapshot()
    shared = cached_json(response_cache(), snapshot, ("lists",), lambda: _lists(snapshot))
    personal = personal_lists(require_user().id)
    if not personal:
        return shared
    body = json.loads(shared.get_data())
    body["results"] += personal
    return jsonify(body)


def _lists(snapshot: CatalogSnapshot) -> dict[str, Any]:
    counts = {name: 0 for name in LISTS}
    rows = snapshot.query("SELECT list_name, COUNT(*) AS n FROM list_members GROUP BY list_name")
    for row in rows:
        counts[str(row["list_name"])] = int(row["n"])
    return {"results": [{"name": name, "count": n} for name, n in counts.items()]}
