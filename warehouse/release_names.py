"""Release names -> resolution, codec, source, group, repack/proper, season/episode, pack.

The parser is guessit (the reference parser of the media-server world). It costs ~10 ms a
name here, so two things keep a sync fast:

* a strict fast path for the canonical scene layout (``Name.S01E02[.PROPER].1080p.WEB-DL.
  x265-GRP``, ``Name S02 COMPLETE ...``, ``Name.Season.2...``): a name it accepts gets the
  answer guessit gives for it (pinned by tests/warehouse/test_release_names.py over every
  layout the fake upstream produces); anything else goes to guessit;
* a persistent cache (``ref_release_names``, keyed by name and :data:`PARSER_VERSION`):
  a name is parsed once, ever, not once per transform.

A name that names no season, several episodes, or an unknown resolution is refused with a
reason (``unparseable release name: ...``) that staging puts in the quarantine.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

import duckdb
import polars as pl

from warehouse.db import insert_frame

PARSER_VERSION = 1
CACHE_TABLE = "ref_release_names"
CACHE_DDL = f"""
CREATE TABLE IF NOT EXISTS {CACHE_TABLE} (
    release_name VARCHAR NOT NULL, parser_version INTEGER NOT NULL,
    season INTEGER, episode INTEGER, is_pack BOOLEAN, resolution INTEGER, quality VARCHAR,
    source_type VARCHAR, video_codec VARCHAR, release_group VARCHAR, is_repack BOOLEAN,
    reason VARCHAR,                 -- why the name was refused; NULL when parsed
    PRIMARY KEY (release_name, parser_version)
)
"""
RESOLUTIONS = {"480p": 480, "576p": 480, "720p": 720, "1080p": 1080, "2160p": 2160}
SD_RESOLUTION = 480  # a name without a resolution is an SD release (EZTV's HDTV rips)
MAX_NAME = 500

_FAST = re.compile(
    r"^(?P<title>[A-Za-z][A-Za-z0-9'. ]*?)[. ]"
    r"(?:S(?P<s>\d{2})E(?P<e>\d{2})|S(?P<ps>\d{2})[. ]COMPLETE|Season[. ](?P<ss>\d{1,2}))"
    r"(?:[. ](?P<fix>PROPER|REPACK))?"
    r"[. ](?P<res>480p|720p|1080p|2160p)"
    r"[. ](?P<src>HDTV|WEB-DL|WEBRip|WEB|BluRay)"
    r"[. ](?P<codec>x264|x265|HEVC|H264|H265)"
    r"-(?P<group>[A-Za-z][A-Za-z0-9]{1,15})$"
)
_FAST_SOURCES = {"HDTV": "hdtv", "WEB-DL": "web", "WEB": "web", "WEBRip": "webrip"}
_FAST_SOURCES["BluRay"] = "bluray"
_FAST_CODECS = {"x264": "x264", "H264": "x264", "x265": "x265", "HEVC": "x265", "H265": "x265"}
_GUESSIT_CODECS = {"H.264": "x264", "H.265": "x265"}


@dataclass(frozen=True)
class Release:
    """A parsed name; ``episode`` is None for a season pack."""

    season: int
    episode: int | None
    is_pack: bool
    resolution: int
    quality: str  # "1080p"
    source_type: str | None  # hdtv | web | webrip | bluray
    video_codec: str | None  # x264 | x265
    release_group: str | None
    is_repack: bool  # REPACK or PROPER: a fixed re-release


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
    )


def _one(value: Any) -> Any:
    return value[0] if isinstance(value, list) and len(value) == 1 else value


def guessit_parse(name: str) -> Release:
    """guessit's reading of ``name``, mapped to our vocabulary; :class:`Unparseable` when
    it names no season, several seasons or episodes, or an unknown resolution."""
    from guessit import guessit  # imported on first use: ~0.3 s

    found = dict(guessit(name, {"type": "episode"}))
    season = _one(found.get("season"))
    episode = _one(found.get("episode"))
    if isinstance(season, list) or isinstance(episode, list):
        raise Unparseable("several seasons or episodes")
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
        source_type = {"HDTV": "hdtv", "Blu-ray": "bluray"}.get(str(source))
    group = found.get("release_group")
    return Release(
        season=season,
        episode=episode if type(episode) is int else None,
        is_pack=type(episode) is not int,
        resolution=RESOLUTIONS[quality],
        quality=quality if quality != "576p" else "480p",
        source_type=source_type,
        video_codec=_GUESSIT_CODECS.get(str(found.get("video_codec"))),
        release_group=str(group) if isinstance(group, str) else None,
        is_repack="Proper" in others or bool(found.get("proper_count")),
    )


def parse_release(name: str) -> Release:
    """Fast path first, guessit otherwise; :class:`Unparseable` with a reason."""
    name = clean_title(name)
    if not name:
        raise Unparseable("empty")
    if len(name) > MAX_NAME:
        raise Unparseable(f"longer than {MAX_NAME} characters")
    return fast_parse(name) or guessit_parse(name)


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
}


def _row(name: str) -> dict[str, Any]:
    try:
        parsed: dict[str, Any] = asdict(parse_release(name))
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
    con.register("_wanted_names", wanted)
    try:
        table = con.sql(
            f"SELECT c.* FROM {CACHE_TABLE} c SEMI JOIN _wanted_names w USING (release_name) "
            f"WHERE c.parser_version = {int(PARSER_VERSION)}"
        ).to_arrow_table()
    finally:
        con.unregister("_wanted_names")
    known = pl.DataFrame(pl.from_arrow(table)).cast(_CACHE_SCHEMA)  # type: ignore[arg-type]
    missing = wanted.join(known.select("release_name"), on="release_name", how="anti")
    fresh = pl.DataFrame([_row(n) for n in missing["release_name"]], schema=_CACHE_SCHEMA)
    insert_frame(con, CACHE_TABLE, fresh)
    return pl.concat([known, fresh])
