"""/api/admin: only admins (a walk over the URL map guards every admin route), user
create/list/disable/delete/role, the last-admin guard, audited config reads."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from core.settings import Settings
from serve import audit
from serve.extensions import app_db
from serve.tokens import issue_access_token
from tests.serve.conftest import assert_error, login

VIEWER_PASSWORD = "purple monkey dishwasher 42"


def _viewer_token(app: Flask, client: FlaskClient, auth: dict[str, str]) -> tuple[int, str]:
    created = client.post(
        "/api/admin/users",
        json={"email": "viewer@example.test", "password": VIEWER_PASSWORD},
        headers=auth,
    )
    assert created.status_code == 201, created.get_data(as_text=True)
    user_id = int(created.get_json()["id"])
    with app.test_request_context():
        user = app_db().user_by_id(user_id)
        assert user is not None
        return user_id, str(issue_access_token(user, 15)["access_token"])


def _admin_operations(app: Flask) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/admin") or "admin" in rule.endpoint:
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", "1", rule.rule)
            out.extend(
                (m, path) for m in sorted(rule.methods or ()) if m not in {"HEAD", "OPTIONS"}
            )
    return out


def test_every_admin_route_refuses_anonymous_and_plain_users(
    app: Flask, client: FlaskClient, auth: dict[str, str]
) -> None:
    _, viewer = _viewer_token(app, client, auth)
    operations = _admin_operations(app)
    assert len(operations) >= 6
    for method, path in operations:
        anonymous = client.open(path, method=method, json={})
        assert anonymous.status_code == 401, (method, path)
        plain = client.open(
            path, method=method, json={}, headers={"Authorization": f"Bearer {viewer}"}
        )
        assert_error(plain, 403)
        assert plain.get_json()["error"]["code"] in {"admin_required", "forbidden"}, (method, path)


def test_admin_creates_and_lists_users_with_policy_checked_passwords(
    app: Flask, client: FlaskClient, auth: dict[str, str]
) -> None:
    user_id, _ = _viewer_token(app, client, auth)
    listed = client.get("/api/admin/users", headers=auth).get_json()
    assert [u["email"] for u in listed["results"]] == ["admin@example.test", "viewer@example.test"]
    assert all("password" not in str(u) for u in listed["results"])
    assert client.get(f"/api/admin/users/{user_id}", headers=auth).get_json()["role"] == "user"
    for bad, code in (
        ({"email": "a@b.c", "password": "short"}, "weak_password"),
        ({"email": "a@b.c", "password": "password1234"}, "weak_password"),
        ({"email": "not-an-email", "password": VIEWER_PASSWORD}, "validation_error"),
        ({"email": "a@b.c", "password": VIEWER_PASSWORD, "role": "root"}, "validation_error"),
        ({"email": "a@b.c", "password": VIEWER_PASSWORD, "is_admin": True}, "validation_error"),
    ):
        assert_error(client.post("/api/admin/users", json=bad, headers=auth), 400, code)
    dup = {"email": "VIEWER@example.test", "password": VIEWER_PASSWORD}
    assert_error(client.post("/api/admin/users", json=dup, headers=auth), 409, "user_exists")


def test_created_user_logs_in_and_is_not_an_admin(
    app: Flask, client: FlaskClient, auth: dict[str, str]
) -> None:
    _viewer_token(app, client, auth)
    body = login(client, "viewer@example.test", VIEWER_PASSWORD).get_json()
    me = client.get("/api/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.get_json()["role"] == "user"


def test_disabling_a_user_ends_their_tokens_and_login(
    app: Flask, client: FlaskClient, auth: dict[str, str]
) -> None:
    user_id, token = _viewer_token(app, client, auth)
    viewer = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/auth/me", headers=viewer).status_code == 200
    patched = client.patch(f"/api/admin/users/{user_id}", json={"disabled": True}, headers=auth)
    assert patched.get_json()["disabled"] is True
    assert_error(client.get("/api/auth/me", headers=viewer), 401, "invalid_token")
    assert_error(login(client, "viewer@example.test", VIEWER_PASSWORD), 403, "account_disabled")
    client.patch(f"/api/admin/users/{user_id}", json={"disabled": False}, headers=auth)
    assert login(client, "viewer@example.test", VIEWER_PASSWORD).status_code == 200


def test_role_change_ends_the_old_role_tokens(
    app: Flask, client: FlaskClient, auth: dict[str, str]
) -> None:
    user_id, token = _viewer_token(app, client, auth)
    promoted = client.patch(f"/api/admin/users/{user_id}", json={"role": "admin"}, headers=auth)
    assert promoted.get_json()["role"] == "admin"
    assert_error(client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"}), 401)
    with app.app_context():
        events = audit.query(app_db(), event="role_change")[0]
    assert events[0].details == {"old": "user", "new": "admin"}


def test_delete_user_and_the_last_admin_guard(
    app: Flask, client: FlaskClient, auth: dict[str, str]
) -> None:
    user_id, _ = _viewer_token(app, client, auth)
    assert client.delete(f"/api/admin/users/{user_id}", headers=auth).status_code == 200
    assert_error(client.get(f"/api/admin/users/{user_id}", headers=auth), 404, "user_not_found")
    assert_error(client.delete(f"/api/admin/users/{user_id}", headers=auth), 404)
    for change in ({"role": "user"}, {"disabled": True}):
        assert_error(
            client.patch("/api/admin/users/1", json=change, headers=auth), 409, "last_admin"
        )
    assert_error(client.delete("/api/admin/users/1", headers=auth), 409, "last_admin")


@pytest.mark.parametrize("raw", ["0", "-1", "abc", "1%20OR%201=1", "9" * 30, "1.5"])
def test_hostile_user_ids_are_400_or_404(
    client: FlaskClient, auth: dict[str, str], raw: str
) -> None:
    response = client.get(f"/api/admin/users/{raw}", headers=auth)
    assert response.status_code in (400, 404)
    assert_error(response, response.status_code)


def test_config_read_masks_secrets_and_is_audited(
    app: Flask, client: FlaskClient, auth: dict[str, str], settings: Settings
) -> None:
    body = client.get("/api/admin/config", headers=auth).get_json()["settings"]
    text = str(body)
    assert settings.secret_key.get_secret_value() not in text
    assert settings.admin_password.get_secret_value() not in text
    assert body["secret_key"] == "[set]" and body["tmdb_api_key"] == "[empty]"
    assert body["access_token_minutes"] == 15
    with app.app_context():
        assert audit.query(app_db(), event="admin_read_config")[1] == 1


def test_config_read_masks_credentials_inside_uris() -> None:
    from serve.admin import _URI_CREDENTIALS

    masked = _URI_CREDENTIALS.sub("://[redacted]@", "redis://:hunter2@redis:6379/0")
    assert masked == "redis://[redacted]@redis:6379/0"
    assert _URI_CREDENTIALS.sub("://[redacted]@", "memory://") == "memory://"
