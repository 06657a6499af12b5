""" "Up next" for shows: the next unwatched episode after a given one, read from the catalog.

Episodes are ordered by season then episode number. Specials (season 0) are their own run:
after a special comes the next special; after a numbered season's episode comes the next
episode of the numbered seasons (specials are never slipped into a run). Episodes the user
already watched are skipped, so re-watching an old episode leads to the first one not seen.
"""

from __future__ import annotations

from collections.abc import Iterable

from core.catalog.snapshots import CatalogSnapshot

EpisodeKey = tuple[int, int]  # (season, episode)
MAX_SCAN = 500  # episodes looked at after the given one (a long anime is ~1000)


def next_episode(
    snapshot: CatalogSnapshot, show_id: int, after: EpisodeKey, watched: set[EpisodeKey]
) -> EpisodeKey | None:
    """The first catalog episode after ``after`` not in ``watched``; None at the end."""
    season, episode = after
    in_run = "season_number = 0" if season == 0 else "season_number > 0"
    rows = snapshot.query(
        "SELECT season_number, episode_number FROM episodes WHERE show_id = ?"
        f" AND {in_run} AND (season_number > ? OR (season_number = ? AND episode_number > ?))"
        " ORDER BY season_number, episode_number LIMIT ?",
        (show_id, season, season, episode, MAX_SCAN),
    )
    for row in rows:
        key = (int(row[0]), int(row[1]))
        if key not in watched:
            return key
    return None


def episode_names(
    snapshot: CatalogSnapshot, show_id: int, keys: Iterable[EpisodeKey]
) -> dict[EpisodeKey, str | None]:
    """Names of those episodes of ``show_id`` that are in the catalog."""
    wanted = set(keys)
    if not wanted:
        return {}
    seasons = sorted({season for season, _ in wanted})
    marks = ", ".join("?" for _ in seasons)
    rows = snapshot.query(
        "SELECT season_number, episode_number, name FROM episodes"
        f" WHERE show_id = ? AND season_number IN ({marks})",
        (show_id, *seasons),
    )
    return {
        (int(row[0]), int(row[1])): row[2] for row in rows if (int(row[0]), int(row[1])) in wanted
    }
