"""``/api/progress``: per-user watch progress ("continue watching" and resume).

Rules (the contract the web and TV clients build on):

* ``PUT /api/progress/movie/<tmdb_id>`` stores ``{position_s, duration_s}`` with one
  UPSERT. Both are finite seconds; ``0 < duration_s <= 24 h``; ``position_s`` may exceed
  ``duration_s`` by at most :data:`POSITION_TOLERANCE_S` (players report the end a little
  past the container's duration) and is then stored as ``duration_s``.
* A title is *watched* when ``position_s >= 90 %`` of ``duration_s``: it leaves "continue
  watching" but keeps its record (``watched: true``, ``watched_at``). A later save below
  the threshold (a re-watch) puts it back in progress; ``watched_at`` keeps the last finish.
* ``resume_at_s`` is :data:`RESUME_BACKOFF_S` before the saved position, never negative,
  and 0 for a watched title (it starts over).
* Only titles in the published catalog can be saved (404 otherwise). Listings skip titles
  that left the catalog since; their records stay (and can be read or deleted by id).
* Every query is scoped to the signed-in user: nobody sees or changes another's progress.

Episodes (``kind = 'episode'``, ``tmdb_id`` = the show) follow the same rules under
``/api/progress/episode/<show>/<season>/<episode>``; ``GET /api/progress/show/<show>`` answers
every episode's record (watched marks, progress bars) and the show's "up next". In
"continue watching" a show appears once, by its most recent episode: that episode while it
is in progress, else the next unwatched episode after it (``up_next: true``, see
:mod:`serve.up_next`); a show watched to its last episode leaves the list.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from typing import Any, Literal

from flask import Blueprint, Response, jsonify
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, ConfigDict, Field, model_validator

from core.catalog.snapshots import CatalogSnapshot
from serve.errors import NotFound
from serve.extensions import app_db, app_settings, catalog_reader, limiter
from serve.movies import movie_summaries
from serve.params import MAX_ID, choice_arg, int_arg, json_body, language_arg, parse_int
from serve.shows import show_summaries
from serve.tokens import require_user
from serve.trakt_progress import scrobble_progress
from serve.up_next import EpisodeKey, episode_names, next_episode

bp = Blueprint("progress", __name__, url_prefix="/api/progress")

MAX_DURATION_S = 24 * 3600.0
POSITION_TOLERANCE_S = 1.0
WATCHED_FRACTION = 0.9
RESUME_BACKOFF_S = 5.0
DEFAULT_LIMIT = 20
MAX_LIMIT = 100
INCLUDES = ("watched",)

Kind = Literal["movie", "episode"]


@bp.before_request
def _authenticate() -> None:
    require_user()


limiter.shared_limit(lambda: app_settings().rate_limit_progress, scope="progress")(bp)


class ProgressUpdate(BaseModel):
    """``PUT`` body: where the player is, in seconds."""

    model_config = ConfigDict(extra="forbid", strict=True)

    position_s: float = Field(ge=0, le=MAX_DURATION_S, allow_inf_nan=False)
    duration_s: float = Field(gt=0, le=MAX_DURATION_S, allow_inf_nan=False)

    @model_validator(mode="after")
    def _position_within_duration(self) -> ProgressUpdate:
        if self.position_s > self.duration_s + POSITION_TOLERANCE_S:
            raise ValueError(
                f"position_s ({self.position_s}) is past duration_s ({self.duration_s})"
            )
        return self


class ProgressItem(BaseModel):
    """One title's stored progress, as every progress endpoint answers it."""

    kind: Kind
    tmdb_id: int
    title: str | None = Field(description="Localised title; null once it left the catalog")
    poster: str | None = Field(description="Poster URL (w342) or null")
    position_s: float
    duration_s: float
    progress: float = Field(ge=0, le=1, description="position_s / duration_s")
    resume_at_s: float = Field(
        ge=0, description="Where to start: 5 s before position_s; 0 when watched"
    )
    updated_at: str = Field(description="ISO-8601 UTC with microseconds")
    watched: bool = Field(description="position_s reached 90 % of duration_s")
    watched_at: str | None = Field(description="When it last reached 90 %")
    season: int | None = Field(default=None, description="Episodes: the season number")
    episode: int | None = Field(default=None, description="Episodes: the episode number")
    episode_name: str | None = Field(default=None, description="Episodes: its localised name")
    up_next: bool = Field(
        default=False,
        description="Continue watching: the next unwatched episode after the show's last "
        "watched one (position 0 unless it was started)",
    )


