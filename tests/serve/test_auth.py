"""Login: tokens for valid credentials, one answer for unknown user and bad password,
disabled accounts, hostile bodies, and the first-admin bootstrap."""

from __future__ import annotations

import jwt as pyjwt
import pytest
from flask import Flask
from flask.testing import FlaskClient

from core.crypto import derive_key
from core.settings import Settings, load_settings
from serve.app import create_app
from serve.appdb import AppDB
from serve.extensions import app_db
from serve.passwords import hash_password
from serve.tokens import AUDIENCE, ISSUER
from tests.serve.conftest import assert_error, login


def _signing_key(settings: Settings) -> bytes:
    return derive_key(settings.secret_key.get_secret_value().encode(), "jwt")


def test_login_returns_a_bearer_token_with_the_documented_claims(
    client: FlaskClient, settings: Settings
) -> None:
    response = login(client, settings.admin_email, settings.admin_password.get_secret_value())
    assert response.status_code == 200
    body = response.get_json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 15 * 60
    claims = pyjwt.decode(
        body["access_token"],
        _signing_key(settings),
        algorithms=["HS256"],
        audience=AUDIENCE,
        issuer=ISSUER,
    )
    assert claims["role"] == "admin"
    assert claims["sub"] == "1"
    assert claims["exp"] - claims["iat"] == 15 * 60
    assert len(claims["jti"]) >= 16


def test_login_token_opens_the_me_endpoint(client: FlaskClient, settings: Settings) -> None:
    token = login(client, "ADMIN@example.test ", "correct horse battery staple").get_json()
    response = client.get(
        "/api/auth/me", headers={"Authorization": f"Bearer {token['access_token']}"}
    )
    assert response.get_json() == {"id": 1, "email": settings.admin_email, "role": "admin"}


def test_two_logins_give_distinct_token_ids(client: FlaskClient, settings: Settings) -> None:
    password = settings.admin_password.get_secret_value()
    tokens = [
        login(client, settings.admin_email, password).get_json()["access_token"] for _ in "ab"
    ]
    jtis = {pyjwt.decode(t, options={"verify_signature": False})["jti"] for t in tokens}
    assert len(jtis) == 2


def test_unknown_user_and_wrong_password_answer_identically(
    client: FlaskClient, settings: Settings
) -> None:
    wrong_password = login(client, settings.admin_email, "not the password")
    unknown_user = login(client, "nobody@example.test", "not the password")
    assert_error(wrong_password, 401, "invalid_credentials")
    assert wrong_password.get_data() == unknown_user.get_data()
    assert wrong_password.status_code == unknown_user.status_code


def test_disabled_user_cannot_log_in_but_wrong_password_does_not_reveal_it(
    client: FlaskClient, settings: Settings
) -> None:
    db = AppDB(settings.app_db_path)
    user = db.create_user("viewer@example.test", hash_password("viewer-pass"))
    assert login(client, "viewer@example.test", "viewer-pass").status_code == 200
    db.set_disabled(user.id, True)
    assert_error(login(client, "viewer@example.test", "viewer-pass"), 403, "account_disabled")
    assert_error(login(client, "viewer@example.test", "guess"), 401, "invalid_credentials")


def test_token_stops_working_when_the_user_is_disabled(
    client: FlaskClient, settings: Settings
) -> None:
    db = AppDB(settings.app_db_path)
    user = db.create_user("viewer@example.test", hash_password("viewer-pass"))
    token = login(client, "viewer@example.test", "viewer-pass").get_json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/auth/me", headers=headers).status_code == 200
    db.set_disabled(user.id, True)
    assert_error(client.get("/api/auth/me", headers=headers), 401, "invalid_token")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"password": "x"}, "email"),
        ({"email": "admin@example.test"}, "password"),
        ({"email": 123, "password": "x"}, "email"),
        ({"email": "admin@example.test", "password": ["x"]}, "password"),
        ({"email": "admin@example.test", "password": ""}, "password"),
        ({"email": "a" * 400, "password": "x"}, "email"),
        ({"email": "admin@example.test", "password": "x" * 2000}, "password"),
        ({"email": "admin@example.test", "password": "x", "role": "admin"}, "role"),
    ],
)
def test_invalid_login_bodies_name_the_field(
    client: FlaskClient, body: dict[str, object], field: str
) -> None:
    message = assert_error(client.post("/api/auth/login", json=body), 400, "validation_error")
    assert field in message


