"""``POST /api/movies/<tmdb_id>/stream``: pick a source and issue a signed stream URL.

Body (optional, :class:`StreamRequest`): ``{"source_id": str}`` or ``{"quality": "720p"}``,
and ``{"profile": "web" | "tv"}`` (default web). Answer: ``{"stream_url", "expires_at",
"source": {...}}``. The URL points at the engine (``MIAUFLIX_ENGINE_URL``) and carries a
key bound to the user and the source (:mod:`core.stream_keys`), which the engine verifies
on its own. The source catalog and the signer are built once per app (``create_app``).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from flask import Blueprint, Response, jsonify
from pydantic import BaseModel, ConfigDict, Field, model_validator

from core.catalog.contract import SecretUnreadable, SourceNotFound
from serve.answers import StreamAnswer, StreamSource
from serve.errors import ApiError, NotFound
from serve.extensions import app_settings, source_catalog, stream_signer
from serve.params import optional_json_body
from serve.tokens import current_session_id, require_user

bp = Blueprint("streams", __name__)


class StreamRequest(BaseModel):
    """Which source to stream: a named one, the best in a quality, or the best overall."""

    model_config = ConfigDict(extra="forbid")

    source_id: str | None = Field(
        default=None, pattern=r"^[A-Za-z0-9_-]{1,64}$", description="A source id of the movie."
    )
    quality: str | None = Field(
        default=None,
        pattern=r"^(?i:[0-9]{3,4}p(\.3D)?)$",
        description="Best source in this quality (e.g. 720p, 1080p, 2160p, 1080p.3D).",
    )
    profile: Literal["web", "tv"] = Field(default="web", description="Ranking profile.")

    @model_validator(mode="after")
    def _one_choice(self) -> StreamRequest:
        if self.source_id is not None and self.quality is not None:
            raise ValueError("give source_id or quality, not both")
        return self


@bp.post("/api/movies/<int:tmdb_id>/stream")
def issue_stream(tmdb_id: int) -> tuple[Response, int]:
    user = require_user()  # also refuses a revoked session or a disabled user
    body = optional_json_body(StreamRequest)
    try:
        source = source_catalog().pick(
            tmdb_id, profile=body.profile, source_id=body.source_id, quality=body.quality
        )
    except SourceNotFound as exc:
        raise NotFound(str(exc), code="source_not_found") from None
    except SecretUnreadable as exc:
        raise ApiError(str(exc), status=502, code="source_unavailable") from None
    # Bound to the sign-in session: revoking it (or a refresh-token reuse) ends the URL.
    key, expires_at = stream_signer().issue(
        str(user.id), source.source_id, profile=body.profile, session=current_session_id() or None
    )
    expires = dt.datetime.fromtimestamp(expires_at, dt.UTC).isoformat().replace("+00:00", "Z")
    answer = StreamAnswer(
        stream_url=f"{app_settings().engine_url}/stream/{key}",
        expires_at=expires,
        source=StreamSource.model_validate(source.public()),
    )
    return jsonify(answer.model_dump()), 200
