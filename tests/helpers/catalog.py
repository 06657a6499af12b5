"""Build small, realistic marts in a real DuckDB warehouse, and publish them.

``fill_sample_marts`` writes a hand-made catalogue (seven movies, genres in en/es,
translations, images, the three lists, ranked sources with c_* components, secrets in
the shapes YTS sends: upper-case hashes, magnets, torrent URLs). ``fill_synthetic_marts``
writes N generated movies with K sources each, in SQL, for the scale and crash tests.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from core.crypto import FieldCipher
from warehouse.db import connect_warehouse
from warehouse.encryption import warehouse_key
from warehouse.publish import PublishSummary, publish_catalog
from warehouse.schema import MART_DDL, TV_MART_DDL

TEST_SECRET = b"test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
# The warehouse key of TEST_SECRET (warehouse files the helpers build are encrypted).
TEST_KEYS = [warehouse_key(TEST_SECRET)]
IMAGE_BASE = "https://image.tmdb.org/t/p/"
COMPONENTS = (
    "resolution", "codec", "source", "bit_depth", "audio", "bitrate", "health", "repack",
    "3d", "age", "reliability",
)  # fmt: skip


def info_hash(label: str) -> str:
    """A deterministic upper-case 40-hex info hash (YTS sends upper case)."""
    return hashlib.sha1(label.encode()).hexdigest().upper()  # noqa: S324 - test data


@dataclass
class SampleSource:
    tmdb_id: int
    quality: str
    resolution: int
    codec: str
    source_type: str | None
    bit_depth: int | None
    audio_channels: float | None
    size_bytes: int
    seeds: int
    peers: int
    score_web: float | None
    score_tv: float | None
    rank_web: int | None
    rank_tv: int | None
    is_3d: bool = False
    is_repack: bool = False
    with_torrent_url: bool = True
    label: str = ""
    info_hash: str = ""
    magnet: str = ""
    torrent_url: str | None = None
    components: dict[str, float] = field(default_factory=dict)
    stalls_7d: int = 0
    failures_7d: int = 0
    engine_peers_7d: int = 0
    available: bool = True
    unavailable_reason: str | None = None
    reliability_note: str | None = None

    def __post_init__(self) -> None:
        self.label = self.label or f"{self.tmdb_id}-{self.quality}-{self.codec}"
        self.info_hash = info_hash(self.label)
        self.magnet = (
            f"magnet:?xt=urn:btih:{self.info_hash}&dn=Movie+{self.tmdb_id}+{self.quality}"
            "&tr=udp%3A%2F%2Ftracker.opentrackr.org%3A1337%2Fannounce"
        )
        self.torrent_url = (
            f"https://yts.example/torrent/download/{self.info_hash}"
            if self.with_torrent_url
            else None
        )
        base = {"2160p": 40.0, "1080p": 30.0, "720p": 20.0, "480p": 5.0, "3D": 25.0}
        self.components = {
            name: round(base.get(self.quality, 10.0) / (i + 1), 3)
            for i, name in enumerate(COMPONENTS)
        }
        self.components["reliability"] = 0.0


@dataclass
class SampleMarts:
    movies: dict[int, str]
    sources: list[SampleSource]
    run_id: str = ""

    def secrets(self) -> list[str]:
        """Every plaintext secret, in every case a client or a file might carry it."""
        out: list[str] = []
        for source in self.sources:
            out += [source.info_hash, source.info_hash.lower(), source.magnet]
            if source.torrent_url:
                out.append(source.torrent_url)
        return out

    def sources_for(self, tmdb_id: int) -> list[SampleSource]:
        return [source for source in self.sources if source.tmdb_id == tmdb_id]


# tmdb_id, imdb, title, original, lang, year, popularity, vote, votes, poster, backdrop, genres
_MOVIES: tuple[tuple[Any, ...], ...] = (
    (550, "tt0137523", "Fight Club", "Fight Club", "en", 1999, 61.4, 8.4, 30000,
     "/pB8BM7pdSp6B6Ih7QZ4DrQ3PmJK.jpg", "/b9HyPoxwxjxkWEUL5ErZdhApQe2.jpg", (18,)),
    (155, "tt0468569", "The Dark Knight", "The Dark Knight", "en", 2008, 90.1, 8.5, 33000,
     "/qJ2tW6WMUDux911r6m7haRef0WH.jpg", "/nMKdUUepR0i5zn0y1T4CsSB5chy.jpg", (28, 80, 18)),
    (278, "tt0111161", "The Shawshank Redemption", "The Shawshank Redemption", "en", 1994,
     80.2, 8.7, 27000, "/9cqNxx0GxF0bflZmeSMuL5tnGzr.jpg", None, (18, 80)),
    (238, "tt0068646", "The Godfather", "The Godfather", "en", 1972, 70.0, 8.7, 20000,
     "/3bhkrj58Vtu7enYsRolD1fZdja1.jpg", "/tmU7GeKVybMWFButWEGl2M4GeiP.jpg", (18, 80)),
    (299536, "tt4154756", "Avengers: Infinity War", "Avengers: Infinity War", "en", 2018,
     150.5, 8.2, 29000, "/7WsyChQLEftFiDOVTGkv3hFpyyt.jpg", None, (12, 28, 878)),
    (1184918, "tt9999991", "Ocean's 100% Heist_", "Ocean's 100% Heist_", "en", 2024, 5.5,
     6.1, 120, None, None, (35,)),
    (194, "tt0211915", "Amélie", "Le Fabuleux Destin d'Amélie Poulain", "fr", 2001, 30.0,
     7.9, 11000, "/nSxDa3M9aMvGVLoItzWTepQ5h5d.jpg", None, (35, 10749)),
)  # fmt: skip

GENRES = {
    18: ("Drama", "Drama"),
    28: ("Action", "Acción"),
    80: ("Crime", "Crimen"),
    12: ("Adventure", "Aventura"),
    878: ("Science Fiction", "Ciencia ficción"),
    35: ("Comedy", "Comedia"),
    10749: ("Romance", None),  # no Spanish name: falls back to English
}

TRANSLATIONS = (
    (550, "en", "US", "", "A ticking-time-bomb insomniac...", "Mischief. Mayhem. Soap."),
    (550, "es", "ES", "El club de la lucha", "Un joven sin ilusiones...", None),
    (550, "es", "MX", "El club de la pelea", "Un joven hastiado...", None),
    (155, "es", "ES", "El caballero oscuro", "Batman se enfrenta al Joker.", None),
    (194, "de", "DE", "Die fabelhafte Welt der Amélie", "Amélie hilft anderen.", None),
    (194, "es", "ES", "Amélie", "Amélie ayuda a los demás.", None),
    (278, "es", "ES", "Cadena perpetua", "Un banquero condenado...", None),
)

LISTS = {
    "popular": (299536, 155, 550, 278),
    "top_rated": (278, 238, 155, 550),
    "trending": (1184918, 299536),
}


def sample_sources() -> list[SampleSource]:
    s = SampleSource
    return [
        # 550: web plays x264 only; tv plays everything but 3D.
        s(550, "1080p", 1080, "x264", "bluray", 8, 6.0, 2_200_000_000, 900, 120,
          82.0, 75.0, 1, 2),
        s(550, "2160p", 2160, "x265", "bluray", 10, 6.0, 6_500_000_000, 300, 40,
          None, 91.0, None, 1),
        s(550, "720p", 720, "x264", "web", 8, 2.0, 1_000_000_000, 1500, 200,
          64.0, 60.0, 2, 3, is_repack=True),
        s(155, "1080p", 1080, "x264", "bluray", 8, 6.0, 2_600_000_000, 700, 90,
          80.0, 74.0, 1, 1),
        s(155, "720p", 720, "x264", "bluray", 8, 2.0, 1_200_000_000, 100, 10,
          55.0, 50.0, 2, 2, with_torrent_url=False),
        s(278, "1080p", 1080, "x265", "web", 10, 6.0, 1_800_000_000, 50, 5,
          None, 70.0, None, 1, with_torrent_url=False),
        s(238, "3D", 1080, "x264", "bluray", 8, 6.0, 3_000_000_000, 20, 3,
          None, None, None, None, is_3d=True),
        s(299536, "2160p", 2160, "x265", "web", 10, 6.0, 7_000_000_000, 2000, 500,
          None, 95.0, None, 1),
        s(299536, "1080p", 1080, "x264", "web", 8, 6.0, 2_500_000_000, 4000, 800,
          88.0, 80.0, 1, 2),
    ]  # fmt: skip


def create_marts(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(MART_DDL + TV_MART_DDL)  # TV marts empty unless a test fills them


def _fill_config(con: duckdb.DuckDBPyConnection, base_url: str) -> None:
    con.executemany(
        "INSERT INTO mart_config VALUES (?, ?)",
        [
            ("image_base_url", base_url),
            ("poster_sizes", json.dumps(["w92", "w154", "w185", "w342", "w500", "original"])),
            ("backdrop_sizes", json.dumps(["w300", "w780", "w1280", "original"])),
        ],
    )


def fill_sample_marts(
    con: duckdb.DuckDBPyConnection, *, title_suffix: str = "", base_url: str = IMAGE_BASE
) -> SampleMarts:
    """(Re)create the marts and fill them with the hand-made sample catalogue."""
    create_marts(con)
    _fill_config(con, base_url)
    con.executemany(
        "INSERT INTO mart_genres VALUES (?, ?, ?)",
        [(gid, "en", en) for gid, (en, _) in GENRES.items()]
        + [(gid, "es", es) for gid, (_, es) in GENRES.items() if es],
    )
    sources = sample_sources()
    fetched = datetime(2025, 1, 2, 3, 4, 5)
    for (
        tmdb_id,
        imdb,
        title,
        original,
        lang,
        year,
        pop,
        vote,
        votes,
        poster,
        backdrop,
        gs,
    ) in _MOVIES:
        count = sum(1 for source in sources if source.tmdb_id == tmdb_id)
        con.execute(
            "INSERT INTO mart_movies VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
            " ?, ?)",
            (tmdb_id, imdb, title + title_suffix, original, lang, f"Overview of {title}.",
             f"Tagline of {title}.", f"{year}-06-15", year, 120, pop, vote, votes, poster,
             backdrop, "Released", count, fetched),
        )  # fmt: skip
        con.executemany("INSERT INTO mart_movie_genres VALUES (?, ?)", [(tmdb_id, g) for g in gs])
        if poster:
            con.execute(
                "INSERT INTO mart_images VALUES (?, 'poster', ?, 2000, 3000, 'en', 5.2)",
                (tmdb_id, poster),
            )
        if backdrop:
            con.execute(
                "INSERT INTO mart_images VALUES (?, 'backdrop', ?, 1920, 1080, NULL, 4.1)",
                (tmdb_id, backdrop),
            )
    con.executemany("INSERT INTO mart_translations VALUES (?, ?, ?, ?, ?, ?)", TRANSLATIONS)
    con.executemany(
        "INSERT INTO mart_list_members VALUES (?, ?, ?)",
        [(name, pos, tid) for name, ids in LISTS.items() for pos, tid in enumerate(ids, 1)],
    )
    for src in sources:
        imdb = next(m[1] for m in _MOVIES if m[0] == src.tmdb_id)
        con.execute(
            "INSERT INTO mart_sources VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
            " ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (src.info_hash.lower(), src.tmdb_id, imdb, src.quality, src.resolution, src.is_3d,
             src.source_type, src.codec, src.bit_depth, src.audio_channels, src.size_bytes,
             src.seeds, src.peers, datetime(2020, 5, 17, 12, 30), src.is_repack,
             src.size_bytes * 8 / 7200 / 1e6, src.torrent_url, src.magnet,
             *(src.components[name] for name in COMPONENTS),
             src.stalls_7d, src.failures_7d, src.engine_peers_7d, src.available,
             src.unavailable_reason, src.reliability_note,
             src.score_web, src.score_tv, src.rank_web, src.rank_tv),
        )  # fmt: skip
    return SampleMarts(movies={m[0]: m[2] + title_suffix for m in _MOVIES}, sources=sources)


def fill_synthetic_marts(
    con: duckdb.DuckDBPyConnection, movies: int, sources_per_movie: int = 4
) -> None:
    """(Re)create the marts with ``movies`` generated movies and K sources each (all SQL)."""
    create_marts(con)
    _fill_config(con, IMAGE_BASE)
    con.execute(
        "INSERT INTO mart_genres SELECT g, lang, 'Genre ' || g || ' ' || lang"
        " FROM range(1, 21) a(g), (VALUES ('en'), ('es')) b(lang)"
    )
    con.execute(
        f"""INSERT INTO mart_movies SELECT i, 'tt' || lpad(i::VARCHAR, 8, '0'),
            'Synthetic Movie ' || i, 'Original ' || i, 'en', 'Overview ' || i, NULL,
            DATE '1970-01-01' + CAST(i % 20000 AS INTEGER), 1970 + CAST(i % 55 AS INTEGER),
            90 + CAST(i % 60 AS INTEGER), (i * 7919 % 1000) / 10.0, (i % 100) / 10.0,
            CAST(i % 5000 AS INTEGER), '/p' || i || '.jpg', '/b' || i || '.jpg', 'Released',
            {sources_per_movie}, TIMESTAMP '2025-01-01 00:00:00'
            FROM range(1, {movies} + 1) t(i)"""
    )
    con.execute(
        "INSERT INTO mart_movie_genres SELECT i, CAST(1 + i % 20 AS INTEGER)"
        f" FROM range(1, {movies} + 1) t(i)"
    )
    con.execute(
        "INSERT INTO mart_translations SELECT i, 'es', 'ES', 'Película ' || i, 'Resumen', NULL"
        f" FROM range(1, {movies} + 1) t(i)"
    )
    con.execute(
        "INSERT INTO mart_images SELECT i, 'poster', '/p' || i || '.jpg', 2000, 3000, 'en', 5"
        f" FROM range(1, {movies} + 1) t(i)"
    )
    con.execute(
        "INSERT INTO mart_list_members SELECT 'popular', CAST(i AS INTEGER), i"
        f" FROM range(1, {min(movies, 500)} + 1) t(i)"
    )
    con.execute(
        f"""INSERT INTO mart_sources
            SELECT h, i, 'tt' || lpad(i::VARCHAR, 8, '0'), q, r, false, 'web', 'x264', 8, 2.0,
                   1000000000 + j, CAST(j * 10 AS INTEGER), 5, TIMESTAMP '2020-01-01 00:00:00',
                   false, 4.5, 'https://yts.example/torrent/download/' || upper(h),
                   'magnet:?xt=urn:btih:' || upper(h) || '&dn=Synthetic+' || i,
                   1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0, 0, 0, 0, true, NULL, NULL,
                   100 - j, 90 - j, CAST(j + 1 AS INTEGER), CAST(j + 1 AS INTEGER)
            FROM (SELECT i, j, substr(sha256(i::VARCHAR || '-' || j::VARCHAR), 1, 40) AS h,
                         ['720p', '1080p', '2160p', '480p'][1 + j % 4] AS q,
                         [720, 1080, 2160, 480][1 + j % 4] AS r
                  FROM range(1, {movies} + 1) a(i), range(0, {sources_per_movie}) b(j))"""
    )


def cipher() -> FieldCipher:
    return FieldCipher(TEST_SECRET)


def build_warehouse(path: Path, **kwargs: Any) -> SampleMarts:
    """A warehouse file with the sample marts (connection closed afterwards)."""
    con = connect_warehouse(path, TEST_KEYS)
    try:
        return fill_sample_marts(con, **kwargs)
    finally:
        con.close()


def publish_sample(
    catalog_path: Path,
    run_id: str = "run-1",
    field_cipher: FieldCipher | None = None,
    **kwargs: Any,
) -> tuple[SampleMarts, PublishSummary]:
    """Fill an in-memory warehouse with the sample marts and publish it to ``catalog_path``."""
    con = duckdb.connect()
    try:
        marts = fill_sample_marts(con, **kwargs)
        summary = publish_catalog(con, catalog_path, field_cipher or cipher(), run_id)
    finally:
        con.close()
    marts.run_id = run_id
    return marts, summary
