"""Hostile requests on every route: CORS preflights (``OPTIONS``) answer without auth and
without a body, deeply nested JSON and oversized integer ids are 4xx in the one error shape,
never 500."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from core.settings import Settings, load_settings
from serve.app import create_app
from tests.serve.conftest import assert_error

ORIGIN = "https://tv.example"
# A valid-looking value for each path converter / variable name.
_SAMPLE = {"int": "1", "path": "index.html"}


def _cors_app(settings: Settings, template: Path) -> Flask:
    configured = load_settings(**{**settings.model_dump(), "cors_origins": [ORIGIN]})
    configured.app_db_path.write_bytes(template.read_bytes())
    app = create_app(configured)
    app.testing = True
    return app


def _concrete(rule: str, value: str | None = None) -> str:
    """``rule`` with each ``<converter:name>`` replaced by a sample (or ``value``)."""

    def sample(match: re.Match[str]) -> str:
        converter = match.group(1) or "default"
        if value is not None:
            return value
        return _SAMPLE.get(converter, "1")

    return re.sub(r"<(?:(\w+)(?:\([^)]*\))?:)?\w+>", sample, rule)


def _rules(app: Flask) -> list[tuple[str, frozenset[str]]]:
    return [(rule.rule, frozenset(rule.methods or ())) for rule in app.url_map.iter_rules()]


def test_every_route_answers_a_cors_preflight_without_a_body(
    settings: Settings, app_db_template: Path
) -> None:
    app = _cors_app(settings, app_db_template)
    client = app.test_client()
    rules = _rules(app)
    assert any(rule == "/api/admin/users" for rule, _ in rules)
    for rule, methods in rules:
        path = _concrete(rule)
        wanted = sorted(methods - {"OPTIONS", "HEAD"})[0]
        response = client.options(
            path,
            headers={
                "Origin": ORIGIN,
                "Access-Control-Request-Method": wanted,
                "Access-Control-Request-Headers": "authorization, content-type",
            },
        )
        assert response.status_code in (200, 204), (rule, response.get_data(as_text=True))
        assert response.get_data() == b"", rule
        assert response.headers["Access-Control-Allow-Origin"] == ORIGIN, rule
        assert wanted in response.headers["Access-Control-Allow-Methods"], rule
        assert "Authorization" in response.headers["Access-Control-Allow-Headers"], rule
        assert "Origin" in response.headers.get("Vary", ""), rule


@pytest.mark.parametrize(
    "path", ["/api/admin/users", "/api/movies", "/api/lists", "/api/genres", "/api/status"]
)
def test_preflights_without_configured_origins_grant_nothing(
    client: FlaskClient, path: str
) -> None:
    response = client.options(
        path, headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"}
    )
    assert response.status_code in (200, 204)
    assert response.get_data() == b""
    assert "Access-Control-Allow-Origin" not in response.headers


def test_a_preflight_does_not_authenticate_the_real_request(
    settings: Settings, app_db_template: Path
) -> None:
    client = _cors_app(settings, app_db_template).test_client()
    preflight = client.options("/api/admin/users", headers={"Origin": ORIGIN})
    assert preflight.status_code in (200, 204)
    assert_error(client.get("/api/admin/users", headers={"Origin": ORIGIN}), 401)


def test_a_preflight_on_an_unknown_path_is_a_404(client: FlaskClient) -> None:
    assert_error(client.options("/api/no-such-thing"), 404)


def test_preflights_do_not_spend_the_login_limit(settings: Settings, app_db_template: Path) -> None:
    configured = load_settings(
        **{**settings.model_dump(), "cors_origins": [ORIGIN], "rate_limit_login": "2/minute"}
    )
    configured.app_db_path.write_bytes(app_db_template.read_bytes())
    client = create_app(configured).test_client()
    for _ in range(5):
        assert client.options("/api/auth/login", headers={"Origin": ORIGIN}).status_code in (
            200,
            204,
        )
    wrong = {"email": "admin@example.test", "password": "wrong password here"}
    assert_error(client.post("/api/auth/login", json=wrong), 401)


GATEWAY = (502, 503, 504)
NESTED = [
    "[" * 1000,
    "[" * 100_000,
    "{" + '"a":{' * 5000,
    '{"source_id":' + "[" * 3000 + "]" * 3000 + "}",
    '{"source_id":' + "[" * 900 + "]" * 900 + "}",  # parses (below the recursion limit)
    '{"email":' + "[" * 3000 + "]" * 3000 + ',"password":"x"}',
]


def _json_routes(app: Flask) -> list[tuple[str, str]]:
    """(method, rule) of every route that may take a body (logout ends the test's session
    and reads no body)."""
    out = []
    for rule, methods in _rules(app):
        if "/logout" in rule:
            continue
        for method in sorted(methods & {"POST", "PUT", "PATCH"}):
            out.append((method, rule))
    return out


def test_deeply_nested_json_is_a_400_on_every_route(
    app: Flask, auth: dict[str, str], published: object
) -> None:
    app.config["RATELIMIT_ENABLED"] = False
    client = app.test_client()
    routes = _json_routes(app)
    assert ("POST", "/api/movies/<int:tmdb_id>/stream") in routes
    refused = set()
    for method, rule in routes:
        path = _concrete(rule, "1")
        for body in NESTED:
            response = client.open(
                path, method=method, data=body, content_type="application/json", headers=auth
            )
            # Routes that ignore their body may succeed, or answer a documented gateway
            # error (Trakt/engine not running here); none may crash.
            assert response.status_code < 500 or response.status_code in GATEWAY, (
                method,
                rule,
                response.status_code,
            )
            if response.status_code in GATEWAY:
                assert_error(response, response.status_code)
            elif response.status_code == 413:  # beyond MIAUFLIX_API_MAX_BODY_BYTES
                assert_error(response, 413, "payload_too_large")
            elif response.status_code >= 400:
                assert_error(response, 400)
                assert response.get_json()["error"]["code"] in (
                    "malformed_json",
                    "validation_error",
                ), (method, rule)
                refused.add(rule)
    assert {"/api/auth/login", "/api/admin/users", "/api/movies/<int:tmdb_id>/stream"} <= refused


def test_the_stream_endpoint_refuses_nested_json_with_the_error_shape(
    client: FlaskClient, auth: dict[str, str], published: object
) -> None:
    response = client.post(
        "/api/movies/603/stream", data="[" * 1000, content_type="application/json", headers=auth
    )
    assert_error(response, 400, "malformed_json")


HUGE_IDS = [
    "12345678901234567890123",
    "9" * 400,
    str(2**63),
    str(2**63 - 1),
    str(2**31),
    "0",
    "00000000000000000000001",
]


def test_oversized_ids_never_answer_500(
    app: Flask, auth: dict[str, str], published: object
) -> None:
    app.config["RATELIMIT_ENABLED"] = False
    client = app.test_client()
    checked = 0
    for rule, methods in _rules(app):
        if "<" not in rule or "path:" in rule or "client_route" in rule:
            continue
        for method in sorted(methods - {"OPTIONS", "HEAD"}):
            for value in HUGE_IDS:
                response = client.open(
                    _concrete(rule, value),
                    method=method,
                    json={} if method in ("POST", "PUT", "PATCH") else None,
                    headers=auth,
                )
                assert response.status_code < 500, (method, rule, value, response.status_code)
                if response.status_code >= 400:
                    assert_error(response, response.status_code)
                checked += 1
    assert checked > 20


@pytest.mark.parametrize("value", HUGE_IDS[:3])
def test_a_23_digit_movie_id_on_the_stream_endpoint_is_a_404(
    client: FlaskClient, auth: dict[str, str], published: object, value: str
) -> None:
    response = client.post(f"/api/movies/{value}/stream", headers=auth)
    assert response.status_code in (400, 404)
    assert_error(response, response.status_code)


# Raw JSON values for one field: overflowing numbers, NaN/Infinity (not JSON, Python
# parses them), a 5,000-digit integer (beyond int() limits), huge strings, lone
# surrogates, NUL, wrong types.
HOSTILE_VALUES = [
    "1e999",
    "-1e999",
    "NaN",
    "Infinity",
    str(10**30),
    str(-(10**30)),
    "1" + "0" * 5000,
    json.dumps("x" * 60_000),
    '"\\u0000"',
    '"\\ud800"',
    "{}",
    "[]",
    "null",
    "true",
    "-0",
    "1.5",
]


def _schema(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        found: dict[str, Any] = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
        return found
    return schema


def test_hostile_values_in_every_declared_body_field_never_answer_500(
    app: Flask, auth: dict[str, str], published: object
) -> None:
    app.config["RATELIMIT_ENABLED"] = False
    client = app.test_client()
    document = client.get("/api/openapi.json").get_json()
    fields = 0
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            body = operation.get("requestBody")
            if not body or "/logout" in path:
                continue
            schema = _schema(document, body["content"]["application/json"]["schema"])
            concrete = re.sub(r"\{[^}]+\}", "1", path)
            for field in schema.get("properties", {}):
                fields += 1
                for value in HOSTILE_VALUES:
                    response = client.open(
                        concrete,
                        method=method.upper(),
                        data="{" + json.dumps(field) + ":" + value + "}",
                        content_type="application/json",
                        headers=auth,
                    )
                    status = response.status_code
                    assert status < 500 or status in GATEWAY, (method, path, field, value[:20])
                    if status >= 400:
                        assert_error(response, status)
    assert fields >= 10
