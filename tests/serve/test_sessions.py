"""Sessions: rotating refresh tokens, reuse detection, the per-user cap, logout of one and
of all sessions, listing one's sessions, and stream-key revocation on logout."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from core.settings import Settings, load_settings
from serve import audit
from serve.app import create_app
from serve.extensions import app_db
from tests.serve.conftest import assert_error, login


def _login(client: FlaskClient, settings: Settings, device: str = "tv") -> dict[str, Any]:
    response = client.post(
        "/api/auth/login",
        json={
            "email": settings.admin_email,
            "password": settings.admin_password.get_secret_value(),
            "device": device,
        },
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    return body


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _refresh(client: FlaskClient, token: str) -> Any:
    return client.post("/api/auth/refresh", json={"refresh_token": token})


def _events(app: Flask, event: str) -> list[audit.AuditEvent]:
    with app.app_context():
        return audit.query(app_db(), event=event)[0]


def test_login_returns_an_opaque_refresh_token_stored_only_as_a_hash(
    app: Flask, client: FlaskClient, settings: Settings
) -> None:
    body = _login(client, settings)
    assert len(body["refresh_token"]) >= 40 and "." not in body["refresh_token"]
    raw = settings.app_db_path.read_bytes()
    wal = settings.app_db_path.with_name("app.sqlite-wal")
    raw += wal.read_bytes() if wal.exists() else b""
    assert body["refresh_token"].encode() not in raw
    assert body["access_token"].encode() not in raw


def test_refresh_rotates_the_token_and_the_old_one_stops_working(
    app: Flask, client: FlaskClient, settings: Settings
) -> None:
    first = _login(client, settings)
    second = _refresh(client, first["refresh_token"]).get_json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["session_id"] == first["session_id"]
    assert client.get("/api/auth/me", headers=_bearer(second["access_token"])).status_code == 200
    third = _refresh(client, second["refresh_token"])
    assert third.status_code == 200


def test_reusing_a_rotated_refresh_token_revokes_the_whole_session(
    app: Flask, client: FlaskClient, settings: Settings
) -> None:
    first = _login(client, settings)
    second = _refresh(client, first["refresh_token"]).get_json()
    # The stolen (already rotated) token comes back: the session dies.
    assert_error(_refresh(client, first["refresh_token"]), 401, "refresh_token_reused")
    assert_error(_refresh(client, second["refresh_token"]), 401, "invalid_refresh_token")
    assert_error(
        client.get("/api/auth/me", headers=_bearer(second["access_token"])), 401, "invalid_token"
    )
    reuse = _events(app, "refresh_reuse")
    assert len(reuse) == 1 and reuse[0].severity == "critical"
    assert first["refresh_token"] not in str(reuse[0].as_dict())


def test_unknown_malformed_and_missing_refresh_tokens_are_refused(
    client: FlaskClient,
) -> None:
    assert_error(_refresh(client, "x" * 43), 401, "invalid_refresh_token")
    assert_error(_refresh(client, "short"), 400, "validation_error")
    assert_error(_refresh(client, "y" * 10_000), 400, "validation_error")
    assert_error(client.post("/api/auth/refresh", json={}), 400, "validation_error")
    assert_error(client.post("/api/auth/refresh", json={"refresh_token": 5}), 400)
    assert_error(client.post("/api/auth/refresh", data="tok"), 415)


def test_a_refresh_without_cookie_or_body_is_told_to_sign_in(client: FlaskClient) -> None:
    """A signed-out browser asks whether it still has a session: 401, not a 415 about the
    body it never meant to send."""
    assert_error(client.post("/api/auth/refresh"), 401, "no_session")


def test_the_session_cap_evicts_the_oldest_session(
    settings: Settings, app_db_template: Any
) -> None:
    capped = load_settings(**{**settings.model_dump(), "sessions_per_user": 2})
    capped.app_db_path.write_bytes(app_db_template.read_bytes())
    client = create_app(capped).test_client()
    oldest, middle, newest = (_login(client, capped, f"d{i}") for i in range(3))
    assert_error(
        client.get("/api/auth/me", headers=_bearer(oldest["access_token"])), 401, "invalid_token"
    )
    assert_error(_refresh(client, oldest["refresh_token"]), 401, "invalid_refresh_token")
    listed = client.get("/api/auth/sessions", headers=_bearer(newest["access_token"])).get_json()
    assert sorted(s["device"] for s in listed["results"]) == ["d1", "d2"]
    assert client.get("/api/auth/me", headers=_bearer(middle["access_token"])).status_code == 200


def test_sessions_list_shows_device_ip_and_which_is_current(
    client: FlaskClient, settings: Settings
) -> None:
    tv = _login(client, settings, "Living room TV")
    _login(client, settings, "Laptop")
    listed = client.get("/api/auth/sessions", headers=_bearer(tv["access_token"])).get_json()
    by_device = {s["device"]: s for s in listed["results"]}
    assert set(by_device) == {"Living room TV", "Laptop"}
    assert by_device["Living room TV"]["current"] is True
    assert by_device["Laptop"]["current"] is False
    assert by_device["Laptop"]["ip"] == "127.0.0.1"
    assert by_device["Laptop"]["last_used_at"]


def test_logout_ends_only_this_session_and_revokes_stream_keys(
    app: Flask, client: FlaskClient, settings: Settings
) -> None:
    phone, tv = _login(client, settings, "phone"), _login(client, settings, "tv")
    out = client.post("/api/auth/logout", headers=_bearer(phone["access_token"]))
    assert out.status_code == 200
    assert_error(
        client.get("/api/auth/me", headers=_bearer(phone["access_token"])), 401, "invalid_token"
    )
    assert_error(_refresh(client, phone["refresh_token"]), 401, "invalid_refresh_token")
    assert client.get("/api/auth/me", headers=_bearer(tv["access_token"])).status_code == 200
    with app.app_context():
        admin = app_db().user_by_email(settings.admin_email)
        assert admin is not None and admin.streams_revoked_at > 0


def test_logout_all_ends_every_session(client: FlaskClient, settings: Settings) -> None:
    sessions = [_login(client, settings, f"d{i}") for i in range(3)]
    out = client.post("/api/auth/logout-all", headers=_bearer(sessions[0]["access_token"]))
    assert out.get_json() == {"logged_out": 3}
    for session in sessions:
        assert_error(client.get("/api/auth/me", headers=_bearer(session["access_token"])), 401)
        assert_error(_refresh(client, session["refresh_token"]), 401)


def test_deleting_one_of_ones_sessions_and_not_someone_elses(
    client: FlaskClient, settings: Settings
) -> None:
    mine, other = _login(client, settings, "a"), _login(client, settings, "b")
    headers = _bearer(mine["access_token"])
    assert (
        client.delete(f"/api/auth/sessions/{other['session_id']}", headers=headers).status_code
        == 200
    )
    assert_error(client.get("/api/auth/me", headers=_bearer(other["access_token"])), 401)
    for bogus in ("0" * 32, "../../etc", "x" * 65, "' OR 1=1 --"):
        response = client.delete(f"/api/auth/sessions/{bogus}", headers=headers)
        assert response.status_code == 404


def test_a_disabled_users_refresh_is_refused(
    app: Flask, client: FlaskClient, settings: Settings
) -> None:
    body = _login(client, settings)
    with app.app_context():
        app_db().set_disabled(1, True)
    assert_error(_refresh(client, body["refresh_token"]), 401, "invalid_refresh_token")
    assert login(client, settings.admin_email, "x").status_code == 401
