"""Client address behind trusted proxies only, CORS closed by default and exact when
configured, security headers, body limits, password policy at the boundary."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient

from core.settings import Settings, load_settings
from serve.app import create_app
from serve.client import parse_networks, resolve_client_ip
from serve.passwords import WeakPassword, check_password_policy
from tests.serve.conftest import assert_error, login

PROXY = parse_networks(["10.0.0.0/8", "::1"])


@pytest.mark.parametrize(
    ("remote", "xff", "expected"),
    [
        ("203.0.113.9", "1.2.3.4", "203.0.113.9"),  # untrusted peer: header ignored
        ("10.0.0.2", "198.51.100.7", "198.51.100.7"),
        ("10.0.0.2", "6.6.6.6, 198.51.100.7", "198.51.100.7"),  # spoofed left part ignored
        ("10.0.0.2", "198.51.100.7, 10.0.0.5", "198.51.100.7"),  # two proxy hops
        ("10.0.0.2", "not-an-ip", "10.0.0.2"),
        ("10.0.0.2", "", "10.0.0.2"),
        ("10.0.0.2", "10.1.1.1", "10.1.1.1"),  # all trusted: the leftmost
        ("::1", "2001:db8::1", "2001:db8::1"),
        ("10.0.0.2", "1.1.1.1," * 500 + "198.51.100.7", "198.51.100.7"),
    ],
)
def test_client_ip_comes_from_xff_only_via_trusted_proxies(
    remote: str, xff: str, expected: str
) -> None:
    assert resolve_client_ip(remote, xff, PROXY) == expected


def test_without_trusted_proxies_xff_is_ignored() -> None:
    assert resolve_client_ip("127.0.0.1", "1.2.3.4", ()) == "127.0.0.1"


def test_bad_proxy_entries_are_rejected() -> None:
    with pytest.raises(ValueError, match="nope"):
        parse_networks(["nope"])
    with pytest.raises(ValueError):
        Settings(trusted_proxies="10.0.0.0/33")  # type: ignore[arg-type]


def _app(settings: Settings, template: Path, **overrides: object) -> FlaskClient:
    configured = load_settings(**{**settings.model_dump(), **overrides})
    configured.app_db_path.write_bytes(template.read_bytes())
    return create_app(configured).test_client()


def test_spoofed_xff_cannot_escape_the_login_limit(client: FlaskClient, settings: Settings) -> None:
    for attempt in range(10):
        response = client.post(
            "/api/auth/login",
            json={"email": settings.admin_email, "password": "wrong-one"},
            headers={"X-Forwarded-For": f"198.51.100.{attempt}"},
        )
        assert response.status_code == 401
    blocked = client.post(
        "/api/auth/login",
        json={"email": settings.admin_email, "password": "wrong-one"},
        headers={"X-Forwarded-For": "198.51.100.200"},
    )
    assert_error(blocked, 429, "rate_limited")


def test_behind_a_trusted_proxy_each_client_has_its_own_budget(
    settings: Settings, app_db_template: Path
) -> None:
    client = _app(settings, app_db_template, trusted_proxies=["127.0.0.1"])
    for _ in range(10):
        login(client, settings.admin_email, "wrong-one")
    blocked = client.post(
        "/api/auth/login",
        json={"email": settings.admin_email, "password": "wrong-one"},
        headers={"X-Forwarded-For": "127.0.0.1"},
    )
    assert blocked.status_code == 429
    other = client.post(
        "/api/auth/login",
        json={"email": settings.admin_email, "password": "wrong-one"},
        headers={"X-Forwarded-For": "198.51.100.7"},
    )
    assert other.status_code == 401


def test_cors_is_closed_by_default(client: FlaskClient) -> None:
    response = client.get("/api/health", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in response.headers
    preflight = client.options(
        "/api/auth/login",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "Access-Control-Allow-Origin" not in preflight.headers


def test_cors_allows_exactly_the_configured_origins(
    settings: Settings, app_db_template: Path
) -> None:
    client = _app(
        settings, app_db_template, cors_origins=["https://tv.example"], cors_packaged_apps=False
    )
    ok = client.options(
        "/api/auth/login",
        headers={"Origin": "https://tv.example", "Access-Control-Request-Method": "POST"},
    )
    assert ok.headers["Access-Control-Allow-Origin"] == "https://tv.example"
    assert "X-CSRF-Token" in ok.headers["Access-Control-Allow-Headers"]
    assert "Origin" in ok.headers.get("Vary", "")
    for other in ("https://tv.example.evil", "http://tv.example", "null"):
        response = client.get("/api/health", headers={"Origin": other})
        assert "Access-Control-Allow-Origin" not in response.headers
    with pytest.raises(ValueError):
        Settings(cors_origins="*")  # type: ignore[arg-type]


def test_packaged_apps_origin_null_gets_cors_without_credentials(
    settings: Settings, app_db_template: Path
) -> None:
    client = _app(settings, app_db_template)
    preflight = client.options(
        "/api/movies",
        headers={"Origin": "null", "Access-Control-Request-Method": "GET",
                 "Access-Control-Request-Headers": "authorization"},
    )  # fmt: skip
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "null"
    assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Credentials" not in preflight.headers
    answer = login(client, settings.admin_email, "correct horse battery staple")
    assert answer.status_code == 200, answer.get_json()
    token = answer.get_json()["access_token"]
    signed_in = client.get(
        "/api/auth/me", headers={"Origin": "null", "Authorization": f"Bearer {token}"}
    )
    assert signed_in.status_code == 200
    assert signed_in.headers["Access-Control-Allow-Origin"] == "null"
    assert "Access-Control-Allow-Credentials" not in signed_in.headers
    assert "Origin" in signed_in.headers.get("Vary", "")
    for hostile in ("Null", "null ", "file://", "null, https://evil.example"):
        response = client.get("/api/health", headers={"Origin": hostile})
        assert "Access-Control-Allow-Origin" not in response.headers


def test_packaged_apps_can_be_refused(settings: Settings, app_db_template: Path) -> None:
    client = _app(settings, app_db_template, cors_packaged_apps=False)
    response = client.get("/api/health", headers={"Origin": "null"})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_security_headers_on_api_and_web_paths(client: FlaskClient) -> None:
    api = client.get("/api/health")
    assert api.headers["X-Content-Type-Options"] == "nosniff"
    assert api.headers["Referrer-Policy"] == "no-referrer"
    assert api.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'none'" in api.headers["Content-Security-Policy"]
    web = client.get("/")
    csp = web.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert "https://image.tmdb.org" in csp and "'unsafe-inline'" not in csp
    assert "Strict-Transport-Security" not in api.headers
    assert "Strict-Transport-Security" in client.get("/api/health", base_url="https://x").headers


def test_oversized_bodies_are_413_before_parsing(client: FlaskClient) -> None:
    big = b'{"email": "' + b"a" * 70_000 + b'"}'
    response = client.post("/api/auth/login", data=big, content_type="application/json")
    assert_error(response, 413, "payload_too_large")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "a@b.c"}, "password"),
        ({"email": "a@b.c", "password": "x", "admin": True}, "admin"),
        ({"email": ["a"], "password": "x"}, "email"),
        ({"email": "a@b.c", "password": "x", "mode": "jwt"}, "mode"),
        ({"email": "a@b.c", "password": "x" * 5000}, "password"),
    ],
)
def test_invalid_login_bodies_name_the_field(
    client: FlaskClient, body: dict[str, object], field: str
) -> None:
    message = assert_error(client.post("/api/auth/login", json=body), 400, "validation_error")
    assert field in message


def test_sql_injection_in_login_is_just_a_wrong_login(client: FlaskClient) -> None:
    response = login(client, "admin@example.test' OR '1'='1' --", "x' OR '1'='1")
    assert_error(response, 401, "invalid_credentials")


@pytest.mark.parametrize(
    "password",
    ["short", "password1234", "aaaaaaaaaaaa", "ababababab", "x" * 2000, "jane.doe@example.test"],
)
def test_weak_passwords_are_refused(password: str) -> None:
    with pytest.raises(WeakPassword):
        check_password_policy(password, 10, "jane.doe@example.test")


def test_a_long_uncommon_password_passes() -> None:
    check_password_policy("correct horse battery staple", 10, "jane@example.test")