@pytest.mark.parametrize(
    "raw",
    [b"[]", b'"admin"', b"null", b"42"],
)
def test_login_body_must_be_a_json_object(client: FlaskClient, raw: bytes) -> None:
    response = client.post("/api/auth/login", data=raw, content_type="application/json")
    assert_error(response, 400, "validation_error")


@pytest.mark.parametrize(
    "raw",
    [b"", b"{", b"\xff\xfe{}", b"{'email': 'x'}", b"[" * 20_000 + b"]" * 20_000],
)
def test_malformed_or_hostile_json_is_a_400(client: FlaskClient, raw: bytes) -> None:
    response = client.post("/api/auth/login", data=raw, content_type="application/json")
    assert_error(response, 400, "malformed_json")


def test_sql_in_the_email_is_just_an_unknown_user(client: FlaskClient) -> None:
    response = login(client, "' OR 1=1 --", "x")
    assert_error(response, 401, "invalid_credentials")


def test_first_admin_with_configured_password_is_not_printed(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    # The `settings` fixture configures a password; the app fixture is not used here.
    create_app(settings)
    assert "password" not in capsys.readouterr().out
    assert AppDB(settings.app_db_path).user_by_email(settings.admin_email) is not None


def test_generated_admin_password_is_printed_once_and_works(
    settings: Settings, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    no_password = load_settings(
        data_dir=settings.data_dir,
        secret_key=settings.secret_key.get_secret_value(),
        admin_email="root@example.test",
        admin_password="",
    )
    first = create_app(no_password)
    out = capsys.readouterr().out
    assert "root@example.test" in out
    password = out.strip().rsplit(" ", 1)[-1]
    assert len(password) >= 16
    assert password not in caplog.text
    # A restart (or a second worker) finds the admin and prints nothing.
    create_app(no_password)
    assert capsys.readouterr().out == ""
    response = login(first.test_client(), "root@example.test", password)
    assert response.status_code == 200


def _tokens(client: FlaskClient, email: str, password: str) -> dict[str, str]:
    body = login(client, email, password).get_json()
    assert "access_token" in body, body
    return {k: str(v) for k, v in body.items()}


def test_password_change_needs_the_old_password_and_ends_other_sessions(
    app: Flask, client: FlaskClient, settings: Settings
) -> None:
    old = settings.admin_password.get_secret_value()
    here, elsewhere = (
        _tokens(client, settings.admin_email, old),
        _tokens(client, settings.admin_email, old),
    )
    headers = {"Authorization": f"Bearer {here['access_token']}"}
    wrong = client.post(
        "/api/auth/password",
        json={"old_password": "not it", "new_password": "a brand new passphrase"},
        headers=headers,
    )
    assert_error(wrong, 401, "invalid_credentials")
    weak = client.post(
        "/api/auth/password",
        json={"old_password": old, "new_password": "password1234"},
        headers=headers,
    )
    assert "new_password" in assert_error(weak, 400, "weak_password")
    changed = client.post(
        "/api/auth/password",
        json={"old_password": old, "new_password": "a brand new passphrase"},
        headers=headers,
    )
    assert changed.get_json() == {"changed": True, "sessions_revoked": 1}
    assert client.get("/api/auth/me", headers=headers).status_code == 200
    other = {"Authorization": f"Bearer {elsewhere['access_token']}"}
    assert_error(client.get("/api/auth/me", headers=other), 401, "invalid_token")
    assert_error(login(client, settings.admin_email, old), 401, "invalid_credentials")
    assert login(client, settings.admin_email, "a brand new passphrase").status_code == 200
    with app.app_context():
        admin = app_db().user_by_email(settings.admin_email)
        assert admin is not None and admin.streams_revoked_at > 0
