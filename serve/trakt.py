"""``/api/trakt``: link a Trakt account (device code), its state, unlink, the watchlist, and
explicit player scrobbles.

* ``POST /api/trakt/link`` asks Trakt for a device code and answers ``user_code``,
  ``verification_url``, ``expires_in`` and ``interval``; any earlier link of the user is
  replaced (its tokens forgotten).
* ``GET /api/trakt`` answers the state (``unlinked``, ``pending``, ``linked``, ``denied``,
  ``expired``, ``failed``); while pending, each call may poll Trakt once (see
  :mod:`serve.trakt_service`).
* ``DELETE /api/trakt`` revokes the access token at Trakt, then forgets the link, its
  tokens, its watchlist and its queued scrobbles (also when Trakt cannot be reached:
  ``revoked`` says whether Trakt confirmed).
* ``GET /api/trakt/watchlist`` is the user's Trakt watchlist as catalogue cards.
* ``POST /api/trakt/scrobble`` queues a player event (start/pause/stop) for Trakt.

Tokens never leave the server: no answer, log line or error message carries them.
"""

from __future__ import annotations

import logging
import time
from typing import Literal

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, ConfigDict, Field

from core.catalog.snapshots import CatalogSnapshot
from core.trakt import TraktError
from core.trakt_scrobbles import enqueue, pending
from core.trakt_store import access_token, read_link, start_link, unlink
from serve import audit
from serve.errors import ApiError, InvalidBody, NotFound
from serve.extensions import app_db, catalog_reader, keyring, limiter
from serve.movies import movie_summaries
from serve.params import MAX_ID, json_body, language_arg
from serve.shows import show_summaries
from serve.tokens import require_user
from serve.trakt_service import advance_link, scrobble_sender, trakt_client

log = logging.getLogger(__name__)

bp = Blueprint("trakt", __name__, url_prefix="/api/trakt")
LINK_LIMIT = "10 per minute"
STATE_LIMIT = "120 per minute"
SCROBBLE_LIMIT = "120 per minute"
MAX_EPISODE = 10_000
MAX_SEASON = 1_000

State = Literal["unlinked", "pending", "linked", "denied", "expired", "failed"]


@bp.before_request
def _authenticate() -> None:
    require_user()


class LinkAnswer(BaseModel):
    """``POST /api/trakt/link``: show the code and the address; poll ``GET /api/trakt``."""

    state: Literal["pending"]
    user_code: str = Field(description="The code the person enters at verification_url")
    verification_url: str
    expires_in: int = Field(description="Seconds the code stays valid")
    interval: int = Field(description="Seconds between state checks")


class TraktState(BaseModel):
    """``GET /api/trakt``: the link state of the signed-in user."""

    state: State
    user_code: str | None = Field(default=None, description="While pending")
    verification_url: str | None = Field(default=None, description="While pending")
    expires_in: int | None = Field(default=None, description="While pending: seconds left")
    interval: int | None = Field(default=None, description="While pending")
    linked_at: str | None = None
    synced_at: str | None = Field(default=None, description="Last ingest of this account")
    pending_scrobbles: int = Field(default=0, description="Player events not yet sent")
    detail: str = Field(default="", description="Why a link ended (denied, expired, ...)")


class Unlinked(BaseModel):
    state: Literal["unlinked"]
    revoked: bool = Field(description="Trakt confirmed the token was revoked")


class WatchlistItem(BaseModel):
    kind: Literal["movie", "show"]
    tmdb_id: int
    rank: int
    listed_at: str
    title: str | None
    poster: str | None


class Watchlist(BaseModel):
    items: list[WatchlistItem]


class ScrobbleRequest(BaseModel):
    """A player event: ``stop`` at 80 % or more marks the title watched at Trakt."""

    model_config = ConfigDict(extra="forbid", strict=True)

    kind: Literal["movie", "episode"]
    tmdb_id: int = Field(ge=1, le=MAX_ID, description="The movie, or the show of the episode")
    season: int = Field(default=0, ge=0, le=MAX_SEASON)
    episode: int = Field(default=0, ge=0, le=MAX_EPISODE)
    action: Literal["start", "pause", "stop"]
    progress: float = Field(ge=0, le=100, allow_inf_nan=False, description="Percent watched")


class ScrobbleQueued(BaseModel):
    queued: int = Field(description="Queue row id")
    pending_scrobbles: int


def _state(user_id: int) -> TraktState:
    con = app_db().connection()
    link = read_link(con, user_id)
    if link is None:
        return TraktState(state="unlinked")
    answer = TraktState(
        state=link.state,  # type: ignore[arg-type]
        linked_at=link.linked_at,
        synced_at=link.synced_at,
        pending_scrobbles=pending(con, user_id),
        detail=link.detail,
    )
    if link.state == "pending":
        answer.user_code = link.user_code
        answer.verification_url = link.verification_url
        answer.expires_in = max(0, int(link.code_expires_at - time.time()))
        answer.interval = link.interval_s
    return answer


def _trakt_unavailable(exc: TraktError) -> ApiError:
    return ApiError(
        f"Trakt could not be reached ({exc.path}, status {exc.status})",
        status=502,
        code="trakt_unavailable",
    )


