"""A seeded synthetic movie catalogue that answers like TMDB v3 and YTS v2.

Only index arrays are built up front (ids, and lazily the sort orders of the lists);
every record is generated on demand from (seed, id), so 100,000 movies construct in well
under a second and the same seed always gives the same bodies.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sandbox import eztv_records, tmdb_records, tv_records, vocab, yts_records
from sandbox.dirt import (
    HTML_KINDS,
    TMDB_DIRTY_KINDS,
    YTS_DIRTY_KINDS,
    DirtyRecord,
    dirty_details,
    dirty_torrents,
    pick_dirty,
)
from sandbox.errors import CatalogueError
from sandbox.randomness import (
    SALT_CHANGES,
    SALT_IDS,
    SALT_IMDB,
    SALT_TRENDING_DAY,
    SALT_TRENDING_WEEK,
    SALT_UPCOMING,
    SALT_YTS,
    mix,
    rng,
    unit,
)
from sandbox.yts_records import DEFAULT_YTS_BASE

PAGE_SIZE = 20
MAX_PAGE = 500
CHANGES_PAGE_SIZE = 100
DAILY_CHANGE_SHARE = 0.02  # share of ids the changes feeds name per day (the default knob)
MIN_MOVIES, MAX_MOVIES = 10, 100_000
MIN_SHOWS, MAX_SHOWS = 5, 20_000
TV_LIST_NAMES = ("popular", "top_rated", "trending_day", "trending_week")
NO_SHOW_IMDB_SHARE = 0.05
NO_IMDB_SHARE = 0.03
NO_TORRENTS_SHARE = 0.10

LIST_NAMES = ("popular", "top_rated", "now_playing", "upcoming", "trending_day", "trending_week")
YTS_SORT_KEYS = (
    "date_added", "title", "year", "rating", "peers", "seeds", "download_count", "like_count",
)  # fmt: skip

_IMDB_MODULUS = 40_000_000
_IMDB_MULTIPLIER = 7_654_321  # odd, not a multiple of 5: a bijection modulo 4e7
_IMDB_FLOOR = 100_000
_IMDB_RE = re.compile(r"^tt(\d{7,9})$")


__all__ = [
    "HTML_KINDS",
    "LIST_NAMES",
    "TMDB_DIRTY_KINDS",
    "YTS_DIRTY_KINDS",
    "DirtyRecord",
    "SyntheticCatalogue",
]


class SyntheticCatalogue:
    """``movies`` existing TMDB movies (10..100,000), deterministic for ``seed``; ``shows``
    TV shows (5..20,000; default a tenth of the movies)."""

    def __init__(
        self,
        movies: int,
        seed: int = 42,
        *,
        shows: int | None = None,
        dirty_rate: float = 0.0,
        extra_torrents: dict[str, list[dict[str, Any]]] | None = None,
        torrent_files: dict[str, bytes] | None = None,
    ) -> None:
        if isinstance(movies, bool) or not isinstance(movies, int):
            raise CatalogueError(f"movies must be an int, got {movies!r}")
        if not MIN_MOVIES <= movies <= MAX_MOVIES:
            raise CatalogueError(f"movies must be {MIN_MOVIES}..{MAX_MOVIES}, got {movies}")
        if not 0.0 <= dirty_rate <= 1.0:
            raise CatalogueError(f"dirty_rate must be within 0..1, got {dirty_rate}")
        self.movies = movies
        self.seed = seed
        self.dirty_rate = dirty_rate
        n_missing = max(1, movies // 100)
        max_id = max(1_300_000, (movies + n_missing) * 13)
        drawn = rng(seed, SALT_IDS).sample(range(2, max_id), movies + n_missing)
        self.tmdb_ids: list[int] = sorted(drawn[:movies])
        self.missing_ids: list[int] = sorted(drawn[movies:])
        self._existing = frozenset(self.tmdb_ids)
        self._universe = sorted(drawn)
        n_shows = max(MIN_SHOWS, movies // 10) if shows is None else shows
        if isinstance(n_shows, bool) or not isinstance(n_shows, int):
            raise CatalogueError(f"shows must be an int, got {shows!r}")
        if not MIN_SHOWS <= n_shows <= MAX_SHOWS:
            raise CatalogueError(f"shows must be {MIN_SHOWS}..{MAX_SHOWS}, got {n_shows}")
        self.tv_ids: list[int] = sorted(rng(seed, SALT_IDS, 2).sample(range(1, 300_000), n_shows))
        self._tv_existing = frozenset(self.tv_ids)
        self._tv_orders: dict[str, list[int]] = {}
        self._tv_by_imdb: dict[int, int] | None = None
        self._imdb_offset = mix(seed, SALT_IMDB) % _IMDB_MODULUS
        self._imdb_inverse = pow(_IMDB_MULTIPLIER, -1, _IMDB_MODULUS)
        self._orders: dict[str, list[int]] = {}
        self._yts_orders: dict[str, list[int]] = {}
        self._yts_rank: dict[int, int] | None = None
        self._dirty: dict[int, str] = {}
        if dirty_rate > 0:
            self._dirty = pick_dirty(seed, self.tmdb_ids, dirty_rate, self._has_own_yts)
        self._extra: dict[str, list[dict[str, Any]]] = {}
        self._eztv_extra: dict[int, list[dict[str, Any]]] = {}
        self._files: dict[str, bytes] = {}
        for imdb_id, extra in (extra_torrents or {}).items():
            self.add_torrents(imdb_id, extra)
        for hash_hex, blob in (torrent_files or {}).items():
            self._files[hash_hex.upper()] = blob
        # Knobs of the changes feeds: the daily background share, and titles touched on
        # purpose (named by the feed on that day; their details show a new revision).
        self.change_rate = DAILY_CHANGE_SHARE
        self._touched: dict[tuple[str, date], set[int]] = {}
        self._revisions: dict[tuple[str, int], int] = {}

    # --- ids -----------------------------------------------------------------------------
    def exists(self, tmdb_id: int) -> bool:
        return tmdb_id in self._existing

    def imdb_id_of(self, tmdb_id: int) -> str | None:
        """The movie's IMDb id, or None (unknown movie, or one of the ~3% without)."""
        if tmdb_id not in self._existing or unit(self.seed, tmdb_id, SALT_IMDB) < NO_IMDB_SHARE:
            return None
        n = (tmdb_id * _IMDB_MULTIPLIER + self._imdb_offset) % _IMDB_MODULUS + _IMDB_FLOOR
        return f"tt{n:07d}"

    def tmdb_id_of(self, imdb_id: str) -> int | None:
        """Inverse of ``imdb_id_of``; None when no movie has that IMDb id."""
        match = _IMDB_RE.match(imdb_id.strip().lower())
        if not match:
            return None
        n = int(match.group(1)) - _IMDB_FLOOR
        tmdb_id = ((n - self._imdb_offset) * self._imdb_inverse) % _IMDB_MODULUS
        return tmdb_id if self.imdb_id_of(tmdb_id) == imdb_id.strip().lower() else None

    def demo_imdb_ids(self, k: int) -> list[str]:
        """``k`` stable IMDb ids of clean, existing movies: the most popular ones."""
        out: list[str] = []
        for tmdb_id in self._order("popular"):
            imdb_id = self.imdb_id_of(tmdb_id)
            if imdb_id and tmdb_id not in self._dirty:
                out.append(imdb_id)
                if len(out) == k:
                    return out
        raise CatalogueError(f"only {len(out)} demo movies available, {k} asked")

    # --- TMDB ----------------------------------------------------------------------------
    def movie(self, tmdb_id: int, language: str = "en") -> dict[str, Any] | None:
        """Full details with translations, images and external_ids; None -> 404."""
        if tmdb_id not in self._existing:
            return None
        body = tmdb_records.details(self.seed, tmdb_id, self.imdb_id_of(tmdb_id), language)
        dirty_details(body, self._dirty.get(tmdb_id))
        self._revise(body, "movie", tmdb_id)
        return body

    def list_page(self, name: str, page: int, language: str = "en") -> dict[str, Any]:
        """One page (20 results) of a TMDB movie list; ``trending_day``/``trending_week``."""
        name = {"trending": "trending_day"}.get(name, name)
        if name not in LIST_NAMES:
            raise CatalogueError(f"unknown list {name!r}; expected one of {LIST_NAMES}")
        if not 1 <= page <= MAX_PAGE:
            raise CatalogueError(f"page must be 1..{MAX_PAGE}, got {page}")
        order = self._order(name)
        start = (page - 1) * PAGE_SIZE
        results = [
            tmdb_records.summary(self.seed, i, language) for i in order[start : start + PAGE_SIZE]
        ]
        if name.startswith("trending"):
            for result in results:
                result["media_type"] = "movie"
        body: dict[str, Any] = {}
        if name in ("now_playing", "upcoming"):
            ref = tmdb_records.REFERENCE_DATE
            low, high = (ref - timedelta(days=40), ref) if name == "now_playing" else (ref, ref)
            body["dates"] = {
                "maximum": (high + timedelta(days=21)).isoformat(),
                "minimum": low.isoformat(),
            }
        body.update(
            page=page,
            results=results,
            total_pages=min(math.ceil(len(order) / PAGE_SIZE), MAX_PAGE),
            total_results=len(order),
        )
        return body

    def genres(self, language: str = "en") -> dict[str, Any]:
        spanish = tmdb_records.split_language(language)[0] == "es"
        return {
            "genres": [
                {"id": gid, "name": es if spanish else en}
                for gid, (en, es, _yts) in vocab.MOVIE_GENRES.items()
            ]
        }

    def tv_genres(self, language: str = "en") -> dict[str, Any]:
        spanish = tmdb_records.split_language(language)[0] == "es"
        return {
            "genres": [
                {"id": gid, "name": es if spanish else en}
                for gid, (en, es) in vocab.TV_GENRES.items()
            ]
        }

    def configuration(self) -> dict[str, Any]:
        return {
            "change_keys": list(vocab.CHANGE_KEYS),
            "images": {
                "base_url": "http://image.tmdb.org/t/p/",
                "secure_base_url": "https://image.tmdb.org/t/p/",
                **{key: list(sizes) for key, sizes in vocab.IMAGE_SIZES.items()},
            },
        }

    def touch(self, ids: Iterable[int], *, kind: str = "movie", on: date | None = None) -> None:
        """Change titles now: the ``kind`` ("movie" | "tv") changes feed names ``ids`` on
        day ``on`` (default: today, UTC) and their details carry a new revision."""
        if kind not in ("movie", "tv"):
            raise CatalogueError(f"kind must be 'movie' or 'tv', got {kind!r}")
        day = on or datetime.now(UTC).date()
        bucket = self._touched.setdefault((kind, day), set())
        for tmdb_id in ids:
            bucket.add(tmdb_id)
            self._revisions[(kind, tmdb_id)] = self._revisions.get((kind, tmdb_id), 0) + 1

    def revision(self, tmdb_id: int, kind: str = "movie") -> int:
        """How many times :meth:`touch` changed the title (0: as generated)."""
        return self._revisions.get((kind, tmdb_id), 0)

    def _revise(self, body: dict[str, Any], kind: str, tmdb_id: int) -> None:
        revision = self._revisions.get((kind, tmdb_id), 0)
        if revision:
            body["overview"] = f"{body.get('overview') or ''} (revision {revision})".strip()
            body["vote_count"] = int(body.get("vote_count") or 0) + revision

    def _changed_ids(self, kind: str, universe: list[int], start: date, end: date) -> list[int]:
        per_day = math.floor(len(universe) * self.change_rate + 1e-9)
        if self.change_rate > 0:
            per_day = min(len(universe), max(1, per_day))
        changed: set[int] = set()
        day = start
        while day <= end:
            if per_day:
                parts = (day.toordinal(),) if kind == "movie" else (day.toordinal(), 2)
                changed.update(rng(self.seed, SALT_CHANGES, *parts).sample(universe, per_day))
            changed.update(self._touched.get((kind, day), ()))
            day += timedelta(days=1)
        return sorted(changed)

    def changes(self, start: date, end: date, page: int) -> dict[str, Any]:
        """``/3/movie/changes``: ~2% of ids change per day; 100 results a page."""
        ids = self._changed_ids("movie", self._universe, start, end)
        chunk = ids[(page - 1) * CHANGES_PAGE_SIZE : page * CHANGES_PAGE_SIZE]
        return {
            "results": [{"id": i, "adult": False if i in self._existing else None} for i in chunk],
            "page": page,
            "total_pages": math.ceil(len(ids) / CHANGES_PAGE_SIZE),
            "total_results": len(ids),
        }

    def tv_changes(self, start: date, end: date, page: int) -> dict[str, Any]:
        """``/3/tv/changes``: the same shape and knobs as the movie feed, over the shows."""
        ids = self._changed_ids("tv", self.tv_ids, start, end)
        chunk = ids[(page - 1) * CHANGES_PAGE_SIZE : page * CHANGES_PAGE_SIZE]
        return {
            "results": [{"id": i, "adult": False} for i in chunk],
            "page": page,
            "total_pages": math.ceil(len(ids) / CHANGES_PAGE_SIZE),
            "total_results": len(ids),
        }

    # --- TMDB TV ------------------------------------------------------------------------------
    def show_imdb_id(self, tv_id: int) -> str | None:
        """The show's IMDb id (``tt`` + 8 digits), or None (unknown show, ~5 % without)."""
        if tv_id not in self._tv_existing:
            return None
        if unit(self.seed, tv_id, SALT_IMDB, 2) < NO_SHOW_IMDB_SHARE:
            return None
        n = (tv_id * _IMDB_MULTIPLIER + self._imdb_offset) % 10_000_000 + 50_000_000
        return f"tt{n}"

    def tv_id_of_imdb(self, imdb_id: str) -> int | None:
        """The show with that IMDb id (``tt`` optional, EZTV sends digits only), or None."""
        if self._tv_by_imdb is None:
            pairs = ((self.show_imdb_id(i), i) for i in self.tv_ids)
            self._tv_by_imdb = {int(imdb[2:]): i for imdb, i in pairs if imdb}
        digits = imdb_id.strip().lower().removeprefix("tt")
        if not (digits.isascii() and digits.isdigit()) or len(digits) > 10:
            return None
        return self._tv_by_imdb.get(int(digits))

    def tv_show(self, tv_id: int, language: str = "en") -> dict[str, Any] | None:
        """``/3/tv/{id}`` with external_ids, translations and images; None -> 404."""
        if tv_id not in self._tv_existing:
            return None
        body = tv_records.tv_show(self.seed, tv_id, self.show_imdb_id(tv_id), language)
        self._revise(body, "tv", tv_id)
        return body

    def tv_season(self, tv_id: int, season_number: int) -> dict[str, Any] | None:
        """``/3/tv/{id}/season/{n}``; None when the show or the season does not exist."""
        if tv_id not in self._tv_existing:
            return None
        return tv_records.tv_season(self.seed, tv_id, season_number)

    def tv_list_page(self, name: str, page: int, language: str = "en") -> dict[str, Any]:
        """One page (20 results) of ``/3/tv/{popular|top_rated}`` or ``/3/trending/tv/..``."""
        name = {"trending": "trending_week"}.get(name, name)
        if name not in TV_LIST_NAMES:
            raise CatalogueError(f"unknown TV list {name!r}; expected one of {TV_LIST_NAMES}")
        if not 1 <= page <= MAX_PAGE:
            raise CatalogueError(f"page must be 1..{MAX_PAGE}, got {page}")
        order = self._tv_orders.get(name)
        if order is None:
            order = self._build_tv_order(name)
            self._tv_orders[name] = order
        start = (page - 1) * PAGE_SIZE
        chunk = order[start : start + PAGE_SIZE]
        results = [tv_records.summary(self.seed, i, language) for i in chunk]
        if name.startswith("trending"):
            for result in results:
                result["media_type"] = "tv"
        return {
            "page": page,
            "results": results,
            "total_pages": min(math.ceil(len(order) / PAGE_SIZE), MAX_PAGE),
            "total_results": len(order),
        }

    def _build_tv_order(self, name: str) -> list[int]:
        seed, ids = self.seed, self.tv_ids
        if name == "popular":
            return sorted(ids, key=lambda i: (-tv_records.popularity(seed, i), i))
        if name == "top_rated":
            return sorted(ids, key=lambda i: (-tv_records.votes(seed, i)[0], i))
        shuffled = list(ids)
        salt = SALT_TRENDING_DAY if name == "trending_day" else SALT_TRENDING_WEEK
        rng(seed, salt, 2).shuffle(shuffled)
        return shuffled

    # --- EZTV ----------------------------------------------------------------------------
    def eztv_torrents(
        self, imdb_id: str, base_url: str = eztv_records.DEFAULT_EZTV_BASE
    ) -> list[dict[str, Any]]:
        """Every EZTV torrent of the show with that IMDb id, newest first (empty: none)."""
        tv_id = self.tv_id_of_imdb(imdb_id)
        if tv_id is None:
            return []
        if tv_id in self._eztv_extra:  # injected torrents replace the synthetic listing
            return [dict(t) for t in self._eztv_extra[tv_id]]
        imdb = self.show_imdb_id(tv_id)
        assert imdb is not None
        return eztv_records.show_torrents(self.seed, tv_id, imdb[2:], base_url)

    def add_eztv_torrents(
        self, tv_id: int, torrents: list[dict[str, Any]], files: dict[str, bytes] | None = None
    ) -> None:
        """Make ``torrents`` (EZTV-shaped, e.g. the local seeder's) the show's whole EZTV
        listing, newest first: no synthetic torrent (whose hash no peer seeds) outranks them.
        ``files`` are the ``.torrent`` bytes per hash, served like YTS downloads."""
        if self.show_imdb_id(tv_id) is None:
            raise CatalogueError(f"no show {tv_id!r} with an IMDb id in this catalogue")
        for torrent in torrents:
            if not isinstance(torrent.get("hash"), str):
                raise CatalogueError(f"extra torrent for show {tv_id} has no hash: {torrent!r}")
        listed = self._eztv_extra.setdefault(tv_id, [])
        listed.extend(dict(t) for t in torrents)
        listed.sort(key=lambda t: -int(t.get("date_released_unix") or 0))
        for hash_hex, blob in (files or {}).items():
            self._files[hash_hex.upper()] = blob

    # --- YTS -----------------------------------------------------------------------------
    def on_yts(self, tmdb_id: int) -> bool:
        """Whether YTS lists the movie (synthetic torrents or injected extra ones)."""
        imdb_id = self.imdb_id_of(tmdb_id)
        return imdb_id is not None and (imdb_id in self._extra or self._has_own_torrents(tmdb_id))

    def _has_own_yts(self, tmdb_id: int) -> bool:
        return self.imdb_id_of(tmdb_id) is not None and self._has_own_torrents(tmdb_id)

    def _has_own_torrents(self, tmdb_id: int) -> bool:
        return unit(self.seed, tmdb_id, SALT_YTS) >= NO_TORRENTS_SHARE

    def yts_torrents(self, imdb_id: str, base_url: str = DEFAULT_YTS_BASE) -> list[dict[str, Any]]:
        """The movie's YTS torrents (empty: YTS does not have it). Dirt applied."""
        tmdb_id = self.tmdb_id_of(imdb_id)
        if tmdb_id is None:
            return []
        return self._torrents(tmdb_id, imdb_id.strip().lower(), None, base_url)

    def _torrents(
        self, tmdb_id: int, imdb_id: str, core: tmdb_records.MovieCore | None, base_url: str
    ) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        if self._has_own_torrents(tmdb_id):
            core = core or tmdb_records.movie_core(self.seed, tmdb_id)
            out = yts_records.torrents(self.seed, core, base_url)
            dirty_torrents(out, self._dirty.get(tmdb_id))
        for extra in self._extra.get(imdb_id, ()):
            torrent = dict(extra)
            torrent.setdefault("url", f"{base_url}/torrent/download/{torrent['hash'].upper()}")
            out.append(torrent)
        return out

    def yts_movie(self, imdb_id: str, base_url: str = DEFAULT_YTS_BASE) -> dict[str, Any] | None:
        """The ``list_movies.json`` movie object, or None when YTS does not have the movie."""
        tmdb_id = self.tmdb_id_of(imdb_id)
        return None if tmdb_id is None else self.yts_movie_of(tmdb_id, base_url)

    def yts_movie_of(self, tmdb_id: int, base_url: str = DEFAULT_YTS_BASE) -> dict[str, Any] | None:
        """``yts_movie`` by TMDB id (what the list_movies route uses)."""
        imdb_id = self.imdb_id_of(tmdb_id)
        if imdb_id is None:
            return None
        core = tmdb_records.movie_core(self.seed, tmdb_id)
        torrents = self._torrents(tmdb_id, imdb_id, core, base_url)
        if not torrents:
            return None
        yts_id = self._yts_ranks()[tmdb_id]
        return yts_records.movie_object(self.seed, core, imdb_id, yts_id, torrents, base_url)

    def yts_search(
        self,
        *,
        query_term: str = "",
        quality: str = "all",
        minimum_rating: int = 0,
        sort_by: str = "date_added",
        order_by: str = "desc",
    ) -> list[int]:
        """TMDB ids of the YTS movies matching, in the order YTS lists them."""
        if sort_by not in YTS_SORT_KEYS:
            raise CatalogueError(f"unknown sort_by {sort_by!r}")
        term = query_term.strip().lower()
        if _IMDB_RE.match(term):
            tmdb_id = self.tmdb_id_of(term)
            ids = [tmdb_id] if tmdb_id is not None and self.on_yts(tmdb_id) else []
        else:
            ids = self._yts_order(sort_by)
            if order_by == "desc":
                ids = ids[::-1]
            words = [w for w in term.split() if w != "0"]
            if words:
                ids = [
                    i
                    for i in ids
                    if all(w in tmdb_records.title_of(self.seed, i).lower() for w in words)
                ]
        if quality.lower() != "all":
            ids = [i for i in ids if self._has_quality(i, quality)]
        if minimum_rating > 0:
            ids = [i for i in ids if tmdb_records.vote_average(self.seed, i) >= minimum_rating]
        return ids

    def _has_quality(self, tmdb_id: int, quality: str) -> bool:
        if self._has_own_torrents(tmdb_id) and yts_records.matches_quality(
            self.seed, tmdb_id, quality
        ):
            return True
        extras = self._extra.get(self.imdb_id_of(tmdb_id) or "", ())
        return any(t.get("quality", "").lower() == quality.lower() for t in extras)

    def add_torrents(
        self, imdb_id: str, torrents: list[dict[str, Any]], files: dict[str, bytes] | None = None
    ) -> None:
        """Inject real torrents (e.g. the local seeder's) for an existing movie."""
        key = imdb_id.strip().lower()
        if self.tmdb_id_of(key) is None:
            raise CatalogueError(f"no movie with IMDb id {imdb_id!r} in this catalogue")
        for torrent in torrents:
            if not isinstance(torrent.get("hash"), str):
                raise CatalogueError(f"extra torrent for {imdb_id} has no hash: {torrent!r}")
        self._extra.setdefault(key, []).extend(dict(t) for t in torrents)
        for hash_hex, blob in (files or {}).items():
            self._files[hash_hex.upper()] = blob
        self._yts_orders.clear()
        self._yts_rank = None

    def torrent_file(self, info_hash: str) -> bytes | None:
        """Bytes of a .torrent registered through ``torrent_files``/``add_torrents``."""
        return self._files.get(info_hash.upper())

    # --- dirt ----------------------------------------------------------------------------
    def dirty_kind(self, tmdb_id: int) -> str | None:
        return self._dirty.get(tmdb_id)

    def dirty_ids(self) -> list[DirtyRecord]:
        """Every record made dirty, with its kind (see TMDB_/YTS_DIRTY_KINDS)."""
        return [
            DirtyRecord(kind, kind.split("_", 1)[0], i, self.imdb_id_of(i))
            for i, kind in sorted(self._dirty.items())
        ]

    # --- lazily built orders --------------------------------------------------------------
    def _order(self, name: str) -> list[int]:
        order = self._orders.get(name)
        if order is None:
            order = self._build_order(name)
            self._orders[name] = order
        return order

    def _build_order(self, name: str) -> list[int]:
        seed, ids = self.seed, self._universe
        if name == "popular":
            return sorted(ids, key=lambda i: (-tmdb_records.popularity(seed, i), i))
        if name == "top_rated":
            keyed = [(tmdb_records.votes(seed, i), i) for i in ids]
            keyed.sort(key=lambda item: (-item[0][1], -item[0][0], item[1]))
            return [i for _, i in keyed]
        if name == "now_playing":
            return sorted(ids, key=lambda i: (-tmdb_records.release_ordinal(seed, i), i))
        salt = {
            "upcoming": SALT_UPCOMING,
            "trending_day": SALT_TRENDING_DAY,
            "trending_week": SALT_TRENDING_WEEK,
        }[name]
        shuffled = list(ids)
        rng(seed, salt).shuffle(shuffled)
        return shuffled

    def _yts_order(self, sort_by: str) -> list[int]:
        """YTS movies in ascending ``sort_by`` order (cached per key)."""
        order = self._yts_orders.get(sort_by)
        if order is None:
            seed = self.seed
            ids = [i for i in self.tmdb_ids if self.on_yts(i)]
            keys: dict[str, Any] = {
                "date_added": lambda i: yts_records.upload_unix(seed, i),
                "title": lambda i: tmdb_records.title_of(seed, i),
                "year": lambda i: tmdb_records.release_ordinal(seed, i),
                "rating": lambda i: tmdb_records.vote_average(seed, i),
                "peers": lambda i: yts_records.swarm(seed, i),
                "seeds": lambda i: yts_records.swarm(seed, i),
                "download_count": lambda i: tmdb_records.popularity(seed, i),
                "like_count": lambda i: tmdb_records.popularity(seed, i),
            }
            key = keys[sort_by]
            order = sorted(ids, key=lambda i: (key(i), i))
            self._yts_orders[sort_by] = order
        return order

    def _yts_ranks(self) -> dict[int, int]:
        """YTS's own movie ids: 1.. in upload order."""
        if self._yts_rank is None:
            self._yts_rank = {i: n for n, i in enumerate(self._yts_order("date_added"), 1)}
        return self._yts_rank
