"""Upstream garbage on purpose: which records a catalogue makes dirty, and how.

A share ``dirty_rate`` of movies gets exactly one kind of dirt, so tests can reconcile
quarantine counts against ``SyntheticCatalogue.dirty_ids()``. TMDB kinds apply to the
details body, YTS kinds to the movie's first torrent; the ``*_html`` kinds are served by
the routes as a 200 text/html page instead of JSON.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from sandbox.randomness import SALT_DIRTY, mix, unit

TMDB_DIRTY_KINDS = ("tmdb_runtime_type", "tmdb_missing_id", "tmdb_html")
YTS_DIRTY_KINDS = (
    "yts_seeds_type",  # "seeds": "many"
    "yts_size_negative",  # "size_bytes": -5
    "yts_size_huge",  # "size_bytes": 10**16
    "yts_hash_short",  # 39 hex characters
    "yts_hash_nonhex",  # "XYZ..." 40 characters
    "yts_duplicate_torrent",  # the first torrent twice
    "yts_html",
)
HTML_KINDS = ("tmdb_html", "yts_html")


class DirtyRecord(NamedTuple):
    """One record made dirty on purpose: ``service`` is ``tmdb`` or ``yts``."""

    kind: str
    service: str
    tmdb_id: int
    imdb_id: str | None


def pick_dirty(
    seed: int, tmdb_ids: Iterable[int], rate: float, on_yts: Callable[[int], bool]
) -> dict[int, str]:
    """tmdb id -> dirt kind for a ``rate`` share of movies (YTS kinds only for YTS movies)."""
    dirty = {}
    for tmdb_id in tmdb_ids:
        if unit(seed, tmdb_id, SALT_DIRTY) < rate:
            kinds = TMDB_DIRTY_KINDS + YTS_DIRTY_KINDS if on_yts(tmdb_id) else TMDB_DIRTY_KINDS
            dirty[tmdb_id] = kinds[mix(seed, tmdb_id, SALT_DIRTY, 1) % len(kinds)]
    return dirty


def dirty_details(body: dict[str, Any], kind: str | None) -> None:
    """Apply a TMDB kind to a details body (in place)."""
    if kind == "tmdb_runtime_type":
        body["runtime"] = "abc"
    elif kind == "tmdb_missing_id":
        del body["id"]


def dirty_torrents(torrents: list[dict[str, Any]], kind: str | None) -> None:
    """Apply a YTS kind to a movie's torrents (in place)."""
    if not kind or not torrents:
        return
    first = torrents[0]
    if kind == "yts_seeds_type":
        first["seeds"] = "many"
    elif kind == "yts_size_negative":
        first["size_bytes"] = -5
    elif kind == "yts_size_huge":
        first["size_bytes"] = 10**16
    elif kind == "yts_hash_short":
        first["hash"] = first["hash"][:39]
    elif kind == "yts_hash_nonhex":
        first["hash"] = "XYZ" + first["hash"][3:]
    elif kind == "yts_duplicate_torrent":
        torrents.append(dict(first))