@bp.post("/link")
@limiter.limit(LINK_LIMIT)
def link() -> ResponseReturnValue:
    """Start a device-code link for the signed-in user."""
    user = require_user()
    try:
        device = trakt_client().device_code()
    except TraktError as exc:
        raise _trakt_unavailable(exc) from None
    _revoke_quietly(user.id)  # linking again replaces the old tokens: retire them at Trakt
    start_link(app_db().connection(), keyring(), user.id, device, time.time())
    log.info("trakt link started for user %s", user.id)
    answer = LinkAnswer(
        state="pending",
        user_code=device.user_code,
        verification_url=device.verification_url,
        expires_in=device.expires_in,
        interval=device.interval,
    )
    return jsonify(answer.model_dump()), 201


@bp.get("")
@limiter.limit(STATE_LIMIT)
def state() -> ResponseReturnValue:
    """The link state; a pending link is advanced (one poll of Trakt when due)."""
    user = require_user()
    advance_link(user.id)
    return jsonify(_state(user.id).model_dump())


def _revoke_quietly(user_id: int) -> bool:
    """Revoke the user's access token at Trakt when linked; False when it could not be."""
    con = app_db().connection()
    link = read_link(con, user_id)
    if link is None or link.state != "linked":
        return False
    try:
        token = access_token(con, keyring(), trakt_client(), user_id)
        if token is None:
            return False
        trakt_client().revoke(token)
    except TraktError as exc:
        log.warning("trakt revoke for user %s failed: %s", user_id, exc)
        return False
    return True


@bp.delete("")
@limiter.limit(LINK_LIMIT)
def delete() -> ResponseReturnValue:
    """Revoke the token at Trakt and forget the link."""
    user = require_user()
    con = app_db().connection()
    if read_link(con, user.id) is None:
        raise NotFound("no Trakt account is linked", code="trakt_not_linked")
    revoked = _revoke_quietly(user.id)
    unlink(con, user.id)
    audit.record(app_db(), "trakt_unlinked", user_id=user.id, revoked=revoked)
    log.info("trakt unlinked for user %s (revoked: %s)", user.id, revoked)
    return jsonify(Unlinked(state="unlinked", revoked=revoked).model_dump())


@bp.get("/watchlist")
@limiter.limit(STATE_LIMIT)
def watchlist() -> ResponseReturnValue:
    """The signed-in user's Trakt watchlist (titles in the catalog), in Trakt's order."""
    user = require_user()
    language, region = language_arg()
    rows = (
        app_db()
        .connection()
        .execute(
            "SELECT kind, tmdb_id, rank, listed_at FROM trakt_watchlist WHERE user_id = ?"
            " ORDER BY rank, listed_at",
            (user.id,),
        )
        .fetchall()
    )
    snapshot = catalog_reader().snapshot()
    movie_ids = [int(r[1]) for r in rows if r[0] == "movie"]
    show_ids = [int(r[1]) for r in rows if r[0] == "show"]
    present = _present(snapshot, movie_ids)
    movies = {m["tmdb_id"]: m for m in movie_summaries(snapshot, present, language, region)}
    shows = {s["tmdb_id"]: s for s in show_summaries(snapshot, show_ids, language, region)}
    items = []
    for kind, tmdb_id, rank, listed_at in rows:
        card = (movies if kind == "movie" else shows).get(int(tmdb_id))
        if card is None:
            continue
        items.append(
            WatchlistItem(
                kind=kind, tmdb_id=int(tmdb_id), rank=int(rank), listed_at=str(listed_at),
                title=card.get("title") or card.get("name"), poster=card.get("poster_url"),
            )
        )  # fmt: skip
    return jsonify(Watchlist(items=items).model_dump())


def _present(snapshot: CatalogSnapshot, ids: list[int]) -> list[int]:
    if not ids:
        return []
    marks = ", ".join("?" for _ in ids)
    rows = snapshot.query(f"SELECT tmdb_id FROM movies WHERE tmdb_id IN ({marks})", ids)
    return [int(r[0]) for r in rows]


@bp.post("/scrobble")
@limiter.limit(SCROBBLE_LIMIT)
def scrobble() -> ResponseReturnValue:
    """Queue a player event for Trakt (sent in order, retried while Trakt is away)."""
    user = require_user()
    body = json_body(ScrobbleRequest)
    if (body.kind == "movie" and (body.season or body.episode)) or (
        body.kind == "episode" and body.episode < 1
    ):
        raise InvalidBody("episodes need an episode >= 1; movies take no season or episode")
    con = app_db().connection()
    link = read_link(con, user.id)
    if link is None or link.state != "linked":
        raise ApiError("no Trakt account is linked", status=409, code="trakt_not_linked")
    row_id = enqueue(con, user.id, body.kind, body.tmdb_id, body.action, body.progress,
                     (body.season, body.episode))  # fmt: skip
    scrobble_sender().kick(user.id)
    answer = ScrobbleQueued(queued=row_id, pending_scrobbles=pending(con, user.id))
    return jsonify(answer.model_dump()), 202
