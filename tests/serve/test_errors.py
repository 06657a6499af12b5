"""Every error kind answers the one JSON shape {"error": {"code", "message"}}."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from core.settings import Settings
from serve.app import create_app
from serve.appdb import AppDB
from serve.passwords import hash_password
from tests.helpers.catalog import SampleMarts
from tests.serve.conftest import assert_error, login


def test_error_shape_for_bad_parameter_names_the_parameter(
    client: FlaskClient, auth: dict[str, str], published: SampleMarts
) -> None:
    message = assert_error(client.get("/api/movies?page=0", headers=auth), 400, "invalid_parameter")
    assert "page" in message


def test_error_shape_for_missing_token(client: FlaskClient) -> None:
    assert_error(client.get("/api/movies"), 401, "authorization_required")


def test_error_shape_for_disabled_account(client: FlaskClient, settings: Settings) -> None:
    db = AppDB(settings.app_db_path)
    user = db.create_user("off@example.test", hash_password("pw-123456"))
    db.set_disabled(user.id, True)
    assert_error(login(client, "off@example.test", "pw-123456"), 403, "account_disabled")


def test_error_shape_for_unknown_route_and_unknown_movie(
    client: FlaskClient, auth: dict[str, str], published: SampleMarts
) -> None:
    assert "/api/nothing-here" in assert_error(client.get("/api/nothing-here"), 404, "not_found")
    assert_error(client.get("/api/movies/424242", headers=auth), 404, "movie_not_found")


def test_error_shape_for_wrong_method_keeps_allow_header(client: FlaskClient) -> None:
    response = client.delete("/api/health")
    assert "POST" not in assert_error(response, 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"]


def test_error_shape_for_oversized_body(client: FlaskClient) -> None:
    response = client.post(
        "/api/auth/login",
        data=b'{"email": "' + b"a" * 70_000 + b'", "password": "x"}',
        content_type="application/json",
    )
    assert_error(response, 413, "payload_too_large")


def test_error_shape_for_non_json_body(client: FlaskClient) -> None:
    response = client.post("/api/auth/login", data="email=a&password=b")
    assert_error(response, 415, "unsupported_media_type")


def test_error_shape_for_malformed_json(client: FlaskClient) -> None:
    response = client.post(
        "/api/auth/login", data=b'{"email": "a@b.c", "password": ', content_type="application/json"
    )
    assert_error(response, 400, "malformed_json")


def test_error_shape_for_rate_limit_has_retry_after(client: FlaskClient) -> None:
    for _ in range(10):
        client.post("/api/auth/login", data="x", content_type="text/plain")
    response = client.post("/api/auth/login", data="x", content_type="text/plain")
    assert_error(response, 429, "rate_limited")
    assert int(response.headers["Retry-After"]) >= 1


def test_error_shape_for_catalog_unavailable(client: FlaskClient, auth: dict[str, str]) -> None:
    assert_error(client.get("/api/movies", headers=auth), 503, "catalog_unavailable")


def test_error_shape_for_unexpected_exception_hides_details(settings: Settings) -> None:
    application: Flask = create_app(settings)

    @application.get("/api/boom")
    def boom() -> str:
        raise RuntimeError("secret internals /etc/passwd")

    response = application.test_client().get("/api/boom")
    message = assert_error(response, 500, "internal_error")
    assert "secret" not in message and "passwd" not in message


@pytest.mark.parametrize(
    "header",
    [
        "Bearer not.a.jwt",
        "Bearer ",
        "Basic YWRtaW46YWRtaW4=",
        "Bearer " + "A" * 5000,
    ],
)
def test_error_shape_for_garbage_authorization_headers(client: FlaskClient, header: str) -> None:
    assert_error(client.get("/api/lists", headers={"Authorization": header}), 401)
