"""POST /api/movies/<id>/stream: source choice, signed URL the engine accepts, input checks,
agreement with the engine after a key rotation."""

from __future__ import annotations

import base64
import datetime as dt
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from core.crypto import FieldCipher, Keyring, load_or_create_master_key
from core.settings import Settings, load_settings
from core.stream_keys import ForeignStreamKey, StreamClaims, StreamKeyRevoked, StreamKeySigner
from engine.revocation import RevocationCheck
from miauflix.key_rotation import rotate_keys
from serve.app import create_app
from serve.appdb import AppDB
from serve.extensions import app_db, session_store
from serve.tokens import forget_sessions, issue_access_token
from tests.engine.conftest import CatalogSource, wait_until, write_catalog

H1, H2, H3 = "1" * 40, "2" * 40, "3" * 40
USER_ID = 17


def _streams_app(settings: Settings, app_db_template: Path) -> Flask:
    """The real app (stream keys valid for 600 s) with user 17 in app.sqlite."""
    shutil.copyfile(app_db_template, settings.app_db_path)
    db = AppDB(settings.app_db_path)
    db.connection().execute(
        "INSERT INTO users (id, email, password_hash, role, created_at)"
        " VALUES (?, 'viewer@example.test', 'unused', 'user', '2024-01-01T00:00:00Z')",
        (USER_ID,),
    )
    app = create_app(settings.model_copy(update={"stream_key_ttl": 600}))
    app.testing = True
    return app


def _user_auth(app: Flask) -> dict[str, str]:
    """A Bearer header for user 17 in a fresh session."""
    with app.test_request_context():
        user = app_db().user_by_id(USER_ID)
        assert user is not None
        return {"Authorization": f"Bearer {issue_access_token(user, 60)['access_token']}"}


@pytest.fixture
def master(settings: Settings) -> bytes:
    return load_or_create_master_key(settings.key_path, settings.secret_key.get_secret_value())


@pytest.fixture
def app(settings: Settings, master: bytes, app_db_template: Path) -> Iterator[Flask]:
    write_catalog(settings.catalog_path, FieldCipher(master), [
        CatalogSource("web-best", 550, None, H1, quality="1080p", rank_web=1, rank_tv=2),
        CatalogSource("tv-best", 550, None, H2, quality="720p", rank_web=2, rank_tv=1),
        CatalogSource("other", 680, None, H3, quality="720p"),
    ])  # fmt: skip
    yield _streams_app(settings, app_db_template)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def auth(app: Flask) -> dict[str, str]:
    return _user_auth(app)


def test_best_web_source_is_issued_with_a_signed_url(
    client: FlaskClient, auth: dict[str, str], settings: Settings, master: bytes
) -> None:
    response = client.post("/api/movies/550/stream", headers=auth)
    assert response.status_code == 200
    body = response.get_json()
    assert body["source"]["source_id"] == "web-best"
    assert "info_hash" not in str(body) and H1 not in str(body)
    assert body["stream_url"].startswith(f"{settings.engine_url}/stream/")
    claims = StreamKeySigner(master, 600).verify(body["stream_url"].rsplit("/", 1)[1])
    assert (claims.user, claims.source_id) == ("17", "web-best")
    assert claims.expires_at - claims.issued_at == 600  # what the engine compares to revocations
    expires = dt.datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
    assert abs(expires.timestamp() - claims.expires_at) < 1


def test_profile_quality_and_source_choose_the_source(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    def pick(body: dict[str, str]) -> str:
        response = client.post("/api/movies/550/stream", json=body, headers=auth)
        assert response.status_code == 200, response.get_json()
        return str(response.get_json()["source"]["source_id"])

    assert pick({"profile": "tv"}) == "tv-best"
    assert pick({"quality": "720p"}) == "tv-best"
    assert pick({"source_id": "web-best", "profile": "tv"}) == "web-best"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"source_id": "other"}, 404, "source_not_found"),
        ({"quality": "2160p"}, 404, "source_not_found"),
        ({"profile": "phone"}, 400, "validation_error"),
        ({"quality": "best; DROP TABLE"}, 400, "validation_error"),
        ({"source_id": "../../etc"}, 400, "validation_error"),
        ({"source_id": 5}, 400, "validation_error"),
        ({"source_id": "web-best", "quality": "720p"}, 400, "validation_error"),
        ({"admin": True}, 400, "validation_error"),
        ([1, 2], 400, "validation_error"),
    ],
)
def test_bad_requests_get_the_error_shape(
    client: FlaskClient, auth: dict[str, str], body: object, status: int, code: str
) -> None:
    response = client.post("/api/movies/550/stream", json=body, headers=auth)
    assert response.status_code == status
    assert response.get_json() == {
        "error": {"code": code, "message": response.get_json()["error"]["message"]}
    }


