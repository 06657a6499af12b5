"""Release names -> resolution, codec, source, group, repack/proper, season/episode, pack.

The parser is guessit (the reference parser of the media-server world). It costs ~10 ms a
name here, so two things keep a sync fast:

* a strict fast path for the canonical scene layout (``Name.S01E02[.PROPER].1080p.WEB-DL.
  x265-GRP``, ``Name.S01E01E02...``, ``Name S01E01-E02 ...``, ``Name S01E01-02 ...``,
  ``Name S02 COMPLETE ...``, ``Name.Season.2...``): a name it accepts gets the
  answer guessit gives for it (pinned by tests/warehouse/test_release_names.py over every
  layout the fake upstream produces); anything else goes to guessit;
* a persistent cache (``ref_release_names``, keyed by name and :data:`PARSER_VERSION`):
  a name is parsed once, ever, not once per transform.

A multi-episode release (``S01E01E02``, ``S01E01-E02``, ``S01E01-02``, ``1x01-1x02``) is a
run of consecutive episodes of one season: ``episode`` is the first, ``last_episode`` the
last (None for a single episode or a pack). A name that names no season, several seasons
(``S01E24-S02E01``), episodes that are not one ascending run (``S01E05-E03``, ``S01E01E03``),
a run longer than :data:`MAX_EPISODES` or an unknown resolution is refused with a reason
(``unparseable release name: ...``) that staging puts in the quarantine.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import duckdb
import polars as pl

from warehouse.db import insert_frame

PARSER_VERSION = 2  # 2: multi-episode releases (last_episode)
CACHE_TABLE = "ref_release_names"
CACHE_DDL = f"""
CREATE TABLE IF NOT EXISTS {CACHE_TABLE} (
    release_name VARCHAR NOT NULL, parser_version INTEGER NOT NULL,
    season INTEGER, episode INTEGER, is_pack BOOLEAN, resolution INTEGER, quality VARCHAR,
    source_type VARCHAR, video_codec VARCHAR, release_group VARCHAR, is_repack BOOLEAN,
    reason VARCHAR,                 -- why the name was refused; NULL when parsed
    last_episode INTEGER,           -- last episode of a multi-episode release, else NULL
    PRIMARY KEY (release_name, parser_version)
)
"""
# A cache created by parser version 1 lacks the column (CREATE TABLE IF NOT EXISTS keeps it).
CACHE_MIGRATION = f"ALTER TABLE {CACHE_TABLE} ADD COLUMN IF NOT EXISTS last_episode INTEGER"
RESOLUTIONS = {"480p": 480, "576p": 480, "720p": 720, "1080p": 1080, "2160p": 2160}
SD_RESOLUTION = 480  # a name without a resolution is an SD release (EZTV's HDTV rips)
MAX_NAME = 500
MAX_EPISODES = 50  # episodes in one release: S01E01-E200 is a typo, not 200 episodes
MAX_EPISODE_NUMBER = 9_999  # staging's bounds (season 0..1000, episode 1..9999)
MAX_SEASON = 1_000

_FAST = re.compile(
    r"^(?P<title>[A-Za-z][A-Za-z0-9'. ]*?)[. ]"
    r"(?:S(?P<s>\d{2})E(?P<e>\d{2})(?:(?:E|-E?)(?P<e2>\d{2}))?"
    r"|S(?P<ps>\d{2})[. ]COMPLETE|Season[. ](?P<ss>\d{1,2}))"
    r"(?:[. ](?P<fix>PROPER|REPACK))?"
    r"[. ](?P<res>480p|720p|1080p|2160p)"
    r"[. ](?P<src>HDTV|WEB-DL|WEBRip|WEB|BluRay)"
    r"[. ](?P<codec>x264|x265|HEVC|H264|H265)"
    r"-(?P<group>[A-Za-z][A-Za-z0-9]{1,15})$"
)
# guessit reads "1x01-1x03" as episodes 1 and 3 (and "2x05-2x07 1080p" as no episode at all,
# a season pack!), but "S01E01-E03" as 1..3: this spelling is read here, the rest by guessit
_NXN_RANGE = re.compile(r"(?<![0-9a-z])(\d{1,2})x(\d{2,3})-(\d{1,2})x(\d{2,3})(?![0-9a-z])", re.I)
_FAST_SOURCES = {"HDTV": "hdtv", "WEB-DL": "web", "WEB": "web", "WEBRip": "webrip"}
_FAST_SOURCES["BluRay"] = "bluray"
_FAST_CODECS = {"x264": "x264", "H264": "x264", "x265": "x265", "HEVC": "x265", "H265": "x265"}
_GUESSIT_CODECS = {"H.264": "x264", "H.265": "x265"}


@dataclass(frozen=True)
class Release:
    """A parsed name; ``episode`` is None for a season pack; a multi-episode release holds
    ``episode``..``last_episode`` (``last_episode`` is None for one episode or a pack)."""

    season: int
    episode: int | None
    is_pack: bool
    resolution: int
    quality: str  # "1080p"
    source_type: str | None  # hdtv | web | webrip | bluray
    video_codec: str | None  # x264 | x265
    release_group: str | None
    is_repack: bool  # REPACK or PROPER: a fixed re-release
    last_episode: int | None = None

    @property
    def episodes(self) -> tuple[int, ...]:
        """Every episode the release holds (empty for a season pack)."""
        if self.episode is None:
            return ()
        return tuple(range(self.episode, (self.last_episode or self.episode) + 1))


class Unparseable(ValueError):
    """The name cannot be placed; ``reason`` goes to the quarantine."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = f"unparseable release name: {reason}"


