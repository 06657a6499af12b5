"""Shows, seasons, episodes and sealed show sources written straight into a catalog file
(schema 4), for the readers' tests while the TV pipeline is built in parallel.

``add_sample_shows`` adds a small hand-made TV catalogue to a catalog that already has the
schema (a published sample, or ``write_catalog``'s); ``add_show_source`` seals one source
with the ``show_sources`` associated data, exactly as publish must.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.catalog.contract import info_hash_hmac, secret_aad, source_id_for
from core.crypto import FieldCipher


def show_hash(label: str) -> str:
    return hashlib.sha1(label.encode()).hexdigest().upper()  # noqa: S324 - test data


@dataclass
class ShowSource:
    """One torrent of a show: a single episode, a season pack covering ``episodes``, or a
    run of episodes (the first of ``episodes`` .. ``last_episode``)."""

    show_id: int
    season: int
    episodes: dict[int, tuple[int | None, int | None]]  # episode -> (rank_web, rank_tv)
    release_name: str
    quality: str = "1080p"
    codec: str = "x264"
    source_type: str | None = "web"
    seeds: int = 100
    peers: int = 10
    size_bytes: int = 1_500_000_000
    available: bool = True
    unavailable_reason: str | None = None
    is_pack: bool = False
    last_episode: int | None = None
    file_hints: dict[int, str] = field(default_factory=dict)
    info_hash: str = ""
    magnet: str = ""
    torrent_url: str | None = None
    source_id: str = ""

    def __post_init__(self) -> None:
        self.info_hash = self.info_hash or show_hash(self.release_name)
        self.magnet = self.magnet or f"magnet:?xt=urn:btih:{self.info_hash}&dn=x"


def add_show_source(conn: sqlite3.Connection, cipher: FieldCipher, src: ShowSource) -> str:
    """Insert ``src`` into ``show_sources`` and ``episode_sources``; returns its id."""
    src.source_id = src.source_id or source_id_for(cipher, src.info_hash)
    sid = src.source_id
    only = None if src.is_pack else next(iter(src.episodes))
    conn.execute(
        "INSERT INTO show_sources (source_id, show_id, season_number, episode_number,"
        " last_episode_number, is_pack, release_name, quality, resolution, source_type,"
        " video_codec, release_group, is_repack, size_bytes, seeds, peers, uploaded_at,"
        " available, unavailable_reason, reliability_note, info_hash_hmac, info_hash_enc,"
        " magnet_enc, torrent_url_enc) VALUES"
        " (?,?,?,?,?,?,?,?,?,?,?,'GRP',0,?,?,?,'2024-01-02T00:00:00Z',?,?,NULL,?,?,?,?)",
        (sid, src.show_id, src.season, only, src.last_episode, int(src.is_pack),
         src.release_name, src.quality,
         int(src.quality.rstrip("p")), src.source_type, src.codec, src.size_bytes, src.seeds,
         src.peers, int(src.available), src.unavailable_reason,
         info_hash_hmac(cipher, src.info_hash),
         cipher.encrypt(src.info_hash, secret_aad("info_hash", sid, "show_sources")),
         cipher.encrypt(src.magnet, secret_aad("magnet", sid, "show_sources")),
         cipher.encrypt(src.torrent_url, secret_aad("torrent_url", sid, "show_sources"))
         if src.torrent_url else None),
    )  # fmt: skip
    for episode, (rank_web, rank_tv) in src.episodes.items():
        components = {"resolution": float(src.quality.rstrip("p")) / 100, "health": 5.0}
        conn.execute(
            "INSERT INTO episode_sources VALUES (?,?,?,?,?,?,?,?,?,?)",
            (src.show_id, src.season, episode, sid, src.file_hints.get(episode),
             json.dumps(components),
             None if rank_web is None else 100.0 - rank_web,
             None if rank_tv is None else 100.0 - rank_tv, rank_web, rank_tv),
        )  # fmt: skip
    return sid


# show id, name, original, year, popularity, vote, poster, backdrop, genres, seasons
# seasons: {number: [(episode, name, runtime), ...]}
SHOWS: dict[int, dict[str, Any]] = {
    1396: {"name": "Breaking Bad", "year": 2008, "popularity": 300.0, "vote": 8.9,
           "poster": "/ggFHVNu6YYI5L9pCfOacjizRGt.jpg",
           "backdrop": "/tsRy63Mu5cu8etL1X7ZLyf7UP1M.jpg",
           "genres": (18, 80),
           "seasons": {1: [(1, "Pilot", 58), (2, "Cat's in the Bag...", 48),
                           (3, "...And the Bag's in the River", 48)],
                       2: [(1, "Seven Thirty-Seven", 47), (2, "Grilled", 46)]}},
    66732: {"name": "Stranger Things", "year": 2016, "popularity": 250.0, "vote": 8.6,
            "poster": "/49WJfeN0moxb9IPfGn8AIqMGskD.jpg", "backdrop": None,
            "genres": (10765, 9648),
            "seasons": {1: [(1, "The Vanishing of Will Byers", 49),
                            (2, "The Weirdo on Maple Street", 56)]}},
    550: {"name": "Overlap Street", "year": 2020, "popularity": 5.0, "vote": 6.0,
          "poster": None, "backdrop": None, "genres": (18,),
          "seasons": {0: [(1, "Special", 20)], 1: [(1, "Opening", 30)]}},
}  # fmt: skip
TV_GENRES = {
    18: ("Drama", "Drama"),
    80: ("Crime", "Crimen"),
    10765: ("Sci-Fi & Fantasy", "Sci-Fi & Fantasy"),
    9648: ("Mystery", "Misterio"),
}
SHOW_LISTS = {"popular": (1396, 66732, 550), "top_rated": (1396,), "trending": (66732,)}


def sample_show_sources() -> list[ShowSource]:
    s = ShowSource
    return [
        # A pack ranked first on the web for S01E01..E03; E01's file is known by publish.
        s(1396, 1, {1: (1, 2), 2: (1, 2), 3: (1, 1)}, "Breaking.Bad.S01.1080p.BluRay.x264-GRP",
          source_type="bluray", is_pack=True, size_bytes=9_000_000_000,
          file_hints={1: "Breaking.Bad.S01.1080p/Breaking.Bad.S01E01.1080p.mkv"}),
        s(1396, 1, {1: (2, 3)}, "Breaking.Bad.S01E01.720p.WEB-DL.x264-GRP", quality="720p",
          torrent_url="https://eztv.example/torrent/bb101"),
        # x265 2160p: the web cannot play it (no web rank); the TV plays it first.
        s(1396, 1, {1: (None, 1)}, "Breaking.Bad.S01E01.2160p.WEB-DL.x265-GRP",
          quality="2160p", codec="x265"),
        s(1396, 1, {3: (None, None)}, "Breaking.Bad.S01E03.480p.HDTV.x264-OLD", quality="480p",
          source_type="hdtv", seeds=0, peers=0, available=False,
          unavailable_reason="no seeders"),
        s(1396, 2, {1: (1, 1)}, "Breaking.Bad.S02E01.720p.HDTV.x264-GRP", quality="720p",
          source_type="hdtv"),
        s(66732, 1, {1: (1, 1)}, "Stranger.Things.S01E01.1080p.WEB.x264-GRP"),
    ]  # fmt: skip


def add_sample_shows(path: Path, cipher: FieldCipher) -> list[ShowSource]:
    """Add the sample shows (lists, genres, translations, images, seasons, episodes and
    sealed sources) to the catalog at ``path``; returns the sources with their ids."""
    conn = sqlite3.connect(path)
    try:
        conn.executemany(
            "INSERT INTO tv_genres VALUES (?, ?, ?)",
            [(g, "en", en) for g, (en, _) in TV_GENRES.items()]
            + [(g, "es", es) for g, (_, es) in TV_GENRES.items()],
        )
        sources = sample_show_sources()
        for show_id, show in SHOWS.items():
            seasons: dict[int, list[tuple[int, str, int]]] = show["seasons"]
            name = str(show["name"])
            count = sum(len(s.episodes) for s in sources if s.show_id == show_id)
            conn.execute(
                "INSERT INTO shows (tmdb_id, imdb_id, tvdb_id, name, original_name,"
                " original_language, overview, tagline, first_air_date, last_air_date, year,"
                " status, in_production, popularity, vote_average, vote_count, poster_path,"
                " backdrop_path, number_of_seasons, number_of_episodes, episode_runtime_min,"
                " source_count, search_text) VALUES"
                " (?,?,?,?,?,'en',?,NULL,?,?,?,'Ended',0,?,?,1000,?,?,?,?,50,?,?)",
                (show_id, f"tt{show_id:07d}", show_id + 80000, name, name,
                 f"Overview of {name}.", f"{show['year']}-01-20", f"{show['year'] + 2}-09-29",
                 show["year"], show["popularity"], show["vote"], show["poster"],
                 show["backdrop"], len([n for n in seasons if n > 0]),
                 sum(len(e) for e in seasons.values()), count, name.casefold()),
            )  # fmt: skip
            conn.executemany(
                "INSERT INTO show_genres VALUES (?, ?)",
                [(show_id, g) for g in show["genres"]],  # type: ignore[attr-defined]
            )
            if show["poster"]:
                conn.execute(
                    "INSERT INTO show_images VALUES (?, 'poster', ?, 2000, 3000, 'en', 5.0)",
                    (show_id, show["poster"]),
                )
            for number, episodes in seasons.items():
                conn.execute(
                    "INSERT INTO seasons VALUES (?, ?, ?, ?, ?, ?, NULL)",
                    (show_id, number, "Specials" if number == 0 else f"Season {number}",
                     f"Season {number} of {name}.", f"{show['year'] + number}-01-20",
                     len(episodes)),
                )  # fmt: skip
                for episode, title, runtime in episodes:
                    n = sum(1 for s in sources if s.show_id == show_id and s.season == number
                            and episode in s.episodes)  # fmt: skip
                    conn.execute(
                        "INSERT INTO episodes VALUES (?, ?, ?, ?, ?, ?, ?, ?, 8.0, ?)",
                        (show_id, number, episode, title, f"{title}: what happens.",
                         f"{show['year'] + number}-0{min(episode, 9)}-20", runtime,
                         f"/still-{show_id}-{number}-{episode}.jpg", n),
                    )  # fmt: skip
        conn.execute(
            "INSERT INTO show_translations VALUES (1396, 'es', 'ES', 'Breaking Bad (ES)',"
            " 'Un profesor de química...', NULL)"
        )
        conn.execute(
            "UPDATE shows SET search_text = search_text || ' breaking bad (es)'"
            " WHERE tmdb_id = 1396"
        )
        conn.executemany(
            "INSERT INTO show_list_members VALUES (?, ?, ?)",
            [(n, pos, sid) for n, ids in SHOW_LISTS.items() for pos, sid in enumerate(ids, 1)],
        )
        for src in sources:
            add_show_source(conn, cipher, src)
        conn.commit()
    finally:
        conn.close()
    return sources
