"""Browser sessions: HttpOnly SameSite=Strict cookies (Secure over TLS), CSRF on every
cookie-authenticated write, refresh and logout."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from core.settings import Settings
from serve.tokens import ACCESS_COOKIE, CSRF_COOKIE, CSRF_HEADER, REFRESH_COOKIE
from tests.serve.conftest import assert_error


def _cookie_login(client: FlaskClient, settings: Settings, **environ: Any) -> TestResponse:
    return client.post(
        "/api/auth/login",
        json={
            "email": settings.admin_email,
            "password": settings.admin_password.get_secret_value(),
            "mode": "cookie",
        },
        **environ,
    )


def _set_cookies(response: TestResponse) -> dict[str, str]:
    return {h.split("=", 1)[0]: h for h in response.headers.getlist("Set-Cookie")}


def test_cookie_login_sets_httponly_strict_cookies_and_no_tokens_in_json(
    client: FlaskClient, settings: Settings
) -> None:
    response = _cookie_login(client, settings)
    body = response.get_json()
    assert "access_token" not in body and "refresh_token" not in body
    assert body["csrf_token"]
    cookies = _set_cookies(response)
    for name in (ACCESS_COOKIE, REFRESH_COOKIE):
        assert "HttpOnly" in cookies[name]
        assert "SameSite=Strict" in cookies[name]
        assert "Secure" not in cookies[name]  # plain http on loopback
    assert "Path=/api/auth" in cookies[REFRESH_COOKIE]
    assert "HttpOnly" not in cookies[CSRF_COOKIE]  # the page script reads it


def test_cookies_are_secure_over_tls(client: FlaskClient, settings: Settings) -> None:
    response = _cookie_login(client, settings, base_url="https://localhost")
    for header in _set_cookies(response).values():
        assert "Secure" in header


def test_forwarded_proto_only_counts_from_a_trusted_proxy(
    client: FlaskClient, settings: Settings
) -> None:
    forged = _cookie_login(client, settings, headers={"X-Forwarded-Proto": "https"})
    assert all("Secure" not in h for h in _set_cookies(forged).values())


def test_cookie_reads_work_and_cookie_writes_need_the_csrf_header(
    client: FlaskClient, settings: Settings
) -> None:
    csrf = _cookie_login(client, settings).get_json()["csrf_token"]
    assert client.get("/api/auth/me").status_code == 200
    assert_error(client.post("/api/auth/logout"), 403, "csrf_token_missing")
    assert_error(
        client.post("/api/auth/logout", headers={CSRF_HEADER: "wrong"}), 403, "csrf_failed"
    )
    assert client.get("/api/auth/me").status_code == 200
    assert client.post("/api/auth/logout", headers={CSRF_HEADER: csrf}).status_code == 200
    assert_error(client.get("/api/auth/me"), 401)


def test_cookie_refresh_needs_csrf_and_rotates_the_cookie(
    client: FlaskClient, settings: Settings
) -> None:
    login = _cookie_login(client, settings)
    csrf = login.get_json()["csrf_token"]
    old_refresh = _set_cookies(login)[REFRESH_COOKIE]
    assert_error(client.post("/api/auth/refresh"), 403, "csrf_failed")
    assert_error(
        client.post("/api/auth/refresh", headers={CSRF_HEADER: "nope"}), 403, "csrf_failed"
    )
    rotated = client.post("/api/auth/refresh", headers={CSRF_HEADER: csrf})
    assert rotated.status_code == 200, rotated.get_data(as_text=True)
    assert _set_cookies(rotated)[REFRESH_COOKIE] != old_refresh
    assert client.get("/api/auth/me").status_code == 200
    # The same CSRF secret keeps working after rotation.
    assert client.post("/api/auth/refresh", headers={CSRF_HEADER: csrf}).status_code == 200


def test_bearer_clients_need_no_csrf(client: FlaskClient, settings: Settings) -> None:
    body = client.post(
        "/api/auth/login",
        json={
            "email": settings.admin_email,
            "password": settings.admin_password.get_secret_value(),
        },
    ).get_json()
    other = client.application.test_client()  # no cookies at all
    response = other.post(
        "/api/auth/logout", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert response.status_code == 200
