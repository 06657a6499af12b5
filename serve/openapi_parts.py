"""Building blocks shared by the OpenAPI fragments (`serve.openapi`, `serve.openapi_auth`)."""

from __future__ import annotations

from typing import Any

JSON = "application/json"
SECURED: list[dict[str, list[str]]] = [{"bearerAuth": []}]


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def ok(schema: str, description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": ref(schema)}}}


def error(description: str) -> dict[str, Any]:
    """A response documented with the one JSON error shape."""
    return {"description": description, "content": {JSON: {"schema": ref("Error")}}}


def rate_limited() -> dict[str, Any]:
    response = error("Rate limit exceeded")
    response["headers"] = {
        "Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}
    }
    return response
