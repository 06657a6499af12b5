# ruff: noqa: F811 - the shared fixtures are imported from tests.serve.trakt_support
"""``/api/trakt``: the device-code link against the fake Trakt with every poll answer, unlink
with revocation, per-user isolation, sealed tokens, refresh, and hostile input."""

from __future__ import annotations

import sqlite3
import time

import pytest
from flask import Flask

from core.crypto import CryptoError, Keyring
from core.trakt_store import ACCESS, REFRESH, access_token, device_code_of
from sandbox.fake_upstream import RunningUpstream
from sandbox.faults import FaultConfig
from sandbox.trakt_routes import TraktRoutes
from serve.extensions import app_db
from tests.helpers.trakt import (
    every_file_bytes,
)
from tests.serve.conftest import assert_error
from tests.serve.trakt_support import (  # noqa: F401 - fixtures
    _due,
    _start,
    _state,
    _user_id,
    headers_for,
    link,
    settings,
    trakt,
    trakt_app,
    upstream,
    user,
)


def test_link_answers_a_code_then_polls_to_linked(
    trakt_app: Flask, user: dict[str, str], trakt: TraktRoutes
) -> None:
    client = trakt_app.test_client()
    assert _state(client, user) == {**_state(client, user), "state": "unlinked"}
    started = _start(client, user)
    assert set(started) == {"state", "user_code", "verification_url", "expires_in", "interval"}
    assert started["state"] == "pending" and started["verification_url"].startswith("http")
    pending = _state(client, user, due=True)  # polled: 400 pending
    assert pending["state"] == "pending" and pending["user_code"] == started["user_code"]
    trakt.auth.decide(started["user_code"], "linker", approve=True)
    assert _state(client, user)["state"] == "pending"  # not due yet: Trakt is not asked
    linked = _state(client, user, due=True)
    assert linked["state"] == "linked" and linked["linked_at"] and linked["user_code"] is None


@pytest.mark.parametrize(
    ("decide", "state"),
    [("deny", "denied"), ("expire", "expired")],
)
def test_a_denied_or_expired_code_ends_the_link(
    trakt_app: Flask, user: dict[str, str], trakt: TraktRoutes, decide: str, state: str
) -> None:
    client = trakt_app.test_client()
    code = _start(client, user)["user_code"]
    if decide == "deny":
        trakt.auth.decide(code, "x", approve=False)
    else:
        trakt.auth.expire(code)
    ended = _state(client, user, due=True)
    assert ended["state"] == state and ended["detail"]
    with trakt_app.app_context():
        uid = _user_id(trakt_app, "viewer@example.test")
        assert (
            device_code_of(app_db().connection(), trakt_app.extensions["miauflix"]["keyring"], uid)
            is None
        )


def test_a_code_used_elsewhere_or_unknown_fails_the_link(
    trakt_app: Flask, user: dict[str, str], trakt: TraktRoutes
) -> None:
    client = trakt_app.test_client()
    code = _start(client, user)["user_code"]
    trakt.auth.decide(code, "someone", approve=True)
    uid = _user_id(trakt_app, "viewer@example.test")
    with trakt_app.app_context():
        device = device_code_of(
            app_db().connection(), trakt_app.extensions["miauflix"]["keyring"], uid
        )
    assert device is not None
    assert trakt_app.extensions["miauflix.trakt"].poll_device(device)[0] == "approved"  # spent
    used = _state(client, user, due=True)
    assert used["state"] == "failed" and "already used" in used["detail"]
    _start(client, user)
    con = sqlite3.connect(trakt_app.extensions["miauflix"]["settings"].app_db_path)
    con.execute("DELETE FROM user_secrets WHERE name = 'trakt.device_code'")
    con.commit()
    con.close()
    assert _state(client, user, due=True)["state"] == "failed"


def test_polling_too_fast_widens_the_interval(
    trakt_app: Flask, user: dict[str, str], trakt: TraktRoutes
) -> None:
    trakt.auth.device_interval = 30
    client = trakt_app.test_client()
    started = _start(client, user)
    for _ in range(2):  # force two polls inside Trakt's interval
        state = _state(client, user, due=True)
    assert state["state"] == "pending" and state["interval"] == started["interval"] + 5


