"""What the movie and the show catalogue answers share: paging limits, the count cache,
localised text, image galleries and the shape of a ranked source.

Every query is parameterised; table names and sort orders come from the callers' fixed
whitelists, never from a request.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from typing import Any

from core.catalog.snapshots import CatalogSnapshot
from serve.images import GALLERY_SIZE, ImageUrls

LISTS = ("popular", "top_rated", "trending")
PROFILES = ("web", "tv")
MAX_PAGE = 1_000_000
MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 20
MAX_QUERY = 100
GALLERY_PER_KIND = 10
MAX_CACHED_COUNTS = 4096
# profile -> (score column, rank column); whitelisted, never taken from the request.
PROFILE_COLUMNS = {"web": ("score_web", "rank_web"), "tv": ("score_tv", "rank_tv")}


def escape_like(text: str) -> str:
    """Escape LIKE wildcards so user text matches literally (with ``ESCAPE '\\'``)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def placeholders(values: Iterable[Any]) -> str:
    return ", ".join("?" for _ in values)


def image_urls(snapshot: CatalogSnapshot) -> ImageUrls:
    """The catalog's image URL builder, made once per snapshot."""
    if "image_urls" not in snapshot.cache:
        snapshot.cache["image_urls"] = ImageUrls(snapshot.config())
    urls: ImageUrls = snapshot.cache["image_urls"]
    return urls


def count(snapshot: CatalogSnapshot, base: str, params: list[Any]) -> int:
    """COUNT(*) for a filter, cached on the snapshot (the file is immutable)."""
    counts: dict[tuple[str, tuple[Any, ...]], int] = snapshot.cache.setdefault("counts", {})
    key = (base, tuple(params))
    if key not in counts:
        if len(counts) >= MAX_CACHED_COUNTS:
            counts.clear()
        counts[key] = int(snapshot.query(f"SELECT COUNT(*) {base}", params)[0][0])
    return counts[key]


def paged_ids(
    snapshot: CatalogSnapshot,
    base: str,
    params: list[Any],
    order: str,
    page: int,
    per_page: int,
) -> tuple[int, list[int]]:
    """(total, the ids on ``page``) of ``SELECT <alias>.tmdb_id {base} ORDER BY {order}``;
    ``base`` starts with ``FROM <table> <alias>``."""
    alias = base.split()[2]
    total = count(snapshot, base, params)
    ids = [
        int(row[0])
        for row in snapshot.query(
            f"SELECT {alias}.tmdb_id {base} ORDER BY {order} LIMIT ? OFFSET ?",
            [*params, per_page, (page - 1) * per_page],
        )
    ]
    return total, ids


def page_answer(
    results: list[dict[str, Any]], page: int, per_page: int, total: int
) -> dict[str, Any]:
    return {
        "results": results,
        "page": page,
        "per_page": per_page,
        "total_results": total,
        "total_pages": math.ceil(total / per_page),
    }


def localised(
    rows: list[Any], record: Any, columns: Sequence[str], region: str | None
) -> dict[str, str | None]:
    """``columns`` from one language's translation rows (the region's first), else the
    record's own values."""
    ranked = sorted(rows, key=lambda row: (row["region"] != region, row["region"] or ""))
    out: dict[str, str | None] = {}
    for column in columns:
        chosen = next((row[column] for row in ranked if row[column]), None)
        out[column] = chosen if chosen else record[column]
    return out


def rows_by_id(rows: Iterable[Any]) -> dict[int, list[Any]]:
    """Rows grouped by their ``tmdb_id`` column, in query order."""
    grouped: dict[int, list[Any]] = {}
    for row in rows:
        grouped.setdefault(int(row["tmdb_id"]), []).append(row)
    return grouped


def genres_by_id(rows: Iterable[Any], names: dict[int, str]) -> dict[int, list[dict[str, Any]]]:
    """``{tmdb_id: [{id, name}, ...]}`` from (tmdb_id, genre_id) rows."""
    return {
        tmdb_id: [{"id": int(row["genre_id"]), "name": names.get(int(row["genre_id"]))}
                  for row in group]
        for tmdb_id, group in rows_by_id(rows).items()
    }  # fmt: skip


def gallery(
    snapshot: CatalogSnapshot, urls: ImageUrls, table: str, tmdb_id: int
) -> list[dict[str, Any]]:
    """Up to :data:`GALLERY_PER_KIND` images of each kind, best voted first."""
    per_kind: dict[str, int] = {}
    out = []
    for row in snapshot.query(
        f"SELECT kind, file_path, width, height, language FROM {table} WHERE tmdb_id = ?"
        " ORDER BY kind, vote_average DESC, file_path",
        (tmdb_id,),
    ):
        kind = str(row["kind"])
        url = urls.url(row["file_path"], GALLERY_SIZE.get(kind, "original"))
        if url is None or per_kind.get(kind, 0) >= GALLERY_PER_KIND:
            continue
        per_kind[kind] = per_kind.get(kind, 0) + 1
        out.append({"kind": kind, "url": url, "width": row["width"], "height": row["height"],
                    "language": row["language"]})  # fmt: skip
    return out


def source_answer(row: Any) -> dict[str, Any]:
    """One ranked source as the API shows it: never an info hash, magnet or URL.

    ``row`` carries the source columns plus ``score`` and ``rank`` of the asked profile;
    queries without a column (episode sources have no bit depth) select it as NULL.
    """
    return {
        "source_id": row["source_id"],
        "quality": row["quality"],
        "resolution": row["resolution"],
        "codec": row["video_codec"],
        "source_type": row["source_type"],
        "bit_depth": row["bit_depth"],
        "audio_channels": row["audio_channels"],
        "size_bytes": row["size_bytes"],
        "seeds": row["seeds"],
        "peers": row["peers"],
        "uploaded_at": row["uploaded_at"],
        "is_repack": bool(row["is_repack"]),
        "is_3d": bool(row["is_3d"]),
        "bitrate_mbps": row["bitrate_mbps"],
        "score": row["score"],
        "rank": row["rank"],
        "playable": row["score"] is not None,
        "available": bool(row["available"]),
        "unavailable_reason": row["unavailable_reason"],
        "reliability_note": row["reliability_note"],
        "components": json.loads(row["components"]),
    }