class ProgressList(BaseModel):
    """``GET /api/progress``: newest first."""

    items: list[ProgressItem]


class ShowProgress(BaseModel):
    """``GET /api/progress/show/<tmdb_id>``: every episode's record and what to play next."""

    items: list[ProgressItem] = Field(description="By season, then episode")
    up_next: ProgressItem | None = Field(
        description="The episode to play: the most recent one while in progress, else the "
        "next unwatched one; null when none is left (or nothing was watched)"
    )


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def is_watched(position_s: float, duration_s: float) -> bool:
    return position_s >= WATCHED_FRACTION * duration_s


def resume_at(position_s: float, watched: bool) -> float:
    """Where the player should start: a little before the saved position, or 0."""
    return 0.0 if watched else max(0.0, position_s - RESUME_BACKOFF_S)


# --- app.sqlite --------------------------------------------------------------------------
_COLUMNS = "kind, tmdb_id, season, episode, position_s, duration_s, watched, updated_at, watched_at"


def save_progress(
    con: sqlite3.Connection,
    user_id: int,
    kind: Kind,
    tmdb_id: int,
    update: ProgressUpdate,
    episode: EpisodeKey = (0, 0),
) -> sqlite3.Row:
    """UPSERT one title's (or episode's) progress for ``user_id``; returns the stored row."""
    duration = float(update.duration_s)
    position = min(float(update.position_s), duration) + 0.0  # also turns -0.0 into 0.0
    watched = is_watched(position, duration)
    now = _now()
    row: sqlite3.Row = con.execute(
        f"INSERT INTO watch_progress (user_id, {_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (user_id, kind, tmdb_id, season, episode) DO UPDATE SET"
        " position_s = excluded.position_s, duration_s = excluded.duration_s,"
        " watched = excluded.watched, updated_at = excluded.updated_at,"
        " watched_at = CASE WHEN excluded.watched = 1 AND watch_progress.watched = 0"
        " THEN excluded.updated_at ELSE watch_progress.watched_at END"
        f" RETURNING {_COLUMNS}",
        (user_id, kind, tmdb_id, *episode, position, duration, int(watched), now,
         now if watched else None),
    ).fetchone()  # fmt: skip
    return row


def read_progress(
    con: sqlite3.Connection,
    user_id: int,
    kind: Kind,
    tmdb_id: int,
    episode: EpisodeKey = (0, 0),
) -> sqlite3.Row | None:
    row: sqlite3.Row | None = con.execute(
        f"SELECT {_COLUMNS} FROM watch_progress"
        " WHERE user_id = ? AND kind = ? AND tmdb_id = ? AND season = ? AND episode = ?",
        (user_id, kind, tmdb_id, *episode),
    ).fetchone()
    return row


def delete_progress(
    con: sqlite3.Connection,
    user_id: int,
    kind: Kind,
    tmdb_id: int,
    episode: EpisodeKey = (0, 0),
) -> bool:
    cur = con.execute(
        "DELETE FROM watch_progress"
        " WHERE user_id = ? AND kind = ? AND tmdb_id = ? AND season = ? AND episode = ?",
        (user_id, kind, tmdb_id, *episode),
    )
    return cur.rowcount > 0


def show_rows(con: sqlite3.Connection, user_id: int, show_id: int) -> list[sqlite3.Row]:
    """Every episode record of one show for ``user_id``, by season then episode."""
    return con.execute(
        f"SELECT {_COLUMNS} FROM watch_progress WHERE user_id = ? AND kind = 'episode'"
        " AND tmdb_id = ? ORDER BY season, episode",
        (user_id, show_id),
    ).fetchall()


