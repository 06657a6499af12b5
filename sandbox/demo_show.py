"""A playable demo show: season 1 of a popular synthetic show rendered as short real videos,
seeded as one season pack by the demo swarm and listed on the fake EZTV.

The pack is a scene-named folder (``Show.Name.S01.720p.WEB-DL.x264-MIAU``) holding one file
per TMDB episode (``Show.Name.S01E01.720p.WEB-DL.x264-MIAU.mp4``), so the warehouse's
release-name parser places it and the engine picks the episode's file inside it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sandbox.catalogue import SyntheticCatalogue
from sandbox.demo_media import DemoVideo, render
from sandbox.errors import CatalogueError
from sandbox.swarm import SeededTorrent, make_directory_torrent
from sandbox.tv_records import layout, show_name

TAG = "720p.WEB-DL.x264-MIAU"
EPISODE_SECONDS = 4
MAX_EPISODES = 12  # render cost bound: the show picked has at most this many in season 1
PIECE_SIZE = 64 * 1024
RELEASED_UNIX = 1_700_000_000
_NAME_OK = re.compile(r"^[A-Za-z ]+$")  # no digit a release-name parser could misread


@dataclass(frozen=True)
class DemoShow:
    tv_id: int
    name: str
    episodes: int  # in season 1, every one in the pack

    @property
    def dotted(self) -> str:
        return self.name.replace(" ", ".")

    @property
    def pack_name(self) -> str:
        return f"{self.dotted}.S01.{TAG}"

    def episode_file(self, episode: int) -> str:
        return f"{self.dotted}.S01E{episode:02d}.{TAG}.mp4"


def pick_demo_show(catalogue: SyntheticCatalogue, pages: int = 3) -> DemoShow:
    """The most popular show with an IMDb id (EZTV looks shows up by it), a plain name and
    a season 1 of at most ``MAX_EPISODES`` episodes."""
    for page in range(1, pages + 1):
        for item in catalogue.tv_list_page("popular", page)["results"]:
            tv_id = int(item["id"])
            name = show_name(catalogue.seed, tv_id)
            _first, seasons, _runtime = layout(catalogue.seed, tv_id)
            if (
                catalogue.show_imdb_id(tv_id)
                and _NAME_OK.match(name)
                and seasons
                and seasons[0] <= MAX_EPISODES
            ):
                return DemoShow(tv_id, name, seasons[0])
    raise CatalogueError("no popular show fits the demo (IMDb id, plain name, short season)")


def render_season_pack(show: DemoShow, media_dir: Path) -> Path:
    """Render every episode of season 1 into ``media_dir/<pack name>/`` (kept between runs)."""
    folder = media_dir / show.pack_name
    for episode in range(1, show.episodes + 1):
        video = DemoVideo(show.episode_file(episode), 640, 360, EPISODE_SECONDS, 500, True,
                          f"{show.name} S1E{episode}")  # fmt: skip
        render(video, folder)
    return folder


def seed_demo_show(
    show: DemoShow, media_dir: Path, trackers: list[str], seed: Callable[[SeededTorrent], None]
) -> SeededTorrent:
    """Render the pack, hash it into a torrent announcing to ``trackers`` and hand it to
    ``seed`` (a seeder's ``seed``)."""
    pack = make_directory_torrent(
        render_season_pack(show, media_dir), trackers=trackers, piece_size=PIECE_SIZE
    )
    seed(pack)
    return pack


def eztv_pack_record(
    show: DemoShow, imdb_digits: str, pack: SeededTorrent, torrent_url: str
) -> dict[str, Any]:
    """The pack as the EZTV API lists it (strings where EZTV sends strings)."""
    return {
        "id": 1,
        "hash": pack.info_hash,
        "filename": "",
        "episode_url": f"https://eztvx.to/ep/1/{show.pack_name.lower()}/",
        "torrent_url": torrent_url,
        "magnet_url": f"magnet:?xt=urn:btih:{pack.info_hash}&dn={quote(show.pack_name)}",
        "title": f"{show.pack_name} EZTV",
        "imdb_id": imdb_digits,
        "season": "1",
        "episode": "0",
        "small_screenshot": "",
        "large_screenshot": "",
        "seeds": 1,
        "peers": 0,
        "date_released_unix": RELEASED_UNIX,
        "size_bytes": str(pack.size),
    }


def add_demo_show(
    catalogue: SyntheticCatalogue,
    media_dir: Path,
    trackers: list[str],
    seed: Callable[[SeededTorrent], None],
    url_for: Callable[[str], str],
) -> DemoShow:
    """Pick, render and seed the demo show; list its pack as its only EZTV torrent, with
    the ``.torrent`` served at ``url_for(HASH)``."""
    show = pick_demo_show(catalogue)
    pack = seed_demo_show(show, media_dir, trackers, seed)
    imdb = catalogue.show_imdb_id(show.tv_id)
    assert imdb is not None  # pick_demo_show checked it
    upper = pack.info_hash.upper()
    record = eztv_pack_record(show, imdb[2:], pack, url_for(upper))
    catalogue.add_eztv_torrents(show.tv_id, [record], {upper: pack.torrent})
    return show
