"""/api/openapi.json documents every /api route, its auth and its error responses."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate
from pydantic import BaseModel

from serve.openapi import api_operations, build_document, flask_path

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


def test_the_whole_document_is_valid_openapi(client: FlaskClient) -> None:
    validate(client.get("/api/openapi.json").get_json())


def test_every_route_is_declared_with_its_models(app: Flask) -> None:
    """Every Flask route (but the web client's) is in the document; a view that parses a
    body with a pydantic model documents that model's schema as its requestBody."""
    document = build_document(api_operations(app))
    schemas = document["components"]["schemas"]
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.startswith("web."):
            continue
        path = flask_path(rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            assert path in document["paths"], f"{method} {rule.rule} is not declared"
            operation = document["paths"][path].get(method.lower())
            assert operation is not None, f"{method} {rule.rule} is not declared"
            model = _body_model(app.view_functions[rule.endpoint])
            if model is None:
                assert "requestBody" not in operation, (method, path)
                continue
            ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
            name = ref.rsplit("/", 1)[-1]
            assert name == model.__name__, (method, path, name)
            generated = model.model_json_schema(ref_template="#/components/schemas/{model}")
            assert schemas[name]["properties"] == generated["properties"], (method, path)
            checked += 1
    assert checked >= 6  # login, refresh, password, users x2, stream (+ progress)


def test_a_nullable_field_is_nullable_in_the_document(client: FlaskClient) -> None:
    schemas = client.get("/api/openapi.json").get_json()["components"]["schemas"]
    device = schemas["LoginRequest"]["properties"]["device"]
    assert {"type": "null"} in device["anyOf"]


def _body_model(view: Callable[..., Any]) -> type[BaseModel] | None:
    """The model a view hands to ``json_body`` / ``optional_json_body``, read from its source."""
    source = inspect.getsource(inspect.unwrap(view))
    found = re.findall(r"\b(?:optional_)?json_body\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)", source)
    if not found:
        return None
    assert len(set(found)) == 1, found
    model = inspect.unwrap(view).__globals__[found[0]]
    assert isinstance(model, type) and issubclass(model, BaseModel)
    return model
