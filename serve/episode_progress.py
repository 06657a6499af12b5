"""``/api/progress/episode/<show>/<season>/<episode>`` and ``/api/progress/show/<show>``:
watch progress of episodes, under the rules of :mod:`serve.progress` (same limits, same
answer, scoped to the signed-in user)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify
from flask.typing import ResponseReturnValue

from serve.errors import NotFound
from serve.extensions import app_db, app_settings, catalog_reader, limiter
from serve.params import MAX_ID, json_body, language_arg, parse_int
from serve.progress import (
    ProgressUpdate,
    ShowProgress,
    delete_progress,
    progress_item,
    read_progress,
    save_progress,
    show_rows,
    show_titles,
    up_next_item,
)
from serve.show_streams import MAX_EPISODE
from serve.shows import MAX_SEASON
from serve.tokens import require_user
from serve.trakt_progress import scrobble_progress
from serve.up_next import EpisodeKey, episode_names

bp = Blueprint("episode_progress", __name__, url_prefix="/api/progress")


@bp.before_request
def _authenticate() -> None:
    require_user()


limiter.shared_limit(lambda: app_settings().rate_limit_progress, scope="progress")(bp)


def _episode(tmdb_id: str, season: str, episode: str) -> tuple[int, EpisodeKey]:
    return parse_int("tmdb_id", tmdb_id, 1, MAX_ID), (
        parse_int("season", season, 0, MAX_SEASON),
        parse_int("episode", episode, 1, MAX_EPISODE),
    )


def _label(show_id: int, key: EpisodeKey) -> str:
    return f"S{key[0]:02d}E{key[1]:02d} of show {show_id}"


EPISODE = "/episode/<tmdb_id>/<season>/<episode>"


@bp.get(EPISODE)
def get_episode_progress(tmdb_id: str, season: str, episode: str) -> ResponseReturnValue:
    """One episode's progress (the player's "resume?" prompt); 404 when none is stored."""
    user = require_user()
    show_id, key = _episode(tmdb_id, season, episode)
    language, region = language_arg()
    row = read_progress(app_db().connection(), user.id, "episode", show_id, key)
    if row is None:
        raise NotFound(f"no progress stored for {_label(show_id, key)}", code="progress_not_found")
    snapshot = catalog_reader().snapshot()
    show = show_titles(snapshot, [show_id], language, region).get(show_id)
    name = episode_names(snapshot, show_id, [key]).get(key)
    return jsonify(progress_item(row, show, name).model_dump())


@bp.put(EPISODE)
def put_episode_progress(tmdb_id: str, season: str, episode: str) -> ResponseReturnValue:
    """Store the player's position in a catalog episode; answers the stored record."""
    user = require_user()
    show_id, key = _episode(tmdb_id, season, episode)
    body = json_body(ProgressUpdate)
    language, region = language_arg()
    snapshot = catalog_reader().snapshot()
    names = episode_names(snapshot, show_id, [key])
    show = show_titles(snapshot, [show_id], language, region).get(show_id)
    if key not in names or show is None:
        raise NotFound(f"{_label(show_id, key)} is not in the catalog", code="episode_not_found")
    con = app_db().connection()
    before = read_progress(con, user.id, "episode", show_id, key)
    row = save_progress(con, user.id, "episode", show_id, body, key)
    scrobble_progress(con, user.id, "episode", show_id, before, row, key)
    return jsonify(progress_item(row, show, names[key]).model_dump())


@bp.delete(EPISODE)
def delete_episode_progress(tmdb_id: str, season: str, episode: str) -> ResponseReturnValue:
    """Forget one episode's progress (unmark it as watched); 404 when none."""
    user = require_user()
    show_id, key = _episode(tmdb_id, season, episode)
    if not delete_progress(app_db().connection(), user.id, "episode", show_id, key):
        raise NotFound(f"no progress stored for {_label(show_id, key)}", code="progress_not_found")
    return Response(status=204)


@bp.get("/show/<tmdb_id>")
def get_show_progress(tmdb_id: str) -> ResponseReturnValue:
    """Every episode record of a show (watched marks, progress bars) and its "up next"."""
    user = require_user()
    show_id = parse_int("tmdb_id", tmdb_id, 1, MAX_ID)
    language, region = language_arg()
    snapshot = catalog_reader().snapshot()
    show = show_titles(snapshot, [show_id], language, region).get(show_id)
    if show is None:
        raise NotFound(f"show {show_id} is not in the catalog", code="show_not_found")
    rows = show_rows(app_db().connection(), user.id, show_id)
    names = episode_names(snapshot, show_id, [(int(r["season"]), int(r["episode"])) for r in rows])
    items = [progress_item(r, show, names.get((int(r["season"]), int(r["episode"])))) for r in rows]
    latest = max(
        rows, key=lambda r: (str(r["updated_at"]), r["season"], r["episode"]), default=None
    )
    up_next = up_next_item(snapshot, rows, latest, show) if latest is not None else None
    return jsonify(ShowProgress(items=items, up_next=up_next).model_dump())
