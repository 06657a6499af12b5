"""``GET /api/openapi.json``: the OpenAPI 3.1 document, generated from the pydantic request
and response models declared per route in :mod:`serve.openapi_routes`.

Schemas come from pydantic's own JSON Schema generation (``models_json_schema`` with
``ref_template="#/components/schemas/{model}"``), so the document cannot drift from the
models the views validate with. Only operations that exist on the app are documented; a
Flask route with no declaration is caught by ``tests/serve/test_openapi.py``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify
from flask.typing import ResponseReturnValue
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from serve.answers import Error
from serve.openapi_routes import ADMIN, PUBLIC, ROUTES, Route

bp = Blueprint("openapi", __name__, url_prefix="/api")

JSON = "application/json"
REF_TEMPLATE = "#/components/schemas/{model}"
SECURED: list[dict[str, list[str]]] = [{"bearerAuth": []}]
_IGNORED_METHODS = {"HEAD", "OPTIONS"}
_EXTENSION = "miauflix.openapi"

_UNAUTHENTICATED = "Missing, invalid, expired or revoked token (or the user is disabled)"
_BODY_ERRORS = {
    400: "Malformed JSON (malformed_json) or invalid fields (validation_error, named in the"
    " message)",
    413: "Body larger than the limit",
    415: "Body is not application/json",
}


def flask_path(rule: str) -> str:
    """``/api/movies/<int:tmdb_id>`` -> ``/api/movies/{tmdb_id}``."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def api_operations(app: Flask) -> set[tuple[str, str]]:
    """(OpenAPI path, lowercase method) of every route of ``app`` under ``/api``."""
    operations = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api"):
            continue
        for method in rule.methods or ():
            if method not in _IGNORED_METHODS:
                operations.add((flask_path(rule.rule), method.lower()))
    return operations


def _models(routes: Iterable[Route]) -> list[tuple[type[BaseModel], JsonSchemaMode]]:
    """Every body (validation) and answer (serialization) model, once, in route order."""
    seen: dict[tuple[type[BaseModel], JsonSchemaMode], None] = {(Error, "serialization"): None}
    for route in routes:
        if route.body is not None:
            seen[(route.body, "validation")] = None
        for model in route.answers.values():
            if model is not None:
                seen[(model, "serialization")] = None
    return list(seen)


def _plain(schema: dict[str, Any]) -> dict[str, Any]:
    """A parameter schema without pydantic's title and its ``anyOf [X, null]`` for
    optional parameters (an absent parameter is how a client says "none")."""
    out = {key: value for key, value in schema.items() if key != "title"}
    options = out.get("anyOf")
    if isinstance(options, list):
        rest = [option for option in options if option != {"type": "null"}]
        if len(rest) == 1 and len(rest) < len(options):
            del out["anyOf"]
            out = {**rest[0], **out}
    if out.get("default", 0) is None:
        del out["default"]
    return out


def _parameters(model: type[BaseModel] | None, where: str) -> list[dict[str, Any]]:
    if model is None:
        return []
    schema = model.model_json_schema(ref_template=REF_TEMPLATE)
    required = set(schema.get("required", ()))
    parameters = []
    for name, prop in schema.get("properties", {}).items():
        plain = _plain(prop)
        description = plain.pop("description", "")
        parameters.append(
            {
                "name": name,
                "in": where,
                "required": where == "path" or name in required,
                "schema": plain,
                "description": description,
            }
        )
    return parameters


def _path_parameters(route: Route) -> list[dict[str, Any]]:
    declared = _parameters(route.path_params, "path")
    names = {parameter["name"] for parameter in declared}
    for name in re.findall(r"{([^{}]+)}", route.path):
        if name not in names:
            declared.append(
                {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            )
    return declared


def _error(description: str, status: int) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {JSON: {"schema": {"$ref": REF_TEMPLATE.format(model="Error")}}},
    }
    if status == 429:
        response["headers"] = {
            "Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}
        }
    return response


def _operation_id(route: Route) -> str:
    """``get_api_movies_tmdb_id`` for ``GET /api/movies/{tmdb_id}``."""
    words = re.sub(r"[^a-z0-9]+", "_", route.path.lower()).strip("_")
    return f"{route.method.lower()}_{words}"


_Refs = Mapping[tuple[Any, JsonSchemaMode], dict[str, Any]]


def _operation(route: Route, refs: _Refs) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for status, model in sorted(route.answers.items()):
        if model is None:
            responses[str(status)] = {"description": "No content"}
        else:
            schema = refs[(model, "serialization")]
            responses[str(status)] = {
                "description": (model.__doc__ or model.__name__).strip().splitlines()[0],
                "content": {JSON: {"schema": schema}},
            }
    errors = dict(route.errors)
    if route.body is not None:
        for status, description in _BODY_ERRORS.items():
            errors.setdefault(status, description)
    if route.auth != PUBLIC:
        errors.setdefault(401, _UNAUTHENTICATED)
    if route.auth == ADMIN:
        errors.setdefault(403, "admin_required (or a CSRF failure)")
    errors.setdefault(500, "Unexpected server error")
    for status, description in sorted(errors.items()):
        responses[str(status)] = _error(description, status)
    operation: dict[str, Any] = {
        "summary": route.summary,
        "operationId": _operation_id(route),
        "tags": list(route.tags),
        "security": [] if route.auth == PUBLIC else SECURED,
    }
    if route.description:
        operation["description"] = route.description
    parameters = _path_parameters(route) + _parameters(route.query, "query")
    if parameters:
        operation["parameters"] = parameters
    if route.body is not None:
        operation["requestBody"] = {
            "required": route.body_required,
            "content": {JSON: {"schema": refs[(route.body, "validation")]}},
        }
    operation["responses"] = responses
    return operation


def _inline_error_body(schemas: dict[str, Any]) -> None:
    """The Error schema carries its ``error`` object inline (the one shape, at a glance)."""
    error = schemas["Error"]
    ref = error["properties"]["error"].get("$ref", "")
    name = ref.rsplit("/", 1)[-1]
    if name in schemas:
        error["properties"]["error"] = schemas.pop(name)


def build_document(operations: set[tuple[str, str]] | None = None) -> dict[str, Any]:
    """The OpenAPI document for the declared routes (only ``operations`` when given)."""
    routes = [route for route in ROUTES if operations is None or route.key in operations]
    refs, definitions = models_json_schema(_models(routes), ref_template=REF_TEMPLATE)
    schemas: dict[str, Any] = dict(definitions.get("$defs", {}))
    _inline_error_body(schemas)
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route, refs)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Miauflix API",
            "version": "1",
            "description": "Self-hosted movie streaming. Every error answers "
            '{"error": {"code": "<snake_case>", "message": "..."}}. Browsers may '
            "authenticate with the HttpOnly cookies set by login in cookie mode instead of "
            "the Bearer header; cookie-authenticated writes need X-CSRF-Token.",
        },
        "servers": [{"url": "/"}],
        "security": SECURED,
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
        },
    }


@bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    document = current_app.extensions.get(_EXTENSION)
    if document is None:  # built once per app: routes and models do not change at runtime
        document = build_document(api_operations(current_app))
        current_app.extensions[_EXTENSION] = document
    return jsonify(document)