def test_each_user_sees_only_their_own_link(
    trakt_app: Flask, user: dict[str, str], trakt: TraktRoutes
) -> None:
    client = trakt_app.test_client()
    link(client, user, trakt, "first")
    other = headers_for(trakt_app, "other@example.test")
    assert _state(client, other)["state"] == "unlinked"
    assert_error(client.delete("/api/trakt", headers=other), 404, "trakt_not_linked")
    assert _state(client, user)["state"] == "linked"


def test_unlink_revokes_the_token_at_trakt_and_forgets_every_secret(
    trakt_app: Flask, user: dict[str, str], trakt: TraktRoutes
) -> None:
    client = trakt_app.test_client()
    link(client, user, trakt, "leaver")
    tokens = [t for t, g in trakt.auth.access.items() if g.username == "leaver"]
    answer = client.delete("/api/trakt", headers=user)
    assert answer.status_code == 200 and answer.get_json() == {"state": "unlinked", "revoked": True}
    assert set(tokens) <= trakt.auth.revoked
    assert _state(client, user)["state"] == "unlinked"
    con = sqlite3.connect(trakt_app.extensions["miauflix"]["settings"].app_db_path)
    assert con.execute(
        "SELECT COUNT(*) FROM user_secrets WHERE name LIKE 'trakt.%'"
    ).fetchone() == (0,)
    events = con.execute("SELECT event FROM audit_log WHERE event LIKE 'trakt_%' ORDER BY id")
    assert [row[0] for row in events.fetchall()] == ["trakt_linked", "trakt_unlinked"]
    con.close()


def test_unlink_while_trakt_is_down_still_forgets_locally(
    trakt_app: Flask, user: dict[str, str], trakt: TraktRoutes, upstream: RunningUpstream
) -> None:
    client = trakt_app.test_client()
    link(client, user, trakt, "offline")
    upstream.upstream.set_faults(FaultConfig(error_rate=1.0))
    try:
        answer = client.delete("/api/trakt", headers=user)
    finally:
        upstream.upstream.set_faults(FaultConfig())
    assert answer.get_json() == {"state": "unlinked", "revoked": False}


def test_linking_while_trakt_is_down_is_502(
    trakt_app: Flask, user: dict[str, str], upstream: RunningUpstream
) -> None:
    upstream.upstream.set_faults(FaultConfig(error_rate=1.0))
    try:
        answer = trakt_app.test_client().post("/api/trakt/link", headers=user)
    finally:
        upstream.upstream.set_faults(FaultConfig())
    assert_error(answer, 502, "trakt_unavailable")


def test_tokens_are_sealed_bound_to_the_user_and_never_on_disk_in_clear(
    trakt_app: Flask, user: dict[str, str], trakt: TraktRoutes
) -> None:
    client = trakt_app.test_client()
    link(client, user, trakt, "sealed")
    secrets = [t for t, g in trakt.auth.access.items() if g.username == "sealed"]
    secrets += [t for t, name in trakt.auth.refresh.items() if name == "sealed"]
    settings = trakt_app.extensions["miauflix"]["settings"]
    blob = every_file_bytes(settings.data_dir)
    assert secrets and all(s.encode() not in blob for s in secrets)
    keyring: Keyring = trakt_app.extensions["miauflix"]["keyring"]
    uid = _user_id(trakt_app, "viewer@example.test")
    con = sqlite3.connect(settings.app_db_path)
    sealed = con.execute(
        "SELECT value_enc FROM user_secrets WHERE user_id = ? AND name = ?", (uid, ACCESS)
    ).fetchone()[0]
    con.close()
    assert keyring.decrypt_str(sealed, f"user_secrets.value:{uid}:{ACCESS}") in secrets
    with pytest.raises(CryptoError):  # moved to another user, the value does not open
        keyring.decrypt_str(sealed, f"user_secrets.value:{uid + 1}:{ACCESS}")