def recent_progress(
    con: sqlite3.Connection, user_id: int, include_watched: bool, limit: int, offset: int
) -> list[sqlite3.Row]:
    """Newest first: the user's movie rows (in progress only unless ``include_watched``) and,
    per show, its most recently saved episode (watched or not: it leads to "up next")."""
    watched = "" if include_watched else " AND watched = 0"
    return con.execute(
        f"SELECT {_COLUMNS} FROM watch_progress w WHERE user_id = ?"
        f" AND ((kind = 'movie'{watched}) OR (kind = 'episode' AND NOT EXISTS ("
        "  SELECT 1 FROM watch_progress n WHERE n.user_id = w.user_id AND n.kind = 'episode'"
        "  AND n.tmdb_id = w.tmdb_id AND (n.updated_at > w.updated_at OR (n.updated_at ="
        "  w.updated_at AND (n.season, n.episode) > (w.season, w.episode))))))"
        " ORDER BY updated_at DESC, tmdb_id LIMIT ? OFFSET ?",
        (user_id, limit, offset),
    ).fetchall()


# --- catalog ----------------------------------------------------------------------------
def _titles(
    snapshot: CatalogSnapshot, ids: list[int], language: str, region: str | None
) -> dict[int, dict[str, Any]]:
    """Catalog summaries of those ``ids`` that are in the catalog (localised)."""
    if not ids:
        return {}
    marks = ", ".join("?" for _ in ids)
    present = [
        int(row[0])
        for row in snapshot.query(f"SELECT tmdb_id FROM movies WHERE tmdb_id IN ({marks})", ids)
    ]
    return {
        summary["tmdb_id"]: summary
        for summary in movie_summaries(snapshot, present, language, region)
    }


def progress_item(
    row: sqlite3.Row,
    title: dict[str, Any] | None,
    episode_name: str | None = None,
    up_next: bool = False,
) -> ProgressItem:
    position, duration = float(row["position_s"]), float(row["duration_s"])
    watched = bool(row["watched"])
    is_episode = row["kind"] == "episode"
    return ProgressItem(
        kind=row["kind"],
        tmdb_id=int(row["tmdb_id"]),
        title=(title.get("title") or title.get("name")) if title else None,
        poster=title["poster_url"] if title else None,
        position_s=position,
        duration_s=duration,
        progress=round(min(1.0, max(0.0, position / duration)), 4),
        resume_at_s=resume_at(position, watched),
        updated_at=str(row["updated_at"]),
        watched=watched,
        watched_at=row["watched_at"],
        season=int(row["season"]) if is_episode else None,
        episode=int(row["episode"]) if is_episode else None,
        episode_name=episode_name,
        up_next=up_next,
    )


def show_titles(
    snapshot: CatalogSnapshot, ids: list[int], language: str, region: str | None
) -> dict[int, dict[str, Any]]:
    """Card summaries of those show ``ids`` that are in the catalog (localised)."""
    return {s["tmdb_id"]: s for s in show_summaries(snapshot, ids, language, region)}


def up_next_item(
    snapshot: CatalogSnapshot, rows: list[sqlite3.Row], latest: sqlite3.Row, show: dict[str, Any]
) -> ProgressItem | None:
    """What "continue watching" offers for a show whose most recent record is ``latest``:
    that episode while in progress, else the next unwatched one (None: nothing left)."""
    show_id = int(latest["tmdb_id"])
    here = (int(latest["season"]), int(latest["episode"]))
    if not latest["watched"]:
        names = episode_names(snapshot, show_id, [here])
        return progress_item(latest, show, names.get(here))
    seen = {(int(r["season"]), int(r["episode"])) for r in rows if r["watched"]}
    following = next_episode(snapshot, show_id, here, seen)
    if following is None:
        return None
    name = episode_names(snapshot, show_id, [following]).get(following)
    started = next((r for r in rows if (int(r["season"]), int(r["episode"])) == following), None)
    if started is not None:
        return progress_item(started, show, name, up_next=True)
    runtime = snapshot.query(
        "SELECT runtime_min FROM episodes WHERE show_id = ? AND season_number = ?"
        " AND episode_number = ?",
        (show_id, *following),
    )
    minutes = runtime[0][0] if runtime and runtime[0][0] else None
    return ProgressItem(
        kind="episode", tmdb_id=show_id, title=show.get("name"), poster=show["poster_url"],
        position_s=0.0, duration_s=float(minutes * 60 if minutes else latest["duration_s"]),
        progress=0.0, resume_at_s=0.0, updated_at=str(latest["updated_at"]), watched=False,
        watched_at=None, season=following[0], episode=following[1], episode_name=name,
        up_next=True,
    )  # fmt: skip


