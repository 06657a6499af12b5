"""Rate limits: strict on login, generous and shared on the catalogue; 429 in the error
shape with Retry-After; counted per client address."""

from __future__ import annotations

from pathlib import Path

from flask.testing import FlaskClient

from core.settings import Settings, load_settings
from serve.app import create_app
from tests.helpers.catalog import SampleMarts
from tests.serve.conftest import assert_error, login


def TightSettings(**values: object) -> Settings:
    """The test settings with tight catalogue and login limits."""
    return load_settings(
        **{**values, "rate_limit_catalog": "4/minute", "rate_limit_login": "2/minute"}
    )


def test_login_is_limited_to_ten_attempts_per_minute_per_address(
    client: FlaskClient, settings: Settings
) -> None:
    for attempt in range(10):
        response = login(client, settings.admin_email, f"wrong-{attempt}")
        assert_error(response, 401, "invalid_credentials")
    # Even the right password is refused once the budget is spent.
    blocked = login(client, settings.admin_email, settings.admin_password.get_secret_value())
    assert "rate limit" in assert_error(blocked, 429, "rate_limited")
    retry_after = int(blocked.headers["Retry-After"])
    assert 1 <= retry_after <= 60
    # Another client address has its own budget.
    other = client.post(
        "/api/auth/login",
        json={"email": settings.admin_email, "password": "nope"},
        environ_base={"REMOTE_ADDR": "192.0.2.7"},
    )
    assert_error(other, 401, "invalid_credentials")


def test_catalogue_limit_is_shared_across_catalogue_endpoints(
    settings: Settings, app_db_template: Path, published: SampleMarts
) -> None:
    tight = TightSettings(**settings.model_dump())
    (tight.data_dir / "app.sqlite").write_bytes(app_db_template.read_bytes())
    application = create_app(tight)
    client = application.test_client()
    with application.test_request_context():
        from serve.extensions import app_db
        from serve.tokens import issue_access_token

        admin = app_db().user_by_email(tight.admin_email)
        assert admin is not None
        token = issue_access_token(admin, 5)["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    for path in ("/api/movies", "/api/lists", "/api/genres", "/api/movies/550"):
        assert client.get(path, headers=headers).status_code == 200
    response = client.get("/api/status", headers=headers)
    assert_error(response, 429, "rate_limited")
    assert int(response.headers["Retry-After"]) >= 1
    # Health and the OpenAPI document are not rate limited.
    for _ in range(6):
        assert client.get("/api/health").status_code == 200
        assert client.get("/api/openapi.json").status_code == 200


def test_login_limit_is_read_from_settings(settings: Settings, app_db_template: Path) -> None:
    tight = TightSettings(**settings.model_dump())
    (tight.data_dir / "app.sqlite").write_bytes(app_db_template.read_bytes())
    client = create_app(tight).test_client()
    for _ in range(2):
        assert_error(client.post("/api/auth/login", data="x"), 415)
    assert_error(client.post("/api/auth/login", data="x"), 429, "rate_limited")
