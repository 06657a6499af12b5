"""Fixtures for the API tests: a real app on a fresh data dir, a published sample catalog,
an admin token, and the one assertion for the error shape."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from core.settings import Settings
from serve.app import create_app
from serve.appdb import AppDB
from serve.extensions import app_db
from serve.tokens import issue_access_token
from serve.users import bootstrap_admin
from tests.helpers.catalog import SampleMarts, publish_sample

SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")


def assert_error(response: TestResponse, status: int, code: str | None = None) -> str:
    """Pin the one error shape; return the message."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body: Any = response.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message"}
    assert SNAKE.match(body["error"]["code"])
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code, body
    return str(body["error"]["message"])


@pytest.fixture(scope="session")
def app_db_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An app.sqlite with the first admin already created (hashing once per session)."""
    path = tmp_path_factory.mktemp("app-db") / "app.sqlite"
    db = AppDB(path)
    db.migrate()
    bootstrap_admin(db, "admin@example.test", "correct horse battery staple")
    return path


@pytest.fixture
def app(settings: Settings, app_db_template: Path) -> Flask:
    """The real app on a fresh data dir whose app.sqlite already holds the admin of the
    `settings` fixture (the bootstrap itself is tested in test_auth.py)."""
    assert settings.admin_email == "admin@example.test"
    shutil.copyfile(app_db_template, settings.app_db_path)
    settings.app_db_path.chmod(0o600)
    application = create_app(settings)
    application.testing = True
    return application


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture(scope="session")
def sample_catalog(tmp_path_factory: pytest.TempPathFactory) -> tuple[SampleMarts, Path]:
    """The sample catalogue published once per session (copied into each test's data dir)."""
    path = tmp_path_factory.mktemp("sample-catalog") / "catalog.sqlite"
    marts, _summary = publish_sample(path)
    return marts, path


@pytest.fixture
def published(settings: Settings, sample_catalog: tuple[SampleMarts, Path]) -> SampleMarts:
    marts, path = sample_catalog
    shutil.copyfile(path, settings.catalog_path)
    return marts


def login(client: FlaskClient, email: str, password: str) -> TestResponse:
    return client.post("/api/auth/login", json={"email": email, "password": password})


@pytest.fixture
def admin_token(app: Flask, settings: Settings) -> str:
    """A token issued by the app itself for the bootstrapped admin (the login endpoint is
    exercised in test_auth.py; skipping the KDF here keeps the suite fast)."""
    with app.test_request_context():
        admin = app_db().user_by_email(settings.admin_email)
        assert admin is not None
        return str(issue_access_token(admin, 60)["access_token"])


@pytest.fixture
def auth(admin_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {admin_token}"}