def clean_title(title: str) -> str:
    """EZTV appends `` EZTV`` to its titles; it is not part of the release name."""
    text = " ".join(title.split())
    return text.removesuffix(" EZTV").strip()


def fast_parse(name: str) -> Release | None:
    """The canonical scene layout, or None (then guessit decides)."""
    m = _FAST.match(name)
    if m is None:
        return None
    if m["ss"] and m["title"].replace(".", " ").split()[-1].isdigit():
        return None  # "Show 4 Season 2": ambiguous (guessit reads S02E04), guessit decides
    episode = int(m["e"]) if m["e"] else None
    last = int(m["e2"]) if m["e2"] else None
    if episode is not None and last is not None and last != episode + 1:
        return None  # only the double episode here: longer, gapped or backwards runs to guessit
    season = int(m["s"] or m["ps"] or m["ss"])
    res = m["res"]
    return Release(
        season=season,
        episode=episode,
        is_pack=episode is None,
        resolution=RESOLUTIONS[res],
        quality=res,
        source_type=_FAST_SOURCES[m["src"]],
        video_codec=_FAST_CODECS[m["codec"]],
        release_group=m["group"],
        is_repack=m["fix"] is not None,
        last_episode=last,
    )


def _one(value: Any) -> Any:
    return value[0] if isinstance(value, list) and len(value) == 1 else value


def _episode_run(value: Any) -> tuple[int | None, int | None]:
    """guessit's episode answer as (first, last-or-None); :class:`Unparseable` unless it is
    one ascending run of consecutive episodes, at most :data:`MAX_EPISODES` long."""
    if not isinstance(value, list):
        return (value, None) if type(value) is int else (None, None)
    if not all(type(e) is int for e in value):
        raise Unparseable("episodes that are not numbers")
    first, last = value[0], value[-1]
    if len(value) > MAX_EPISODES or last - first >= MAX_EPISODES:
        raise Unparseable(f"a run of {max(len(value), last - first + 1)} episodes")
    if value != list(range(first, first + len(value))):
        raise Unparseable(f"episodes {', '.join(map(str, value[:5]))} are not one run")
    return first, last