def _movie_id(raw: str) -> int:
    return parse_int("tmdb_id", raw, 1, MAX_ID)


# --- routes -----------------------------------------------------------------------------
@bp.get("")
def list_progress() -> ResponseReturnValue:
    """The signed-in user's in-progress titles, newest first ("continue watching")."""
    user = require_user()
    limit = int_arg("limit", DEFAULT_LIMIT, 1, MAX_LIMIT) or DEFAULT_LIMIT
    include_watched = choice_arg("include", INCLUDES, None) == "watched"
    language, region = language_arg()
    snapshot = catalog_reader().snapshot()
    con = app_db().connection()
    items: list[ProgressItem] = []
    offset = 0
    # Titles that left the catalog are skipped, so read in batches until the page is full.
    while len(items) < limit:
        rows = recent_progress(con, user.id, include_watched, limit, offset)
        movie_ids = [int(r["tmdb_id"]) for r in rows if r["kind"] == "movie"]
        show_ids = [int(r["tmdb_id"]) for r in rows if r["kind"] == "episode"]
        movies = _titles(snapshot, movie_ids, language, region)
        shows = show_titles(snapshot, show_ids, language, region)
        for row in rows:
            tmdb_id = int(row["tmdb_id"])
            if row["kind"] == "movie" and tmdb_id in movies:
                items.append(progress_item(row, movies[tmdb_id]))
            elif row["kind"] == "episode" and tmdb_id in shows:
                item = up_next_item(snapshot, show_rows(con, user.id, tmdb_id), row, shows[tmdb_id])
                if item is None and include_watched:
                    key = (int(row["season"]), int(row["episode"]))
                    name = episode_names(snapshot, tmdb_id, [key]).get(key)
                    item = progress_item(row, shows[tmdb_id], name)
                if item is not None:
                    items.append(item)
        if len(rows) < limit:
            break
        offset += limit
    return jsonify(ProgressList(items=items[:limit]).model_dump())


@bp.get("/movie/<tmdb_id>")
def get_movie_progress(tmdb_id: str) -> ResponseReturnValue:
    """One title's progress (the player's "resume?" prompt); 404 when none is stored."""
    user = require_user()
    movie_id = _movie_id(tmdb_id)
    language, region = language_arg()
    row = read_progress(app_db().connection(), user.id, "movie", movie_id)
    if row is None:
        raise NotFound(f"no progress stored for movie {movie_id}", code="progress_not_found")
    titles = _titles(catalog_reader().snapshot(), [movie_id], language, region)
    return jsonify(progress_item(row, titles.get(movie_id)).model_dump())


@bp.put("/movie/<tmdb_id>")
def put_movie_progress(tmdb_id: str) -> ResponseReturnValue:
    """Store the player's position for a catalog movie; answers the stored record."""
    user = require_user()
    movie_id = _movie_id(tmdb_id)
    body = json_body(ProgressUpdate)
    language, region = language_arg()
    titles = _titles(catalog_reader().snapshot(), [movie_id], language, region)
    if movie_id not in titles:
        raise NotFound(f"movie {movie_id} is not in the catalog", code="movie_not_found")
    con = app_db().connection()
    before = read_progress(con, user.id, "movie", movie_id)
    row = save_progress(con, user.id, "movie", movie_id, body)
    scrobble_progress(con, user.id, "movie", movie_id, before, row)
    return jsonify(progress_item(row, titles[movie_id]).model_dump())


@bp.delete("/movie/<tmdb_id>")
def delete_movie_progress(tmdb_id: str) -> ResponseReturnValue:
    """Forget one title's progress (it leaves "continue watching"); 404 when none."""
    user = require_user()
    movie_id = _movie_id(tmdb_id)
    if not delete_progress(app_db().connection(), user.id, "movie", movie_id):
        raise NotFound(f"no progress stored for movie {movie_id}", code="progress_not_found")
    return Response(status=204)
