"""``POST /api/shows/<tmdb_id>/seasons/<n>/episodes/<e>/stream``: pick an episode's source
and issue a signed stream URL whose key names the episode (a season pack's engine picks
that episode's file).

Body and answer as for a movie (:mod:`serve.streams`): ``{"source_id"}`` or
``{"quality"}``, ``{"profile"}``; answer ``{"stream_url", "expires_at", "source"}`` whose
source also says which episode it plays and whether it is a pack.
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, jsonify

from core.catalog.contract import SecretUnreadable, SourceNotFound
from serve.errors import ApiError, NotFound
from serve.extensions import app_settings, source_catalog, stream_signer
from serve.params import MAX_ID, optional_json_body, parse_int
from serve.show_answers import EpisodeStreamAnswer, EpisodeStreamSource
from serve.shows import MAX_SEASON
from serve.streams import StreamRequest
from serve.tokens import current_session_id, require_user

bp = Blueprint("show_streams", __name__)

MAX_EPISODE = 9_999


@bp.post("/api/shows/<tmdb_id>/seasons/<season>/episodes/<episode>/stream")
def issue_episode_stream(tmdb_id: str, season: str, episode: str) -> tuple[Response, int]:
    user = require_user()  # also refuses a revoked session or a disabled user
    show_id = parse_int("tmdb_id", tmdb_id, 1, MAX_ID)
    season_number = parse_int("season", season, 0, MAX_SEASON)
    episode_number = parse_int("episode", episode, 1, MAX_EPISODE)
    body = optional_json_body(StreamRequest)
    try:
        source = source_catalog().pick_episode(
            show_id,
            season_number,
            episode_number,
            profile=body.profile,
            source_id=body.source_id,
            quality=body.quality,
        )
    except SourceNotFound as exc:
        raise NotFound(str(exc), code="source_not_found") from None
    except SecretUnreadable as exc:
        raise ApiError(str(exc), status=502, code="source_unavailable") from None
    session = current_session_id()
    key, expires_at = stream_signer().issue(
        str(user.id),
        source.source_id,
        profile=body.profile,
        session=session or None,
        episode=(season_number, episode_number),
    )
    expires = dt.datetime.fromtimestamp(expires_at, dt.UTC).isoformat().replace("+00:00", "Z")
    public = source.public()
    public.pop("file_hint", None)  # a path inside the torrent: the engine's business
    answer = EpisodeStreamAnswer(
        stream_url=f"{app_settings().engine_url}/stream/{key}",
        expires_at=expires,
        source=EpisodeStreamSource.model_validate(public),
    )
    return jsonify(answer.model_dump()), 200