def guessit_parse(name: str) -> Release:
    """guessit's reading of ``name``, mapped to our vocabulary; :class:`Unparseable` when
    it names no season, several seasons, episodes that are not one short ascending run, or
    an unknown resolution."""
    from guessit import guessit  # imported on first use: ~0.3 s

    found = dict(guessit(name, {"type": "episode"}))
    season = _one(found.get("season"))
    if isinstance(season, list):
        raise Unparseable("several seasons")
    episodes = _one(found.get("episode"))
    nxn = _NXN_RANGE.search(name)
    if nxn:
        if nxn[1] != nxn[3]:
            raise Unparseable("several seasons")
        season, first, end = int(nxn[1]), int(nxn[2]), int(nxn[4])
        episodes = list(range(first, end + 1)) if first < end else [first, end]
    episode, last = _episode_run(episodes)
    if type(season) is not int:
        raise Unparseable("no season")
    size = found.get("screen_size")
    if size is not None and size not in RESOLUTIONS:
        raise Unparseable(f"resolution {size}")
    quality = size or f"{SD_RESOLUTION}p"
    others = found.get("other") or []
    others = others if isinstance(others, list) else [others]
    source = found.get("source")
    if source == "Web":
        source_type: str | None = "webrip" if "Rip" in others else "web"
    else:
        source_type = {"HDTV": "hdtv", "Blu-ray": "bluray", "Ultra HD Blu-ray": "bluray"}.get(
            str(source)
        )
    group = found.get("release_group")
    return Release(
        season=season,
        episode=episode,
        is_pack=episode is None,
        resolution=RESOLUTIONS[quality],
        quality=quality if quality != "576p" else "480p",
        source_type=source_type,
        video_codec=_GUESSIT_CODECS.get(str(found.get("video_codec"))),
        release_group=str(group) if isinstance(group, str) else None,
        is_repack="Proper" in others or bool(found.get("proper_count")),
        last_episode=last,
    )


def parse_release(name: str) -> Release:
    """Fast path first, guessit otherwise; :class:`Unparseable` with a reason."""
    name = clean_title(name)
    if not name:
        raise Unparseable("empty")
    if len(name) > MAX_NAME:
        raise Unparseable(f"longer than {MAX_NAME} characters")
    release = fast_parse(name) or guessit_parse(name)
    if release.season > MAX_SEASON:
        raise Unparseable(f"season {release.season}")
    if release.episodes and release.episodes[0] == 0:  # TMDB numbers specials in season 0
        raise Unparseable("episode 0")
    if release.episodes and release.episodes[-1] > MAX_EPISODE_NUMBER:
        raise Unparseable(f"episode {release.episodes[-1]}")
    return release


_CACHE_SCHEMA: dict[str, Any] = {
    "release_name": pl.String,
    "parser_version": pl.Int32,
    "season": pl.Int32,
    "episode": pl.Int32,
    "is_pack": pl.Boolean,
    "resolution": pl.Int32,
    "quality": pl.String,
    "source_type": pl.String,
    "video_codec": pl.String,
    "release_group": pl.String,
    "is_repack": pl.Boolean,
    "reason": pl.String,
    "last_episode": pl.Int32,
}


def _row(name: str) -> dict[str, Any]:
    try:
        parsed: dict[str, Any] = dict(vars(parse_release(name)))  # asdict deep-copies: slow
    except Unparseable as exc:
        parsed = {"reason": exc.reason}
    except Exception as exc:  # a parser bug must not take the whole run down
        parsed = {"reason": f"unparseable release name: {type(exc).__name__}"}
    return {"release_name": name, "parser_version": PARSER_VERSION, **parsed}


def parse_names(con: duckdb.DuckDBPyConnection, names: Iterable[str]) -> pl.DataFrame:
    """One row per distinct name (cache columns); new names are parsed and cached."""
    wanted = pl.DataFrame(
        {"release_name": list(dict.fromkeys(names))}, schema={"release_name": pl.String}
    )
    con.execute(CACHE_DDL)
    con.execute(CACHE_MIGRATION)
    con.register("_wanted_names", wanted)
    try:
        table = con.sql(
            f"SELECT c.* FROM {CACHE_TABLE} c SEMI JOIN _wanted_names w USING (release_name) "
            f"WHERE c.parser_version = {int(PARSER_VERSION)}"
        ).to_arrow_table()
    finally:
        con.unregister("_wanted_names")
    known = pl.DataFrame(pl.from_arrow(table)).cast(_CACHE_SCHEMA)  # type: ignore[arg-type]
    known = known.select(list(_CACHE_SCHEMA))  # a migrated cache has last_episode at the end
    missing = wanted.join(known.select("release_name"), on="release_name", how="anti")
    fresh = pl.DataFrame([_row(n) for n in missing["release_name"]], schema=_CACHE_SCHEMA)
    insert_frame(con, CACHE_TABLE, fresh)
    return pl.concat([known, fresh])
