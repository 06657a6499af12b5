# ruff: noqa: F811 - the shared fixtures are imported from tests.serve.trakt_support
"""Scrobbles: player progress and explicit events go through the durable queue to the fake
Trakt, in order, once each, through outages, rate limits and concurrent senders."""

from __future__ import annotations

import sqlite3
import threading
import time
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from core.appdb import AppDatabase
from core.settings import Settings
from core.trakt_scrobbles import drain, enqueue
from sandbox.fake_upstream import RunningUpstream
from sandbox.faults import FaultConfig
from sandbox.trakt_routes import TraktRoutes
from serve.trakt_service import ScrobbleSender
from tests.helpers.trakt import build_catalogue_warehouse
from tests.serve.conftest import assert_error
from tests.serve.trakt_support import (  # noqa: F401 - fixtures
    CATALOGUE,
    _user_id,
    headers_for,
    link,
    settings,
    trakt,
    trakt_app,
    upstream,
    user,
)

EMAIL = "viewer@example.test"


def _sent(trakt: TraktRoutes, username: str) -> list[tuple[str, float]]:
    return [(s["action"], s["progress"]) for s in trakt.libraries.scrobbles
            if s["username"] == username]  # fmt: skip


def _queue(app: Flask) -> list[tuple[Any, ...]]:
    con = sqlite3.connect(app.extensions["miauflix"]["settings"].app_db_path)
    try:
        return con.execute(
            "SELECT action, state, attempts FROM trakt_scrobbles ORDER BY id"
        ).fetchall()
    finally:
        con.close()


def _make_due(app: Flask) -> None:
    con = sqlite3.connect(app.extensions["miauflix"]["settings"].app_db_path)
    con.execute("UPDATE trakt_scrobbles SET next_attempt_at = 0")
    con.commit()
    con.close()


def _scrobble(client: FlaskClient, headers: dict[str, str], **body: Any) -> Any:
    return client.post("/api/trakt/scrobble", json=body, headers=headers)


def _put(client: FlaskClient, headers: dict[str, str], tmdb_id: int, pos: float) -> None:
    answer = client.put(f"/api/progress/movie/{tmdb_id}", json={"position_s": pos,
                        "duration_s": 6000.0}, headers=headers)  # fmt: skip
    assert answer.status_code == 200, answer.get_data(as_text=True)


def test_player_progress_scrobbles_start_pause_and_stop_at_80_percent(
    trakt_app: Flask, settings: Settings, user: dict[str, str], trakt: TraktRoutes
) -> None:
    build_catalogue_warehouse(settings, CATALOGUE)
    client = trakt_app.test_client()
    link(client, user, trakt, "player")
    tmdb_id = CATALOGUE.tmdb_ids[2]
    _put(client, user, tmdb_id, 60)
    _put(client, user, tmdb_id, 3000)
    _put(client, user, tmdb_id, 5000)
    assert _sent(trakt, "player") == [("start", 1.0), ("pause", 50.0), ("scrobble", 83.33)]
    history = trakt.libraries.library("player").history
    assert sum(1 for h in history if h.get("movie", {}).get("ids", {}).get("tmdb") == tmdb_id
               and h["action"] == "scrobble") == 1  # fmt: skip


def test_progress_of_an_unlinked_user_queues_nothing(
    trakt_app: Flask, settings: Settings, user: dict[str, str], trakt: TraktRoutes
) -> None:
    build_catalogue_warehouse(settings, CATALOGUE)
    _put(trakt_app.test_client(), user, CATALOGUE.tmdb_ids[1], 100)
    assert _queue(trakt_app) == []


def test_an_outage_holds_the_queue_in_order_and_nothing_is_lost_or_doubled(
    trakt_app: Flask, user: dict[str, str], trakt: TraktRoutes, upstream: RunningUpstream
) -> None:
    client = trakt_app.test_client()
    link(client, user, trakt, "outage")
    tmdb_id = CATALOGUE.tmdb_ids[4]
    upstream.upstream.set_faults(FaultConfig(error_rate=1.0))
    try:
        for action, progress in (("start", 5.0), ("stop", 95.0)):
            answer = _scrobble(client, user, kind="movie", tmdb_id=tmdb_id, action=action,
                               progress=progress)  # fmt: skip
            assert answer.status_code == 202
    finally:
        upstream.upstream.set_faults(FaultConfig())
    assert _queue(trakt_app) == [("start", "queued", 1), ("stop", "queued", 0)]
    _make_due(trakt_app)
    _scrobble(client, user, kind="movie", tmdb_id=tmdb_id, action="stop", progress=95.0)
    assert _sent(trakt, "outage") == [("start", 5.0), ("scrobble", 95.0)]  # the repeat: 409
    assert [row[1] for row in _queue(trakt_app)] == ["sent", "sent", "sent"]
    watched = [h for h in trakt.libraries.library("outage").history if h["action"] == "scrobble"]
    assert len(watched) == 1


