"""``GET /api/pairing``: signed-in users only, rate limited with the catalogue, never
cached; the address is the configured public URL, else the LAN IPv4 the browser used,
else the machine's primary IPv4 (and none when the API listens on loopback only); hostile
Host headers and public URLs give no code rather than an error."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from pydantic import ValidationError

from core.settings import Settings, load_settings
from serve.app import create_app
from serve.pairing import Address, decode, primary_ipv4, resolve
from tests.serve.conftest import assert_error

Client = tuple[FlaskClient, dict[str, str]]


@pytest.fixture
def make_client(settings: Settings, app_db_template: Path) -> Callable[..., Client]:
    """An app on the test settings with `overrides`, and an admin's bearer header."""

    def make(**overrides: Any) -> Client:
        tuned = load_settings(**{**settings.model_dump(), **overrides})
        (tuned.data_dir / "app.sqlite").write_bytes(app_db_template.read_bytes())
        application = create_app(tuned)
        with application.test_request_context():
            from serve.extensions import app_db
            from serve.tokens import issue_access_token

            admin = app_db().user_by_email(tuned.admin_email)
            assert admin is not None
            token = issue_access_token(admin, 5)["access_token"]
        return application.test_client(), {"Authorization": f"Bearer {token}"}

    return make


def test_pairing_needs_a_signed_in_user(client: FlaskClient) -> None:
    assert_error(client.get("/api/pairing"), 401)
    bad = {"Authorization": "Bearer not-a-token"}
    assert_error(client.get("/api/pairing", headers=bad), 401)


def test_a_configured_public_url_is_the_address_and_its_code_decodes_to_it(
    make_client: Callable[..., Client],
) -> None:
    client, headers = make_client(public_url="https://192.168.1.20:8443/")
    response = client.get("/api/pairing", headers=headers)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert body["source"] == "configured"
    assert body["address"] == "https://192.168.1.20:8443"
    assert decode(body["code"]) == Address("https", "192.168.1.20", 8443)


def test_a_public_url_naming_a_host_has_no_code(make_client: Callable[..., Client]) -> None:
    client, headers = make_client(public_url="https://miauflix.example.org")
    body = client.get("/api/pairing", headers=headers).get_json()
    assert body == {
        "address": "https://miauflix.example.org:443",
        "code": None,
        "source": "configured",
        "note": "This address names a host, not an IPv4 address: type it on the TV.",
    }


def test_the_lan_address_the_browser_used_is_the_address(client: FlaskClient, auth: Any) -> None:
    response = client.get("/api/pairing", headers=auth, base_url="http://10.1.2.3:8000")
    body = response.get_json()
    assert body["source"] == "request"
    assert decode(body["code"]) == Address("http", "10.1.2.3", 8000)


def test_on_loopback_only_the_endpoint_says_so_instead_of_a_code(
    client: FlaskClient, auth: Any
) -> None:
    body = client.get("/api/pairing", headers=auth, base_url="http://127.0.0.1:8000").get_json()
    assert body["code"] is None and body["address"] is None
    assert "MIAUFLIX_HOST=0.0.0.0" in body["note"]


@pytest.mark.parametrize(
    "host",
    ["10.1.2.3:99999", "[::1", "a" * 300, "10.1.2.3:-1", "0.0.0.0:80", "239.0.0.1:80"],
)
def test_hostile_host_headers_give_no_code_and_no_error(
    client: FlaskClient, auth: Any, host: str
) -> None:
    response = client.get("/api/pairing", headers={**auth, "Host": host})
    assert response.status_code in (200, 400), response.get_data(as_text=True)
    if response.status_code == 200:
        assert response.get_json()["code"] is None
    else:
        assert_error(response, 400)


def test_pairing_spends_the_shared_catalogue_limit(make_client: Callable[..., Client]) -> None:
    client, headers = make_client(rate_limit_catalog="2/minute")
    for _ in range(2):
        assert client.get("/api/pairing", headers=headers).status_code == 200
    assert_error(client.get("/api/pairing", headers=headers), 429, "rate_limited")


def test_the_detected_address_is_used_when_the_browser_came_over_loopback() -> None:
    common: dict[str, Any] = dict(
        public_url="", listen_host="0.0.0.0", request_scheme="http", request_host="127.0.0.1:8000"
    )
    found = resolve(**common, detect=lambda: "192.168.7.9")
    assert found.source == "detected"
    assert found.code and decode(found.code) == Address("http", "192.168.7.9", 8000)
    missing = resolve(**common, detect=lambda: None)
    assert (missing.source, missing.code) == ("none", None)
    assert "MIAUFLIX_PUBLIC_URL" in missing.note


def test_the_primary_address_probe_sends_nothing_and_never_answers_loopback() -> None:
    found = primary_ipv4()  # None on a machine without a default route
    if found is not None:
        assert not ipaddress.IPv4Address(found).is_loopback


@pytest.mark.parametrize(
    "value",
    [
        "ftp://10.0.0.1",
        "10.0.0.1:8000",
        "http://user:pw@10.0.0.1",
        "http://10.0.0.1/miauflix",
        "http://10.0.0.1?x=1",
        "http://10.0.0.1:99999",
        "http://",
        "javascript:alert(1)",
    ],
)
def test_a_public_url_that_is_not_an_origin_is_refused_at_start(
    settings: Settings, value: str
) -> None:
    with pytest.raises(ValidationError, match="public_url"):
        load_settings(**{**settings.model_dump(), "public_url": value})
