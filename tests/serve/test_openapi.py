"""/api/openapi.json documents every /api route, its auth and its error responses."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

PUBLIC = {
    ("/api/health", "get"),
    ("/api/openapi.json", "get"),
    ("/api/auth/login", "post"),
    ("/api/auth/refresh", "post"),
}


def _api_operations(app: Flask) -> set[tuple[str, str]]:
    operations = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api"):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in rule.methods or ():
            if method not in {"HEAD", "OPTIONS"}:
                operations.add((path, method.lower()))
    return operations


def test_document_is_public_openapi_31(client: FlaskClient) -> None:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.get_json()["openapi"].startswith("3.1")


def test_every_api_rule_is_documented(app: Flask, client: FlaskClient) -> None:
    document = client.get("/api/openapi.json").get_json()
    operations = _api_operations(app)
    assert len(operations) >= 9
    documented = {(path, method) for path, ops in document["paths"].items() for method in ops}
    assert operations - documented == set()
    assert documented - operations == set()


def test_auth_is_documented_per_operation(app: Flask, client: FlaskClient) -> None:
    document = client.get("/api/openapi.json").get_json()
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    for path, method in _api_operations(app):
        operation = document["paths"][path][method]
        if (path, method) in PUBLIC:
            assert operation["security"] == []
        else:
            assert operation["security"] == [{"bearerAuth": []}]
            assert "401" in operation["responses"]


def test_every_error_response_uses_the_error_schema(client: FlaskClient) -> None:
    document = client.get("/api/openapi.json").get_json()
    error = document["components"]["schemas"]["Error"]
    assert error["properties"]["error"]["required"] == ["code", "message"]
    for ops in document["paths"].values():
        for operation in ops.values():
            assert "500" in operation["responses"]
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/Error"}


def test_every_schema_reference_resolves(client: FlaskClient) -> None:
    text = client.get("/api/openapi.json").get_data(as_text=True)
    schemas = client.get("/api/openapi.json").get_json()["components"]["schemas"]
    for name in re.findall(r'"#/components/schemas/([^"]+)"', text):
        assert name in schemas
