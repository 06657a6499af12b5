"""Security headers on every response, success or error."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.helpers.catalog import SampleMarts

EXPECTED = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


@pytest.mark.parametrize(
    ("method", "path", "authenticated"),
    [
        ("get", "/api/health", False),
        ("get", "/api/openapi.json", False),
        ("get", "/api/movies", True),
        ("get", "/api/movies", False),  # 401
        ("get", "/api/movies/0", True),  # 400
        ("get", "/api/movies/777", True),  # 404
        ("get", "/api/nowhere", False),  # 404
        ("put", "/api/health", False),  # 405
        ("post", "/api/auth/login", False),  # 415
        ("get", "/not-api", False),
    ],
)
def test_security_headers_on_every_response(
    client: FlaskClient,
    auth: dict[str, str],
    published: SampleMarts,
    method: str,
    path: str,
    authenticated: bool,
) -> None:
    response = getattr(client, method)(path, headers=auth if authenticated else {})
    for name, value in EXPECTED.items():
        assert response.headers[name] == value
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    if path.startswith("/api/"):
        assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
        assert response.headers["Cache-Control"] == "no-store"
