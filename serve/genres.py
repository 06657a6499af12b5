"""``GET /api/genres?language=``: genre names in a language (English fallback) with counts."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask.typing import ResponseReturnValue

from core.catalog.snapshots import CatalogSnapshot
from serve.extensions import catalog_reader, response_cache
from serve.params import language_arg
from serve.response_cache import cached_json
from serve.tokens import protect_catalogue

bp = Blueprint("genres", __name__, url_prefix="/api")


protect_catalogue(bp)


@bp.get("/genres")
def genres() -> ResponseReturnValue:
    language, _region = language_arg()
    snapshot = catalog_reader().snapshot()
    return cached_json(
        response_cache(), snapshot, ("genres", language), lambda: _genres(snapshot, language)
    )


def _genres(snapshot: CatalogSnapshot, language: str) -> dict[str, Any]:
    names = snapshot.genre_names(language)
    counts = {
        int(row[0]): int(row[1])
        for row in snapshot.query("SELECT genre_id, COUNT(*) FROM movie_genres GROUP BY genre_id")
    }
    results = [
        {"id": gid, "name": name, "movie_count": counts.get(gid, 0)}
        for gid, name in sorted(names.items(), key=lambda item: (item[1].casefold(), item[0]))
    ]
    return {"language": language, "results": results}
