"""Trakt's media objects over the synthetic catalogue: movies, shows and episodes with their
``ids`` (trakt, slug, imdb, tmdb), and one user's generated library.

Trakt ids are not TMDB ids (``trakt = 7 * tmdb + 11`` for movies, ``+ 13`` for shows), so a
client that mixes them up maps to the wrong title. Each generated library holds items a
client must map through the IMDb id (no ``tmdb``) and one it cannot map at all.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from sandbox.catalogue import SyntheticCatalogue
from sandbox.errors import CatalogueError
from sandbox.randomness import SALT_TRAKT, rng
from sandbox.tmdb_records import movie_core

UNMATCHED_IMDB = "tt0000001"  # no title of the catalogue has it


def iso(moment: datetime) -> str:
    """Trakt's timestamp format: ``2025-06-01T12:00:00.000Z``."""
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def movie_trakt_id(tmdb_id: int) -> int:
    return 7 * tmdb_id + 11


def show_trakt_id(tv_id: int) -> int:
    return 7 * tv_id + 13


def movie_object(
    cat: SyntheticCatalogue, tmdb_id: int, *, drop_tmdb: bool = False
) -> dict[str, Any]:
    """``{"title", "year", "ids": {...}}`` of a catalogue movie."""
    core = movie_core(cat.seed, tmdb_id)
    year = int(core.release_date[:4]) if core.release_date[:4].isdigit() else None
    slug = "-".join(core.title.lower().split()) + (f"-{year}" if year else "")
    return {
        "title": core.title,
        "year": year,
        "ids": {
            "trakt": movie_trakt_id(tmdb_id),
            "slug": slug,
            "imdb": cat.imdb_id_of(tmdb_id),
            "tmdb": None if drop_tmdb else tmdb_id,
        },
    }


def unmatched_movie() -> dict[str, Any]:
    """A movie Trakt knows and the catalogue does not."""
    return {
        "title": "Nowhere Film",
        "year": 1999,
        "ids": {"trakt": 5, "slug": "nowhere-film-1999", "imdb": UNMATCHED_IMDB, "tmdb": None},
    }


def show_object(cat: SyntheticCatalogue, tv_id: int) -> dict[str, Any]:
    body = cat.tv_show(tv_id) or {}
    name = str(body.get("name") or f"Show {tv_id}")
    first = str(body.get("first_air_date") or "")
    year = int(first[:4]) if first[:4].isdigit() else None
    return {
        "title": name,
        "year": year,
        "ids": {
            "trakt": show_trakt_id(tv_id),
            "slug": "-".join(name.lower().split()),
            "tvdb": None,
            "imdb": cat.show_imdb_id(tv_id),
            "tmdb": tv_id,
        },
    }


def episode_object(tv_id: int, season: int, number: int) -> dict[str, Any]:
    trakt = show_trakt_id(tv_id) * 1000 + season * 100 + number
    return {
        "season": season,
        "number": number,
        "title": f"Episode {number}",
        "ids": {"trakt": trakt, "tvdb": None, "imdb": None, "tmdb": None},
    }


def _episodes(cat: SyntheticCatalogue, tv_id: int) -> list[tuple[int, int]]:
    season = cat.tv_season(tv_id, 1) or {}
    return [(1, int(e["episode_number"])) for e in season.get("episodes", [])][:4]


def _clean_movies(cat: SyntheticCatalogue) -> list[int]:
    """Popular, clean movies with an IMDb id (the ones a first sync surely publishes)."""
    with_imdb = sum(1 for i in cat.tmdb_ids if cat.imdb_id_of(i))
    wanted = max(14, min(60, with_imdb // 2))
    try:
        found = [cat.tmdb_id_of(imdb) for imdb in cat.demo_imdb_ids(wanted)]
    except CatalogueError:
        found = [i for i in cat.tmdb_ids if cat.imdb_id_of(i)]
    return [i for i in found if i is not None]


class Library:
    """One user's Trakt data: lists of dicts as the sync endpoints answer them (unsorted)."""

    def __init__(self, cat: SyntheticCatalogue, username: str, now: datetime) -> None:
        seed = int.from_bytes(hashlib.sha256(username.encode()).digest()[:4], "big")
        r = rng(cat.seed, SALT_TRAKT, seed)
        clean = _clean_movies(cat)
        picks = r.sample(clean, k=min(len(clean), 14))
        shows = [t for t in getattr(cat, "tv_ids", []) if _episodes(cat, t)][:50]
        show = r.choice(shows) if shows else None
        ago = lambda days, hours=0: iso(now - timedelta(days=days, hours=hours))  # noqa: E731
        self.watchlist: list[dict[str, Any]] = [
            {"listed_at": ago(30 - n), "notes": None, "type": "movie",
             "movie": movie_object(cat, tmdb_id, drop_tmdb=n == 1)}
            for n, tmdb_id in enumerate(picks[:4])
        ]  # fmt: skip
        self.watchlist.append(
            {"listed_at": ago(3), "notes": None, "type": "movie", "movie": unmatched_movie()}
        )
        self.history: list[dict[str, Any]] = [
            {"watched_at": ago(20 - n, 2), "action": "watch", "type": "movie",
             "movie": movie_object(cat, tmdb_id)}
            for n, tmdb_id in enumerate(picks[4:8])
        ]  # fmt: skip
        self.playback: list[dict[str, Any]] = [
            {"progress": round(10.0 + 25 * n, 2), "paused_at": ago(2, n), "type": "movie",
             "movie": movie_object(cat, tmdb_id)}
            for n, tmdb_id in enumerate(picks[8:11])
        ]  # fmt: skip
        self.ratings: list[dict[str, Any]] = [
            {"rated_at": ago(15, n), "rating": 5 + n, "type": "movie",
             "movie": movie_object(cat, tmdb_id)}
            for n, tmdb_id in enumerate(picks[11:14])
        ]  # fmt: skip
        if show is not None:
            eps = _episodes(cat, show)
            self.history += [
                {"watched_at": ago(10 - n), "action": "watch", "type": "episode",
                 "episode": episode_object(show, s, e), "show": show_object(cat, show)}
                for n, (s, e) in enumerate(eps[:2])
            ]  # fmt: skip
            if len(eps) > 2:
                s, e = eps[2]
                self.playback.append(
                    {"progress": 42.5, "paused_at": ago(1), "type": "episode",
                     "episode": episode_object(show, s, e), "show": show_object(cat, show)}
                )  # fmt: skip
        stamp = iso(now - timedelta(days=1))
        self.activity = {"watched": stamp, "paused": stamp, "rated": stamp, "watchlist": stamp}
        self._ids = 0
        for section in (self.watchlist, self.history, self.playback):
            for item in section:
                item["id"] = self.next_id()

    def next_id(self) -> int:
        self._ids += 1
        return 1000 + self._ids