def test_an_expiring_token_is_refreshed_once_and_the_old_refresh_token_is_spent(
    trakt_app: Flask, user: dict[str, str], trakt: TraktRoutes
) -> None:
    client = trakt_app.test_client()
    link(client, user, trakt, "refresher")
    uid = _user_id(trakt_app, "viewer@example.test")
    old_refresh = {t for t, n in trakt.auth.refresh.items() if n == "refresher"}
    with trakt_app.app_context():
        con, keyring = app_db().connection(), trakt_app.extensions["miauflix"]["keyring"]
        tc = trakt_app.extensions["miauflix.trakt"]
        first = access_token(con, keyring, tc, uid)
        con.execute("UPDATE trakt_links SET token_expires_at = ?", (time.time() + 60,))
        fresh = access_token(con, keyring, tc, uid)
        again = access_token(con, keyring, tc, uid)  # not due any more: no second refresh
    assert fresh != first and again == fresh
    assert not old_refresh & set(trakt.auth.refresh)
    assert [n for n in trakt.auth.refresh.values() if n == "refresher"] == ["refresher"]


def test_a_refused_refresh_marks_the_link_failed(
    trakt_app: Flask, user: dict[str, str], trakt: TraktRoutes
) -> None:
    client = trakt_app.test_client()
    link(client, user, trakt, "revoked-elsewhere")
    for token, name in list(trakt.auth.refresh.items()):
        if name == "revoked-elsewhere":
            del trakt.auth.refresh[token]
    uid = _user_id(trakt_app, "viewer@example.test")
    with trakt_app.app_context():
        con = app_db().connection()
        con.execute("UPDATE trakt_links SET token_expires_at = 0")
        token = access_token(con, trakt_app.extensions["miauflix"]["keyring"],
                             trakt_app.extensions["miauflix.trakt"], uid)  # fmt: skip
        names = {
            r[0] for r in con.execute("SELECT name FROM user_secrets WHERE user_id = ?", (uid,))
        }
    assert token is None and not names & {ACCESS, REFRESH}
    state = _state(client, user)
    assert state["state"] == "failed" and "link again" in state["detail"]


@pytest.mark.parametrize(
    ("method", "path"),
    [("post", "/api/trakt/link"), ("get", "/api/trakt"), ("delete", "/api/trakt"),
     ("get", "/api/trakt/watchlist"), ("post", "/api/trakt/scrobble")],
)  # fmt: skip
def test_every_trakt_route_needs_a_signed_in_user(trakt_app: Flask, method: str, path: str) -> None:
    answer = getattr(trakt_app.test_client(), method)(path)
    assert answer.status_code == 401


def test_concurrent_refreshes_spend_the_refresh_token_once(
    trakt_app: Flask, user: dict[str, str], trakt: TraktRoutes, upstream: RunningUpstream
) -> None:
    import threading

    from core.appdb import AppDatabase

    client = trakt_app.test_client()
    link(client, user, trakt, "racing-refresh")
    uid = _user_id(trakt_app, "viewer@example.test")
    settings = trakt_app.extensions["miauflix"]["settings"]
    keyring, tc = (
        trakt_app.extensions["miauflix"]["keyring"],
        trakt_app.extensions["miauflix.trakt"],
    )
    con = sqlite3.connect(settings.app_db_path)
    con.execute("UPDATE trakt_links SET token_expires_at = ?", (time.time() + 120,))
    con.commit()
    con.close()
    before = upstream.upstream.stats.snapshot()["requests"].get("trakt.token", 0)
    tokens: list[str | None] = []

    def use() -> None:
        db = AppDatabase(settings.app_db_path)
        tokens.append(access_token(db.connection(), keyring, tc, uid))
        db.close()

    threads = [threading.Thread(target=use) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert upstream.upstream.stats.snapshot()["requests"].get("trakt.token", 0) == before + 1
    live = {t for t, g in trakt.auth.access.items() if g.username == "racing-refresh"}
    assert len(tokens) == 4 and all(t in live for t in tokens)  # old one is still valid too


def test_linking_again_retires_the_old_tokens_at_trakt(
    trakt_app: Flask, user: dict[str, str], trakt: TraktRoutes
) -> None:
    client = trakt_app.test_client()
    link(client, user, trakt, "relinker")
    old = {t for t, g in trakt.auth.access.items() if g.username == "relinker"}
    _start(client, user)
    assert old and old <= trakt.auth.revoked
    assert _state(client, user)["state"] == "pending"
