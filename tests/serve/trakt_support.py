"""Shared fixtures of the ``/api/trakt`` tests: the fake Trakt, an app whose Trakt client
points at it (limits scaled down), signed-in users, and the link steps."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pydantic import SecretStr

from core.settings import Settings
from core.trakt_scrobbles import drain
from sandbox.catalogue import SyntheticCatalogue
from sandbox.fake_upstream import RunningUpstream, UpstreamConfig, start_fake_upstream
from sandbox.faults import FaultConfig
from sandbox.trakt_routes import TraktRoutes
from serve.extensions import app_db
from serve.tokens import issue_access_token
from tests.helpers.trakt import CLIENT_ID, CLIENT_SECRET, fake_trakt, scaled_client

CATALOGUE = SyntheticCatalogue(60, seed=11, shows=6)


@pytest.fixture(scope="module")
def upstream() -> Iterator[RunningUpstream]:
    with start_fake_upstream(UpstreamConfig(catalogue=CATALOGUE, trakt_client_id=CLIENT_ID)) as up:
        yield up


@pytest.fixture
def trakt(upstream: RunningUpstream) -> TraktRoutes:
    routes = fake_trakt(upstream)
    routes.auth.device_interval = 0
    routes.libraries.post_interval_s = 0.0
    upstream.upstream.set_faults(FaultConfig())
    return routes


@pytest.fixture
def settings(settings: Settings, upstream: RunningUpstream) -> Settings:
    return settings.model_copy(
        update={
            "trakt_url": f"{upstream.base_url}/trakt",
            "trakt_client_id": SecretStr(CLIENT_ID),
            "trakt_client_secret": SecretStr(CLIENT_SECRET),
        }
    )


class InlineSender:
    """Sends the queue at once, in the request (the real sender is a thread: tested apart)."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.kicks: list[int] = []

    def kick(self, user_id: int) -> None:
        self.kicks.append(user_id)
        with self.app.app_context():
            drain(app_db().connection(), self.app.extensions["miauflix"]["keyring"],
                  self.app.extensions["miauflix.trakt"], user_id)  # fmt: skip


@pytest.fixture
def trakt_app(app: Flask, settings: Settings, trakt: TraktRoutes) -> Flask:
    app.extensions["miauflix.trakt"] = scaled_client(settings)
    app.extensions["miauflix.trakt_sender"] = InlineSender(app)
    return app


def headers_for(app: Flask, email: str) -> dict[str, str]:
    with app.test_request_context():
        user = app_db().create_user(email, "not-a-real-hash")
        token = issue_access_token(user, 60)["access_token"]
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def user(trakt_app: Flask) -> dict[str, str]:
    return headers_for(trakt_app, "viewer@example.test")


def _user_id(app: Flask, email: str) -> int:
    with app.app_context():
        found = app_db().user_by_email(email)
        assert found is not None
        return found.id


def _start(client: FlaskClient, headers: dict[str, str]) -> dict[str, Any]:
    answer = client.post("/api/trakt/link", headers=headers)
    assert answer.status_code == 201, answer.get_data(as_text=True)
    return dict(answer.get_json())


def _due(client: FlaskClient) -> None:
    """Let the interval pass: the next ``GET /api/trakt`` polls Trakt."""
    app = client.application
    con = sqlite3.connect(app.extensions["miauflix"]["settings"].app_db_path)
    con.execute("UPDATE trakt_links SET next_poll_at = 0")
    con.commit()
    con.close()


def _state(client: FlaskClient, headers: dict[str, str], due: bool = False) -> dict[str, Any]:
    if due:
        _due(client)
    answer = client.get("/api/trakt", headers=headers)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return dict(answer.get_json())


def link(client: FlaskClient, headers: dict[str, str], trakt: TraktRoutes, username: str) -> None:
    code = _start(client, headers)["user_code"]
    assert trakt.auth.decide(code, username, approve=True)
    assert _state(client, headers, due=True)["state"] == "linked"
