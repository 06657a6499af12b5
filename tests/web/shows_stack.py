"""A TV show published into a running demo stack, with real torrents: season 1 as a season
pack (three short episodes in one multi-file torrent) and season 2 as a single-episode
torrent, seeded on loopback by a seeder + tracker of the test process.

The rows are added to a copy of the stack's catalog (or, when the demo's first sync did not
publish one, to the sample movie catalog) that then replaces it with one atomic rename (as
publish does), sealed with the stack's own master key, so the API and the engine read them
exactly as published ones.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from core.catalog.contract import SCHEMA_PATH, SCHEMA_VERSION
from core.crypto import FieldCipher, load_or_create_master_key
from sandbox.demo_media import DemoVideo, render
from sandbox.swarm import Seeder, make_directory_torrent
from sandbox.tracker import Tracker
from tests.helpers.shows import ShowSource, add_show_source
from tests.web.stack import Stack

SHOW_ID = 987_654
SHOW_NAME = "Demo Show"
PACK = "Demo.Show.S01.720p.WEB-DL.x264-MIAU"
SINGLE = "Demo.Show.S02E01.720p.WEB-DL.x264-MIAU"
EPISODES = {  # (season, episode) -> (name, seconds)
    (1, 1): ("The Beginning", 4),
    (1, 2): ("The Middle", 5),
    (1, 3): ("The Turn", 6),
    (2, 1): ("A New Season", 7),
}
PIECE = 64 * 1024


@dataclass
class ShowSwarm:
    tracker: Tracker
    seeder: Seeder
    files: dict[tuple[int, int], Path]

    def stop(self) -> None:
        self.seeder.stop()
        self.tracker.stop()


def _episode_video(season: int, episode: int, seconds: int, out: Path) -> Path:
    name = f"Demo.Show.S{season:02d}E{episode:02d}.720p.WEB-DL.x264-MIAU.mp4"
    video = DemoVideo(name, 640, 360, seconds, 600, True, f"Demo Show S{season}E{episode}")
    return render(video, out)


@contextmanager
def staged_catalog(stack: Stack, work: Path) -> Iterator[tuple[sqlite3.Connection, FieldCipher]]:
    """A connection to a copy of ``stack``'s catalog (the demo's first sync failed: a
    catalog of its own, with one movie) and the stack's field cipher; when the block ends
    without an error, the copy is committed and swapped in with one atomic rename."""
    live = stack.data_dir / "catalog.sqlite"
    staged = work / "catalog.staged.sqlite"
    if live.exists():
        shutil.copyfile(live, staged)
    else:
        _empty_catalog(staged)
    cipher = FieldCipher(load_or_create_master_key(stack.data_dir / "secret.key"))
    conn = sqlite3.connect(staged)
    try:
        yield conn, cipher
        conn.commit()
    finally:
        conn.close()
    temp = live.with_name("catalog.sqlite.staged.tmp")
    shutil.copyfile(staged, temp)
    os.replace(temp, live)


def publish_demo_show(stack: Stack, work: Path) -> ShowSwarm:
    """Render, seed and publish the demo show into ``stack``; stop the swarm afterwards."""
    seed = work / "seed"
    pack_dir, single_dir = seed / PACK, seed / SINGLE
    files = {
        key: _episode_video(*key, seconds, pack_dir if key[0] == 1 else single_dir)
        for key, (_, seconds) in EPISODES.items()
    }
    tracker = Tracker().start()
    seeder = Seeder().start()
    pack = make_directory_torrent(pack_dir, trackers=[tracker.announce_url], piece_size=PIECE)
    single = make_directory_torrent(single_dir, trackers=[tracker.announce_url], piece_size=PIECE)
    seeder.seed(pack)
    seeder.seed(single)
    with staged_catalog(stack, work) as (conn, cipher):
        _insert_show(conn)
        add_show_source(conn, cipher, ShowSource(
            SHOW_ID, 1, {1: (1, 1), 2: (1, 1), 3: (1, 1)}, PACK, quality="720p", is_pack=True,
            size_bytes=pack.size, info_hash=pack.info_hash,
            magnet=pack.magnet([tracker.announce_url]),
        ))  # fmt: skip
        add_show_source(conn, cipher, ShowSource(
            SHOW_ID, 2, {1: (1, 1)}, SINGLE, quality="720p", size_bytes=single.size,
            info_hash=single.info_hash, magnet=single.magnet([tracker.announce_url]),
        ))  # fmt: skip
    return ShowSwarm(tracker, seeder, files)


def _insert_show(conn: sqlite3.Connection) -> None:
    conn.execute("INSERT OR IGNORE INTO tv_genres VALUES (18, 'en', 'Drama')")
    conn.execute(
        "INSERT INTO shows (tmdb_id, name, original_name, original_language, overview,"
        " first_air_date, last_air_date, year, status, popularity, vote_average, vote_count,"
        " poster_path, backdrop_path, number_of_seasons, number_of_episodes,"
        " episode_runtime_min, source_count, search_text) VALUES (?, ?, ?, 'en', ?,"
        " '2024-01-10', '2025-03-01', 2024, 'Returning Series', 9999.0, 8.1, 321,"
        " '/demo-show-poster.jpg', '/demo-show-backdrop.jpg', 2, 4, 1, 4, ?)",
        (SHOW_ID, SHOW_NAME, SHOW_NAME, "A tiny show streamed out of a real season pack.",
         SHOW_NAME.casefold()),
    )  # fmt: skip
    conn.execute("INSERT INTO show_genres VALUES (?, 18)", (SHOW_ID,))
    conn.execute(
        "INSERT INTO show_images VALUES (?, 'poster', '/demo-show-poster.jpg', 2000, 3000,"
        " 'en', 5.0)",
        (SHOW_ID,),
    )
    conn.execute(  # first in "popular", before whatever the pipeline published
        "INSERT INTO show_list_members SELECT 'popular', COALESCE(MIN(position), 1) - 1, ?"
        " FROM show_list_members WHERE list_name = 'popular'",
        (SHOW_ID,),
    )
    for season in (1, 2):
        count = sum(1 for s, _ in EPISODES if s == season)
        conn.execute(
            "INSERT INTO seasons VALUES (?, ?, ?, ?, ?, ?, NULL)",
            (SHOW_ID, season, f"Season {season}", f"Season {season} of the demo show.",
             f"202{3 + season}-01-10", count),
        )  # fmt: skip
    for (season, episode), (name, seconds) in EPISODES.items():
        conn.execute(
            "INSERT INTO episodes VALUES (?, ?, ?, ?, ?, ?, 1, ?, 7.5, 1)",
            (SHOW_ID, season, episode, name, f"{name}: a {seconds}-second episode.",
             f"202{3 + season}-01-{10 + episode}", f"/demo-still-{season}-{episode}.jpg"),
        )  # fmt: skip


def _empty_catalog(path: Path) -> None:
    """A schema-3 catalog holding one popular movie without sources (the home page's rows
    need one) and no show yet."""
    conn = sqlite3.connect(path)
    try:
        conn.executescript(SCHEMA_PATH.read_text())
        conn.execute(
            "INSERT INTO catalog_version VALUES ('web-shows', '2026-01-01T00:00:00Z', ?, '{}')",
            (SCHEMA_VERSION,),
        )
        conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        conn.execute(
            "INSERT INTO movies (tmdb_id, title, year, popularity, source_count, search_text)"
            " VALUES (1, 'Placeholder Movie', 2024, 1.0, 0, 'placeholder movie')"
        )
        conn.execute("INSERT INTO list_members VALUES ('popular', 1, 1)")
        conn.commit()
    finally:
        conn.close()
