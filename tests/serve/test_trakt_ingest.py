# ruff: noqa: F811 - the shared fixtures are imported from tests.serve.trakt_support
"""After the Trakt ingest, the API shows each linked user their own Trakt progress (merged
with local progress, the newer wins) and watchlist, and no token is on disk or in a log."""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from core.settings import Settings
from flows.trakt import run_trakt
from sandbox.trakt_routes import TraktRoutes
from tests.helpers.trakt import build_catalogue_warehouse, every_file_bytes, scaled_client
from tests.serve.trakt_support import (  # noqa: F401 - fixtures
    CATALOGUE,
    _state,
    headers_for,
    link,
    settings,
    trakt,
    trakt_app,
    upstream,
    user,
)


def _get(client: FlaskClient, path: str, headers: dict[str, str]) -> Any:
    answer = client.get(path, headers=headers)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_json()


def _playback(trakt: TraktRoutes, username: str) -> dict[int, float]:
    playback = trakt.libraries.library(username).playback
    return {p["movie"]["ids"]["tmdb"]: p["progress"] for p in playback if p["type"] == "movie"}


@pytest.fixture
def two_linked(
    trakt_app: Flask,
    settings: Settings,
    user: dict[str, str],
    trakt: TraktRoutes,
    request: pytest.FixtureRequest,
) -> tuple[dict[str, str], dict[str, str], str, str]:
    build_catalogue_warehouse(settings, CATALOGUE)
    client = trakt_app.test_client()
    other = headers_for(trakt_app, "other@example.test")
    names = (f"ann-{request.node.name}", f"bob-{request.node.name}")
    link(client, user, trakt, names[0])
    link(client, other, trakt, names[1])
    return user, other, *names


def _sync(settings: Settings) -> dict[str, Any]:
    with scaled_client(settings) as client:
        return run_trakt(settings, client=client)


def test_progress_and_lists_show_each_users_own_trakt_data(
    trakt_app: Flask, settings: Settings, trakt: TraktRoutes, two_linked: tuple[Any, ...]
) -> None:
    ann, bob, ann_name, bob_name = two_linked
    _sync(settings)
    client = trakt_app.test_client()
    for headers, name in ((ann, ann_name), (bob, bob_name)):
        items = _get(client, "/api/progress", headers)["items"]
        got = {i["tmdb_id"]: round(i["progress"] * 100, 1) for i in items if i["kind"] == "movie"}
        expected = {k: round(v, 1) for k, v in _playback(trakt, name).items()}
        assert got == expected
        lists = _get(client, "/api/lists", headers)["results"]
        watch = [entry for entry in lists if entry["name"] == "watchlist"]
        assert watch == [{"name": "watchlist", "count": 4, "personal": True}]
        wl = _get(client, "/api/trakt/watchlist", headers)["items"]
        assert len(wl) == 4 and all(item["title"] for item in wl)
        assert _get(client, "/api/trakt", headers)["synced_at"]
    ann_titles = {i["tmdb_id"] for i in _get(client, "/api/trakt/watchlist", ann)["items"]}
    bob_titles = {i["tmdb_id"] for i in _get(client, "/api/trakt/watchlist", bob)["items"]}
    assert ann_titles != bob_titles


def test_the_newer_position_wins_per_title(
    trakt_app: Flask, settings: Settings, trakt: TraktRoutes, two_linked: tuple[Any, ...]
) -> None:
    ann, _bob, ann_name, _ = two_linked
    client = trakt_app.test_client()
    older_on_trakt, newer_on_trakt = list(_playback(trakt, ann_name))[:2]
    # The local save is newer than Trakt's pause for this title: the local position stays.
    answer = client.put(f"/api/progress/movie/{older_on_trakt}",
                        json={"position_s": 100.0, "duration_s": 5000.0}, headers=ann)  # fmt: skip
    assert answer.status_code == 200
    # An old local position for the other title: Trakt's newer pause wins.
    con = sqlite3.connect(settings.app_db_path)
    con.execute(
        "INSERT INTO watch_progress (user_id, kind, tmdb_id, position_s, duration_s, updated_at)"
        " SELECT id, 'movie', ?, 10.0, 5000.0, '2020-01-01T00:00:00.000000Z' FROM users"
        " WHERE email = 'viewer@example.test'",
        (newer_on_trakt,),
    )
    con.commit()
    con.close()
    _sync(settings)
    items = {i["tmdb_id"]: i for i in _get(client, "/api/progress", ann)["items"]}
    assert items[older_on_trakt]["position_s"] == 100.0
    trakt_pct = _playback(trakt, ann_name)[newer_on_trakt]
    assert items[newer_on_trakt]["position_s"] == pytest.approx(trakt_pct / 100 * 5000.0, abs=0.01)


def test_no_token_reaches_a_database_file_or_a_log(
    trakt_app: Flask,
    settings: Settings,
    trakt: TraktRoutes,
    two_linked: tuple[Any, ...],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    _sync(settings)
    client = trakt_app.test_client()
    ann = two_linked[0]
    client.put(f"/api/progress/movie/{CATALOGUE.tmdb_ids[0]}",
               json={"position_s": 100.0, "duration_s": 5000.0}, headers=ann)  # fmt: skip
    names = set(two_linked[2:])
    secrets = [t for t, g in trakt.auth.access.items() if g.username in names]
    secrets += [t for t, n in trakt.auth.refresh.items() if n in names]
    assert len(secrets) == 4
    blob = every_file_bytes(settings.data_dir)
    assert all(s.encode() not in blob for s in secrets)
    assert all(s not in caplog.text for s in secrets)
    assert _state(client, ann)["state"] == "linked"
