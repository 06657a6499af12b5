"""Where the API leans on a dependency beyond its public API, these tests fail loudly when
the dependency changes under us (the versions are also capped in pyproject.toml).

* flask-jwt-extended has no public way to hand it an already-verified token, so the
  once-per-header verification (:mod:`serve.tokens`) fills the four ``g`` attributes its
  ``verify_jwt_in_request`` sets and its public readers (``get_jwt``...) read.
* The rate-limit storage (:mod:`serve.limiter_storage`) only uses the public
  :class:`limits.storage.Storage` interface; its abstract methods are pinned here.
"""

from __future__ import annotations

import inspect
from typing import Any

import flask_jwt_extended
from flask import Flask, g
from flask_jwt_extended import (
    get_current_user,
    get_jwt,
    get_jwt_header,
    get_jwt_identity,
    get_jwt_request_location,
    verify_jwt_in_request,
)
from flask_jwt_extended.config import config as jwt_config
from limits import parse
from limits.storage import Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter

from serve.extensions import app_db
from serve.limiter_storage import CounterStorage, storage_uri
from serve.tokens import (
    EXEMPT_METHODS,
    JWT_CONTEXT_ATTRIBUTES,
    _publish_verified_token,
    issue_access_token,
)


def test_verify_jwt_in_request_sets_exactly_the_attributes_we_fill(app: Flask) -> None:
    with app.test_request_context():
        admin = app_db().user_by_email("admin@example.test")
        assert admin is not None
        token = issue_access_token(admin, 5)["access_token"]
    with app.test_request_context(headers={"Authorization": f"Bearer {token}"}):
        verify_jwt_in_request()
        written = {name for name in vars(g) if name.startswith("_jwt_extended_")}
        assert written == set(JWT_CONTEXT_ATTRIBUTES)
        assert g._jwt_extended_jwt_user == {"loaded_user": get_current_user()}
        assert g._jwt_extended_jwt_location == "headers"
        assert g._jwt_extended_jwt == get_jwt() and g._jwt_extended_jwt_header == get_jwt_header()


def test_the_public_readers_read_what_the_fast_path_writes(app: Flask) -> None:
    with app.test_request_context():
        user = app_db().user_by_email("admin@example.test")
        assert user is not None
        header: dict[str, Any] = {"alg": "HS256", "kid": "abc"}
        claims: dict[str, Any] = {"sub": str(user.id), "sid": "s1", "type": "access"}
        _publish_verified_token(header, claims, user)
        assert get_jwt() == claims
        assert get_jwt_header() == header
        assert get_jwt_identity() == str(user.id)
        assert get_current_user() is user
        assert get_jwt_request_location() == "headers"


def test_flask_jwt_extended_exempts_the_methods_we_skip() -> None:
    assert set(jwt_config.exempt_methods) == set(EXEMPT_METHODS)
    assert flask_jwt_extended.__version__.startswith("4.")


def test_the_counter_storage_implements_every_abstract_storage_method() -> None:
    abstract = set(getattr(Storage, "__abstractmethods__", ()))
    assert abstract == {"base_exceptions", "incr", "get", "get_expiry", "check", "reset", "clear"}
    assert not getattr(CounterStorage, "__abstractmethods__", None)
    signature = inspect.signature(Storage.incr)
    assert list(signature.parameters) == ["self", "key", "expiry", "amount"]


def test_the_counter_storage_is_found_by_its_scheme_and_counts_windows() -> None:
    storage = storage_from_string(storage_uri("memory://"))
    assert isinstance(storage, CounterStorage)
    limiter = FixedWindowRateLimiter(storage)
    item = parse("2/minute")
    assert [limiter.hit(item, "ip") for _ in range(3)] == [True, True, False]
    assert limiter.hit(item, "other")
    stats = limiter.get_window_stats(item, "ip")
    assert stats.remaining == 0 and stats.reset_time > 0
    storage.clear(item.key_for("ip"))
    assert limiter.hit(item, "ip")