def test_a_rate_limited_scrobble_is_retried_later(
    trakt_app: Flask, user: dict[str, str], trakt: TraktRoutes
) -> None:
    client = trakt_app.test_client()
    link(client, user, trakt, "limited")
    tmdb_id = CATALOGUE.tmdb_ids[6]
    trakt.libraries.post_interval_s = 300.0
    _scrobble(client, user, kind="movie", tmdb_id=tmdb_id, action="start", progress=1.0)
    _scrobble(client, user, kind="movie", tmdb_id=tmdb_id, action="pause", progress=20.0)
    assert _queue(trakt_app) == [("start", "sent", 0), ("pause", "queued", 1)]
    trakt.libraries.post_interval_s = 0.0
    _make_due(trakt_app)
    _scrobble(client, user, kind="movie", tmdb_id=tmdb_id, action="pause", progress=30.0)
    assert _sent(trakt, "limited") == [("start", 1.0), ("pause", 20.0), ("pause", 30.0)]


def test_a_title_trakt_does_not_know_is_dropped_and_the_queue_moves_on(
    trakt_app: Flask, user: dict[str, str], trakt: TraktRoutes
) -> None:
    client = trakt_app.test_client()
    link(client, user, trakt, "unknown")
    _scrobble(client, user, kind="movie", tmdb_id=999_999_999, action="start", progress=1.0)
    _scrobble(client, user, kind="movie", tmdb_id=CATALOGUE.tmdb_ids[0], action="start",
              progress=1.0)  # fmt: skip
    assert [row[1] for row in _queue(trakt_app)] == ["dropped", "sent"]


def test_episode_scrobbles_name_the_show_and_the_episode(
    trakt_app: Flask, user: dict[str, str], trakt: TraktRoutes
) -> None:
    client = trakt_app.test_client()
    link(client, user, trakt, "episodes")
    show = CATALOGUE.tv_ids[0]
    answer = _scrobble(client, user, kind="episode", tmdb_id=show, season=1, episode=1,
                       action="stop", progress=90.0)  # fmt: skip
    assert answer.status_code == 202
    sent = [s for s in trakt.libraries.scrobbles if s["username"] == "episodes"]
    assert sent and sent[0]["episode"]["season"] == 1 and sent[0]["episode"]["number"] == 1


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "movie", "tmdb_id": 1, "action": "start", "progress": 101},
        {"kind": "movie", "tmdb_id": 1, "action": "start", "progress": -1},
        {"kind": "movie", "tmdb_id": 1, "action": "start", "progress": "50"},
        {"kind": "movie", "tmdb_id": 1, "action": "rewind", "progress": 5},
        {"kind": "movie", "tmdb_id": 0, "action": "start", "progress": 5},
        {"kind": "movie", "tmdb_id": 2**63, "action": "start", "progress": 5},
        {
            "kind": "movie",
            "tmdb_id": 1,
            "season": 1,
            "episode": 2,
            "action": "start",
            "progress": 5,
        },
        {"kind": "episode", "tmdb_id": 1, "action": "start", "progress": 5},
        {"kind": "song", "tmdb_id": 1, "action": "start", "progress": 5},
        {"kind": "movie", "tmdb_id": 1, "action": "start", "progress": 5, "extra": 1},
    ],
)
def test_malformed_scrobbles_are_refused(
    trakt_app: Flask, user: dict[str, str], trakt: TraktRoutes, body: dict[str, Any]
) -> None:
    assert_error(_scrobble(trakt_app.test_client(), user, **body), 400)


def test_scrobbling_without_a_link_is_409(trakt_app: Flask, user: dict[str, str]) -> None:
    answer = _scrobble(trakt_app.test_client(), user, kind="movie", tmdb_id=5, action="start",
                       progress=1.0)  # fmt: skip
    assert_error(answer, 409, "trakt_not_linked")


def test_concurrent_senders_send_each_queued_scrobble_once_in_order(
    trakt_app: Flask, settings: Settings, user: dict[str, str], trakt: TraktRoutes
) -> None:
    client = trakt_app.test_client()
    link(client, user, trakt, "racer")
    uid = _user_id(trakt_app, EMAIL)
    db = AppDatabase(settings.app_db_path)
    con = db.connection()
    ids = CATALOGUE.tmdb_ids[10:16]
    for tmdb_id in ids:
        enqueue(con, uid, "movie", tmdb_id, "start", 2.0)
    keyring, tc = (
        trakt_app.extensions["miauflix"]["keyring"],
        trakt_app.extensions["miauflix.trakt"],
    )

    def send() -> None:
        mine = AppDatabase(settings.app_db_path)
        for _ in range(20):
            drain(mine.connection(), keyring, tc, uid)
        mine.close()

    threads = [threading.Thread(target=send) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    sent = [
        s["movie"]["ids"]["tmdb"] for s in trakt.libraries.scrobbles if s["username"] == "racer"
    ]
    assert sent == ids
    db.close()


def test_the_background_sender_drains_a_kicked_users_queue(
    trakt_app: Flask, settings: Settings, user: dict[str, str], trakt: TraktRoutes
) -> None:
    client = trakt_app.test_client()
    link(client, user, trakt, "threaded")
    uid = _user_id(trakt_app, EMAIL)
    db = AppDatabase(settings.app_db_path)
    enqueue(db.connection(), uid, "movie", CATALOGUE.tmdb_ids[20], "start", 3.0)
    tc = trakt_app.extensions["miauflix.trakt"]
    sender = ScrobbleSender(settings.app_db_path, trakt_app.extensions["miauflix"]["keyring"],
                            lambda: tc)  # fmt: skip
    sender.kick(uid)
    deadline = time.monotonic() + 20
    while _sent(trakt, "threaded") == [] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _sent(trakt, "threaded") == [("start", 3.0)]
    db.close()
