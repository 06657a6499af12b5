"""Catalogue endpoints need a valid JWT: missing, tampered, alg none, wrong audience or
issuer, expired, foreign key, unknown user all answer 401 in the error shape."""

from __future__ import annotations

import base64
import json
import time
import uuid

import jwt as pyjwt
import pytest
from flask import Flask
from flask.testing import FlaskClient

from core.crypto import derive_key
from core.settings import Settings
from serve.extensions import app_db, session_store
from serve.tokens import AUDIENCE, ISSUER, _timely, _VerifiedHeaders, token_state
from tests.helpers.catalog import SampleMarts
from tests.serve.conftest import assert_error

PROTECTED = [
    "/api/movies",
    "/api/movies/550",
    "/api/lists",
    "/api/genres",
    "/api/status",
    "/api/auth/me",
]


def _key(settings: Settings) -> bytes:
    return derive_key(settings.secret_key.get_secret_value().encode(), "jwt")


def _claims(**overrides: object) -> dict[str, object]:
    now = int(time.time())
    claims: dict[str, object] = {
        "sub": "1",
        "role": "admin",
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "jti": str(uuid.uuid4()),
        "type": "access",
        "fresh": False,
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _get(client: FlaskClient, path: str, token: str) -> object:
    return client.get(path, headers={"Authorization": f"Bearer {token}"})


@pytest.mark.parametrize("path", PROTECTED)
def test_protected_endpoints_refuse_requests_without_a_token(
    client: FlaskClient, published: SampleMarts, path: str
) -> None:
    assert_error(client.get(path), 401, "authorization_required")


def _live_session(app: Flask) -> str:
    with app.app_context():
        issued, _ = session_store().create(1, "test", "")
        return issued.session.id


def test_a_correctly_forged_token_is_accepted_so_the_negative_cases_mean_something(
    app: Flask, client: FlaskClient, settings: Settings, published: SampleMarts
) -> None:
    token = pyjwt.encode(_claims(sid=_live_session(app)), _key(settings), algorithm="HS256")
    assert client.get("/api/lists", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_a_signed_token_without_a_live_session_is_refused(
    app: Flask, client: FlaskClient, settings: Settings, published: SampleMarts
) -> None:
    for sid in (None, "", "0" * 32, 7):
        token = pyjwt.encode(_claims(sid=sid), _key(settings), algorithm="HS256")
        assert_error(_get(client, "/api/lists", token), 401, "invalid_token")  # type: ignore[arg-type]


def test_a_token_carrying_a_stale_role_is_refused(
    app: Flask, client: FlaskClient, settings: Settings, published: SampleMarts
) -> None:
    sid = _live_session(app)
    good = pyjwt.encode(_claims(sid=sid), _key(settings), algorithm="HS256")
    assert _get(client, "/api/lists", good).status_code == 200  # type: ignore[attr-defined]
    stale = pyjwt.encode(_claims(sid=sid, role="user"), _key(settings), algorithm="HS256")
    assert_error(_get(client, "/api/lists", stale), 401, "invalid_token")  # type: ignore[arg-type]


@pytest.mark.parametrize("path", PROTECTED)
def test_tampered_signature_is_rejected(
    client: FlaskClient, admin_token: str, published: SampleMarts, path: str
) -> None:
    header, payload, signature = admin_token.split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    response = client.get(path, headers={"Authorization": f"Bearer {header}.{payload}.{flipped}"})
    assert_error(response, 401, "invalid_token")


def test_tampered_payload_with_original_signature_is_rejected(
    client: FlaskClient, admin_token: str, published: SampleMarts
) -> None:
    header, payload, signature = admin_token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "2"
    forged = f"{header}.{_b64(json.dumps(claims).encode())}.{signature}"
    assert_error(client.get("/api/lists", headers={"Authorization": f"Bearer {forged}"}), 401)


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
def test_alg_none_token_is_rejected(client: FlaskClient, published: SampleMarts, alg: str) -> None:
    header = _b64(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    payload = _b64(json.dumps(_claims()).encode())
    for token in (f"{header}.{payload}.", f"{header}.{payload}"):
        response = client.get("/api/movies", headers={"Authorization": f"Bearer {token}"})
        assert_error(response, 401, "invalid_token")


@pytest.mark.filterwarnings("ignore:The HMAC key")
def test_other_hmac_algorithm_with_the_right_key_is_rejected(
    client: FlaskClient, settings: Settings, published: SampleMarts
) -> None:
    token = pyjwt.encode(_claims(), _key(settings), algorithm="HS512")
    assert_error(client.get("/api/movies", headers={"Authorization": f"Bearer {token}"}), 401)


@pytest.mark.parametrize(
    "claims",
    [
        {"aud": "someone-else"},
        {"aud": None},
        {"iss": "evil"},
        {"iss": None},
    ],
)
def test_wrong_or_missing_audience_and_issuer_are_rejected(
    client: FlaskClient, settings: Settings, published: SampleMarts, claims: dict[str, object]
) -> None:
    token = pyjwt.encode(_claims(**claims), _key(settings), algorithm="HS256")
    assert_error(client.get("/api/movies", headers={"Authorization": f"Bearer {token}"}), 401)


def test_expired_token_is_rejected_as_expired(
    client: FlaskClient, settings: Settings, published: SampleMarts
) -> None:
    now = int(time.time())
    token = pyjwt.encode(
        _claims(iat=now - 7200, nbf=now - 7200, exp=now - 60), _key(settings), algorithm="HS256"
    )
    response = client.get("/api/movies", headers={"Authorization": f"Bearer {token}"})
    assert_error(response, 401, "token_expired")


def test_token_signed_with_another_key_is_rejected(
    client: FlaskClient, published: SampleMarts
) -> None:
    token = pyjwt.encode(_claims(), derive_key(b"another-master-secret" * 2, "jwt"), "HS256")
    response = client.get("/api/movies", headers={"Authorization": f"Bearer {token}"})
    assert_error(response, 401, "invalid_token")


def test_master_key_itself_is_not_the_signing_key(
    client: FlaskClient, settings: Settings, published: SampleMarts
) -> None:
    token = pyjwt.encode(_claims(), settings.secret_key.get_secret_value(), "HS256")
    assert_error(client.get("/api/movies", headers={"Authorization": f"Bearer {token}"}), 401)


@pytest.mark.parametrize("sub", ["999", "abc", "-1", ""])
def test_token_for_a_user_that_does_not_exist_is_rejected(
    client: FlaskClient, settings: Settings, published: SampleMarts, sub: str
) -> None:
    token = pyjwt.encode(_claims(sub=sub), _key(settings), algorithm="HS256")
    response = client.get("/api/movies", headers={"Authorization": f"Bearer {token}"})
    assert_error(response, 401)


# --- a header verified once per process: the per-request checks still run --------------------
def _verified(app: Flask) -> _VerifiedHeaders:
    return token_state(app).verified


def test_a_verified_header_stops_working_when_its_session_is_revoked(
    app: Flask, client: FlaskClient, settings: Settings, published: SampleMarts
) -> None:
    sid = _live_session(app)
    token = pyjwt.encode(_claims(sid=sid), _key(settings), algorithm="HS256")
    for _ in range(2):
        assert _get(client, "/api/movies/550", token).status_code == 200  # type: ignore[attr-defined]
    assert len(_verified(app)) == 1
    with app.app_context():
        assert session_store().revoke(sid, "test")
    assert_error(_get(client, "/api/movies/550", token), 401, "invalid_token")  # type: ignore[arg-type]


def test_a_verified_header_stops_working_when_the_role_or_account_changes(
    app: Flask, client: FlaskClient, settings: Settings, published: SampleMarts
) -> None:
    token = pyjwt.encode(_claims(sid=_live_session(app)), _key(settings), algorithm="HS256")
    assert _get(client, "/api/lists", token).status_code == 200  # type: ignore[attr-defined]
    assert _get(client, "/api/lists", token).status_code == 200  # type: ignore[attr-defined]
    with app.app_context():
        app_db().set_role(1, "user")
    assert_error(_get(client, "/api/lists", token), 401, "invalid_token")  # type: ignore[arg-type]
    with app.app_context():
        app_db().set_role(1, "admin")
        app_db().set_disabled(1, True)
    assert_error(_get(client, "/api/lists", token), 401, "invalid_token")  # type: ignore[arg-type]


def test_the_verified_path_fills_the_jwt_context_like_the_full_path(
    client: FlaskClient, auth: dict[str, str], published: SampleMarts
) -> None:
    first = client.get("/api/auth/sessions", headers=auth).get_json()
    second = client.get("/api/auth/sessions", headers=auth).get_json()
    assert first == second
    assert [s["current"] for s in second["results"]].count(True) == 1
    assert client.get("/api/auth/me", headers=auth).get_json()["email"] == "admin@example.test"


def test_rejected_tokens_and_cookie_requests_are_never_remembered(
    app: Flask, client: FlaskClient, settings: Settings, published: SampleMarts
) -> None:
    now = int(time.time())
    expired = pyjwt.encode(
        _claims(sid=_live_session(app), iat=now - 7200, nbf=now - 7200, exp=now - 60),
        _key(settings),
        algorithm="HS256",
    )
    assert_error(_get(client, "/api/movies", expired), 401, "token_expired")  # type: ignore[arg-type]
    foreign = pyjwt.encode(_claims(sid=_live_session(app)), b"k" * 32, algorithm="HS256")
    assert_error(_get(client, "/api/movies", foreign), 401, "invalid_token")  # type: ignore[arg-type]
    login = client.post(
        "/api/auth/login",
        json={"email": settings.admin_email, "password": "correct horse battery staple",
              "mode": "cookie"},
    )  # fmt: skip
    assert login.status_code == 200
    assert client.get("/api/movies").status_code == 200  # by cookie
    assert len(_verified(app)) == 0


def test_remembered_claims_that_are_no_longer_timely_are_not_trusted(
    app: Flask, client: FlaskClient, settings: Settings, published: SampleMarts
) -> None:
    now = int(time.time())
    token = pyjwt.encode(_claims(sid=_live_session(app)), _key(settings), algorithm="HS256")
    header = f"Bearer {token}"
    stale = _claims(sid="whatever", iat=now - 7200, nbf=now - 7200, exp=now - 1)
    _verified(app).put(header, {"alg": "HS256"}, stale)
    # The stale entry is dropped and the token verified afresh (and remembered again).
    assert client.get("/api/lists", headers={"Authorization": header}).status_code == 200
    entry = _verified(app).get(header)
    assert entry is not None and entry[1]["exp"] > now


@pytest.mark.parametrize(
    ("exp", "nbf", "iat", "timely"),
    [
        (1001, 1000, 1000, True),
        (1000, 990, 990, False),  # exp == now: expired (PyJWT: exp <= now)
        (999, 990, 990, False),
        (2000, 1001, 1000, False),  # not before the future
        (2000, 1000, 1001, False),  # issued in the future
        (2000, 1000, 1000, True),
        ("x", 1000, 1000, False),
        (None, 1000, 1000, False),
    ],
)
def test_time_claims_follow_pyjwt_rules(
    exp: object, nbf: object, iat: object, timely: bool
) -> None:
    claims = {"exp": exp, "nbf": nbf, "iat": iat}
    assert _timely({k: v for k, v in claims.items() if v is not None}, 1000.0, 0.0) is timely


def test_verified_headers_are_bounded_least_recently_used_first() -> None:
    cache = _VerifiedHeaders(size=2)
    for name in ("a", "b"):
        cache.put(f"Bearer {name}", {}, {"n": name})
    assert cache.get("Bearer a") is not None
    cache.put("Bearer c", {}, {"n": "c"})
    assert cache.get("Bearer b") is None
    assert cache.get("Bearer a") is not None and cache.get("Bearer c") is not None
    assert len(cache) == 2
    assert cache.get("Bearer a ") is None  # exact header only
