"""``GET /api/lists``: the curated lists (popular, top rated, trending) with their sizes."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from serve.extensions import catalog_reader
from serve.movies import LISTS
from serve.tokens import protect_catalogue

bp = Blueprint("lists", __name__, url_prefix="/api")


protect_catalogue(bp)


@bp.get("/lists")
def lists() -> ResponseReturnValue:
    counts = {name: 0 for name in LISTS}
    rows = (
        catalog_reader()
        .snapshot()
        .query("SELECT list_name, COUNT(*) AS n FROM list_members GROUP BY list_name")
    )
    for row in rows:
        counts[str(row["list_name"])] = int(row["n"])
    return jsonify({"results": [{"name": name, "count": n} for name, n in counts.items()]})