def test_malformed_json_and_unknown_movie(client: FlaskClient, auth: dict[str, str]) -> None:
    bad = client.post(
        "/api/movies/550/stream", data="{nope", headers={**auth, "Content-Type": "application/json"}
    )
    assert bad.status_code == 400
    assert client.post("/api/movies/999/stream", headers=auth).status_code == 404


def test_anonymous_requests_are_refused(client: FlaskClient) -> None:
    assert client.post("/api/movies/550/stream").status_code == 401


def test_a_revoked_session_cannot_mint_stream_urls(
    app: Flask, client: FlaskClient, auth: dict[str, str]
) -> None:
    assert client.post("/api/movies/550/stream", headers=auth).status_code == 200
    with app.test_request_context():
        session_store().revoke_all(USER_ID, "test")
        forget_sessions(USER_ID)
    refused = client.post("/api/movies/550/stream", headers=auth)
    assert refused.status_code == 401
    assert refused.get_json()["error"]["code"] == "invalid_token"


def test_after_a_key_rotation_the_api_signs_what_the_engine_verifies(
    settings: Settings, app_db_template: Path
) -> None:
    file_settings = load_settings(**{**settings.model_dump(), "secret_key": ""})
    write_catalog(file_settings.catalog_path, FieldCipher(load_or_create_master_key(
        file_settings.key_path)), [CatalogSource("web-best", 550, None, H1)])  # fmt: skip
    app = _streams_app(file_settings, app_db_template)
    client = app.test_client()
    auth = _user_auth(app)
    engine = StreamKeySigner(Keyring.load(file_settings.key_path), 600)  # as the engine builds it

    def issue() -> tuple[str, str]:
        body = client.post("/api/movies/550/stream", headers=auth).get_json()
        return body["stream_url"].rsplit("/", 1)[1], body["source"]["source_id"]

    before, _ = issue()
    assert engine.verify(before).source_id == "web-best"
    rotate_keys(file_settings)
    new_id = FieldCipher(load_or_create_master_key(file_settings.key_path)).lookup_hash(
        "source:" + H1
    )[:24]
    # the running API re-reads the key files within about a second: new master, new ids
    assert wait_until(lambda: issue()[1] == new_id and _kid(issue()[0]) != _kid(before), 5)
    after, _ = issue()
    assert wait_until(lambda: _verifies(engine, after), 5)
    assert (engine.verify(after).user, engine.verify(after).source_id) == ("17", new_id)
    with pytest.raises(ForeignStreamKey):
        engine.verify(before)


def _kid(key: str) -> str:
    payload = key.split(".")[0]
    return str(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["k"])


def _verifies(signer: StreamKeySigner, key: str) -> bool:
    try:
        signer.verify(key)
    except ForeignStreamKey:
        return False
    return True


def _claims_of(body: dict[str, str], master: bytes) -> StreamClaims:
    return StreamKeySigner(master, 600).verify(body["stream_url"].rsplit("/", 1)[1])


def test_a_stream_url_is_bound_to_the_sign_in_session_that_asked(
    app: Flask, client: FlaskClient, master: bytes, settings: Settings
) -> None:
    """Revoking one session (another device signs it out) ends that session's stream URLs,
    and only those; the engine reads the same app.sqlite."""
    phone, tv = _user_auth(app), _user_auth(app)
    phone_claims = _claims_of(client.post("/api/movies/550/stream", headers=phone).get_json(),
                              master)  # fmt: skip
    tv_claims = _claims_of(client.post("/api/movies/550/stream", headers=tv).get_json(), master)
    assert phone_claims.session and tv_claims.session
    assert phone_claims.session != tv_claims.session
    check = RevocationCheck(settings.app_db_path, cache_seconds=0)
    check.check(phone_claims)
    revoked = client.delete(f"/api/auth/sessions/{phone_claims.session}", headers=tv)
    assert revoked.status_code == 200, revoked.get_json()
    with pytest.raises(StreamKeyRevoked):
        check.check(phone_claims)
    check.check(tv_claims)  # the other device streams on
