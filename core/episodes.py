"""Which episodes a file of a season pack holds, read from its path.

Shared by the engine (which file of a pack to stream) and the warehouse (which file of a
pack maps to which episode). Recognised, case-insensitively, in the file name first and
then in its folders:

* ``S01E03``, ``s1e3``, ``S01.E03``, ``S01 E03``; multi-episode ``S01E03E04`` and
  ``S01E03-E04`` / ``S01E03-04`` (every episode of the range);
* ``1x03`` (not ``x264`` nor ``1920x1080``);
* ``Episode 3``, ``Ep 3``, ``Ep.03``, ``E03`` or a bare leading number (``03 - Title.mkv``)
  when a folder or the name gives the season (``Season 1``, ``S01``, ``Series 1``).

A path whose season cannot be read matches nothing: guessing would play the wrong episode.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import PurePosixPath

MAX_NUMBER = 9_999
MAX_RANGE = 50  # S01E01-E99 is a typo, not 99 episodes
MAX_PATH = 1024  # longer paths are not real releases: read nothing (and never backtrack long)

_SXE = re.compile(
    r"(?<![a-z0-9])s(\d{1,4})[ ._-]?e(\d{1,4})"
    r"((?:[ ._]?-[ ._]?e?\d{1,4}|[ ._-]?e\d{1,4})*)(?![0-9])",
    re.IGNORECASE,
)
_MORE = re.compile(r"([ ._]?-[ ._]?|[ ._-]?)(e?)(\d{1,4})", re.IGNORECASE)
_NXN = re.compile(r"(?<![a-z0-9])(\d{1,2})x(\d{2,3})(?![0-9a-z])", re.IGNORECASE)
_SEASON = re.compile(
    r"(?<![a-z0-9])(?:season|series|saison|temporada|staffel)[ ._-]*(\d{1,4})(?![0-9])"
    r"|(?<![a-z0-9])s(\d{1,4})(?![0-9a-z])",
    re.IGNORECASE,
)
_EPISODE = re.compile(
    r"(?<![a-z0-9])(?:episode|episodio|folge|ep|e)[ ._-]*(\d{1,4})(?![0-9])"
    r"|^(\d{1,3})(?=[ ._-])",
    re.IGNORECASE,
)

Episode = tuple[int, int]


def _sxe(text: str) -> set[Episode]:
    found: set[Episode] = set()
    for match in _SXE.finditer(text):
        season, first = int(match.group(1)), int(match.group(2))
        found.add((season, first))
        last = first
        for more in _MORE.finditer(match.group(3) or ""):
            number = int(more.group(3))
            is_range = "-" in more.group(1)
            if not more.group(2) and not is_range:
                break  # "S01E03 720" is a resolution, not an episode
            if is_range and last < number <= last + MAX_RANGE:
                found.update((season, n) for n in range(last + 1, number + 1))
            elif not is_range:
                found.add((season, number))
            last = number
    return found


def _season_of(parts: Iterable[str]) -> int | None:
    """The season a folder (or the name) states, innermost first."""
    for part in parts:
        match = _SEASON.search(part)
        if match is not None:
            return int(match.group(1) or match.group(2))
    return None


def episodes_in(path: str) -> set[Episode]:
    """Every ``(season, episode)`` the file at ``path`` (``/``-separated) holds."""
    if len(path) > MAX_PATH:
        return set()
    pure = PurePosixPath(path.replace("\\", "/"))
    name, folders = pure.stem, list(reversed(pure.parts[:-1]))
    found = _sxe(name) or {(int(m.group(1)), int(m.group(2))) for m in _NXN.finditer(name)}
    if not found:
        season = _season_of([name, *folders])
        stripped = _SEASON.sub(" ", name).strip(" ._-")
        match = _EPISODE.search(stripped)
        if season is not None and match is not None:
            found = {(season, int(match.group(1) or match.group(2)))}
    if not found:  # "Show.S01E03/video.mkv": the folder names it
        for folder in folders:
            found = _sxe(folder)
            if found:
                break
    return {(s, e) for s, e in found if 0 <= s <= MAX_NUMBER and 0 < e <= MAX_NUMBER}


def holds_episode(path: str, season: int, episode: int) -> bool:
    """True when the file at ``path`` holds episode ``episode`` of season ``season``."""
    return (season, episode) in episodes_in(path)


def pick_episode_path(paths: Iterable[str], season: int, episode: int) -> list[str]:
    """The paths among ``paths`` holding that episode, those naming fewest episodes first
    (a single-episode file before a double episode that also holds it)."""
    matches = [(len(found), i, p) for i, p in enumerate(paths) if (season, episode) in
               (found := episodes_in(p))]  # fmt: skip
    return [p for _, _, p in sorted(matches)]
