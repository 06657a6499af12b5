"""EZTV-shaped torrents generated from (seed, tv_id): single episodes and season packs.

Release names look like the scene's: ``Show.Name.S01E02.PROPER.1080p.WEB-DL.x265-NTb``,
``Show Name S02 COMPLETE 720p HDTV x264-GalaxyTV``, ``Show.Name.Season.3.1080p.BluRay.x265-
RARBG``, multi-episode releases of a season's opening pair (``S01E01E02``, ``S01E01-E02``,
``S01E01-02``, ``1x01-1x02``: a double-length premiere); about 1 % are junk (extras,
trailers) that no parser can place. EZTV's own quirks are kept: ``season``/``episode``/
``size_bytes`` are strings, a pack has episode ``"0"``, a multi-episode release its first
episode, the IMDb id carries no ``tt``, and the title ends in `` EZTV``.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote

from sandbox.randomness import mix, rng
from sandbox.tv_records import layout, season_start, show_name

DEFAULT_EZTV_BASE = "https://eztvx.to"
SALT_EZTV = 2_000
JUNK_SHARE = 0.01
PACK_SHARE = 0.6  # of finished seasons
SALT_EZTV_MULTI = 2_001  # its own stream: adding doubles left every other torrent unchanged
MULTI_SHARE = 0.15  # of seasons with 2+ episodes: a double episode E01+E02
MULTI_EPISODE_KEY = 1_000  # eztv_hash's episode slot for a double: 1000 + its first episode
MULTI_SPELLINGS = ("S{s:02d}E{a:02d}E{b:02d}", "S{s:02d}E{a:02d}-E{b:02d}",
                   "S{s:02d}E{a:02d}-{b:02d}", "{s}x{a:02d}-{s}x{b:02d}")  # fmt: skip
# (resolution, source, codec, Mbit/s, weight)
VARIANTS: tuple[tuple[str, str, str, float, float], ...] = (
    ("480p", "HDTV", "x264", 0.9, 0.10),
    ("720p", "HDTV", "x264", 1.6, 0.20),
    ("720p", "WEBRip", "x264", 1.8, 0.15),
    ("1080p", "WEB-DL", "x264", 3.5, 0.20),
    ("1080p", "WEB-DL", "x265", 2.2, 0.12),
    ("1080p", "WEBRip", "HEVC", 2.0, 0.08),
    ("1080p", "BluRay", "x264", 4.5, 0.07),
    ("2160p", "WEB", "x265", 9.0, 0.05),
    ("1080p", "WEB", "H264", 3.2, 0.03),
)
GROUPS = ("NTb", "SYNCOPY", "GalaxyTV", "RARBG", "KILLERS", "mSD", "ELiTE", "GGEZ", "FLUX", "MiNX")
FIXES = ("", "", "", "", "", "", "", "", "PROPER", "REPACK")
TRACKERS = ("udp://tracker.opentrackr.org:1337/announce", "udp://open.demonii.com:1337/announce")


def eztv_hash(seed: int, tv_id: int, season: int, episode: int, variant: int) -> str:
    """40 lowercase hex digits, unique per (seed, show, season, episode or 0, variant)."""
    text = f"eztv:{seed}:{tv_id}:{season}:{episode}:{variant}"
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


def _pick(r: Any) -> int:
    draw, total = r.random(), 0.0
    for index, variant in enumerate(VARIANTS):
        total += variant[4]
        if draw < total:
            return index
    return 0


def release_name(
    name: str, season: int, episode: int, variant: int, r: Any, marker: str | None = None
) -> str:
    """A scene-style name; ``episode == 0`` is a season pack; ``marker`` replaces ``SxxEyy``."""
    res, source, codec, _rate, _w = VARIANTS[variant]
    group = r.choice(GROUPS)
    fix = r.choice(FIXES)
    dotted = r.random() < 0.6
    if marker is not None:
        pass
    elif episode:
        marker = f"S{season:02d}E{episode:02d}"
    elif r.random() < 0.5:
        marker = f"S{season:02d} COMPLETE"
    else:
        marker = f"Season {season}"
    parts = [name, marker, *([fix] if fix else []), res, source, codec]
    text = " ".join(parts)
    if dotted:
        text = text.replace(" ", ".")
    return f"{text}-{group}"


def _torrent(
    seed: int, tv_id: int, imdb_digits: str, release: str, season: int, episode: int,
    variant: int, minutes: int, released: datetime, base_url: str, r: Any, key: int | None = None,
) -> dict[str, Any]:  # fmt: skip
    info_hash = eztv_hash(seed, tv_id, season, episode if key is None else key, variant)
    rate = VARIANTS[variant][3]
    size = int(rate * 1e6 / 8 * minutes * 60 * r.uniform(0.8, 1.2))
    seeds = int(r.random() ** 3 * 400)
    trackers = "".join(f"&tr={quote(t, safe='')}" for t in TRACKERS)
    ident = mix(seed, tv_id, season, episode if key is None else key, variant) % 3_000_000 + 1
    return {
        "id": ident,
        "hash": info_hash,
        "filename": release.replace(" ", ".") + ("[eztvx.to].mkv" if episode else ""),
        "episode_url": f"{base_url}/ep/{ident}/{quote(release.lower().replace(' ', '-'))}/",
        "torrent_url": f"{base_url}/torrents/{info_hash}.torrent",
        "magnet_url": f"magnet:?xt=urn:btih:{info_hash}&dn={quote(release, safe='')}{trackers}",
        "title": f"{release} EZTV",
        "imdb_id": imdb_digits,
        "season": str(season),
        "episode": str(episode),
        "small_screenshot": "",
        "large_screenshot": "",
        "seeds": seeds,
        "peers": int(seeds * r.uniform(0.05, 1.5)) + int(r.random() * 5),
        "date_released_unix": int(released.timestamp()),
        "size_bytes": str(max(1, size)),
    }


def show_torrents(
    seed: int, tv_id: int, imdb_digits: str, base_url: str = DEFAULT_EZTV_BASE
) -> list[dict[str, Any]]:
    """Every EZTV torrent of one show, newest first (EZTV's order)."""
    first, seasons, runtime = layout(seed, tv_id)
    name = show_name(seed, tv_id)
    r = rng(seed, tv_id, SALT_EZTV)
    out: list[dict[str, Any]] = []
    for season, count in enumerate(seasons, 1):
        start = season_start(first, season)
        for episode in range(1, count + 1):
            aired = datetime(start.year, start.month, start.day, tzinfo=UTC)
            aired += timedelta(days=7 * (episode - 1), hours=r.randint(2, 30))
            variants = {_pick(r) for _ in range(1 + int(r.random() * 2.2))}
            for variant in sorted(variants):
                release = release_name(name, season, episode, variant, r)
                if r.random() < JUNK_SHARE:
                    release = f"{name} {r.choice(('Behind the Scenes', 'Trailer', 'Extras'))}"
                out.append(
                    _torrent(
                        seed,
                        tv_id,
                        imdb_digits,
                        release,
                        season,
                        episode,
                        variant,
                        runtime,
                        aired,
                        base_url,
                        r,
                    )
                )
        if season < len(seasons) and r.random() < PACK_SHARE:
            variant = _pick(r)
            released = datetime(start.year, start.month, start.day, tzinfo=UTC)
            released += timedelta(days=7 * count + r.randint(1, 60))
            release = release_name(name, season, 0, variant, r)
            out.append(
                _torrent(
                    seed,
                    tv_id,
                    imdb_digits,
                    release,
                    season,
                    0,
                    variant,
                    runtime * count,
                    released,
                    base_url,
                    r,
                )
            )
    out += _doubles(seed, tv_id, imdb_digits, name, seasons, first, runtime, base_url)
    out.sort(key=lambda t: (-t["date_released_unix"], t["id"]))
    return out


def _doubles(
    seed: int, tv_id: int, imdb_digits: str, name: str, seasons: list[int], first: date,
    runtime: int, base_url: str,
) -> list[dict[str, Any]]:  # fmt: skip
    """Double-episode premieres (E01+E02 in one file), from their own random stream."""
    r = rng(seed, tv_id, SALT_EZTV_MULTI)
    out: list[dict[str, Any]] = []
    for season, count in enumerate(seasons, 1):
        if count < 2 or r.random() >= MULTI_SHARE:
            continue
        marker = r.choice(MULTI_SPELLINGS).format(s=season, a=1, b=2)
        variant = _pick(r)
        start = season_start(first, season)
        aired = datetime(start.year, start.month, start.day, tzinfo=UTC)
        aired += timedelta(hours=r.randint(2, 30))
        release = release_name(name, season, 1, variant, r, marker=marker)
        key = MULTI_EPISODE_KEY + 1
        out.append(
            _torrent(seed, tv_id, imdb_digits, release, season, 1, variant, runtime * 2, aired,
                     base_url, r, key=key)
        )  # fmt: skip
    return out
