"""The audit log: events with severity, IP and user agent; secrets redacted; 401 bursts and
rate-limit hits recorded; the admin endpoint filters and pages; retention purges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient

from core.settings import Settings
from serve import audit, security
from serve.appdb import AppDB
from serve.extensions import app_db
from tests.serve.conftest import assert_error, login


def _events(app: Flask, **filters: object) -> list[audit.AuditEvent]:
    with app.app_context():
        return audit.query(app_db(), **filters)[0]  # type: ignore[arg-type]


def test_login_success_and_failure_are_recorded_with_ip_and_agent(
    app: Flask, client: FlaskClient, settings: Settings
) -> None:
    password = settings.admin_password.get_secret_value()
    client.post(
        "/api/auth/login",
        json={"email": settings.admin_email, "password": "wrong-password"},
        headers={"User-Agent": "TizenBrowser/5"},
    )
    login(client, settings.admin_email, password)
    failure = _events(app, event="login_failure")[0]
    assert failure.severity == "warning" and failure.user_id == 1
    assert failure.ip == "127.0.0.1" and failure.user_agent == "TizenBrowser/5"
    assert failure.details["reason"] == "invalid_credentials"
    assert _events(app, event="login_success")[0].user_id == 1
    dump = (settings.app_db_path.read_bytes(), str(_events(app)))
    assert "wrong-password" not in str(dump) and password not in str(dump)


def test_redaction_masks_secret_named_fields_and_jwts() -> None:
    jwt_like = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlLXNpZ24"
    cleaned = audit.redact(
        {
            "password": "p",
            "refresh_token": "r",
            "nested": {"Authorization": "Bearer x", "magnet": "magnet:?xt"},
            "note": f"header was {jwt_like}",
            "long": "z" * 5000,
            "n": 3,
        }
    )
    assert cleaned["password"] == cleaned["refresh_token"] == audit.REDACTED
    assert cleaned["nested"] == {"Authorization": audit.REDACTED, "magnet": audit.REDACTED}
    assert jwt_like not in cleaned["note"] and audit.REDACTED in cleaned["note"]
    assert len(cleaned["long"]) < 300 and cleaned["n"] == 3
    deep: dict[str, object] = {}
    cursor = deep
    for _ in range(50):
        cursor["k"] = {}
        cursor = cursor["k"]  # type: ignore[assignment]
    assert "k" in str(audit.redact(deep))  # bounded depth, no recursion error


def test_a_burst_of_401s_from_one_address_is_recorded_once(app: Flask, client: FlaskClient) -> None:
    security.policy(app).bursts = audit.BurstDetector(threshold=5, window=60)
    for _ in range(12):
        assert_error(client.get("/api/auth/me", headers={"Authorization": "Bearer junk"}), 401)
    bursts = _events(app, event="auth_failure_burst")
    assert len(bursts) == 1 and bursts[0].ip == "127.0.0.1"


def test_burst_detector_window_slides() -> None:
    detector = audit.BurstDetector(threshold=3, window=10)
    assert [detector.hit("a", t) for t in (0, 1, 2)] == [False, False, True]
    assert detector.hit("a", 3) is False  # already reported in this window
    assert [detector.hit("b", t) for t in (0, 20, 40)] == [False, False, False]


def test_rate_limit_hits_are_recorded(app: Flask, client: FlaskClient, settings: Settings) -> None:
    for _ in range(14):  # 4 limited answers, one event
        login(client, settings.admin_email, "nope-nope")
    limited = _events(app, event="rate_limited")
    assert len(limited) == 1 and limited[0].details["path"] == "/api/auth/login"


def test_admin_reads_the_log_with_filters_and_paging(
    app: Flask, client: FlaskClient, auth: dict[str, str], settings: Settings
) -> None:
    for _ in range(3):
        login(client, settings.admin_email, "nope-nope")
    page = client.get("/api/admin/audit?event=login_failure&per_page=2", headers=auth).get_json()
    assert page["total_results"] == 3 and len(page["results"]) == 2
    second = client.get(
        "/api/admin/audit?event=login_failure&per_page=2&page=2", headers=auth
    ).get_json()
    assert len(second["results"]) == 1
    ids = [e["id"] for e in page["results"] + second["results"]]
    assert ids == sorted(ids, reverse=True)
    warnings = client.get("/api/admin/audit?severity=warning", headers=auth).get_json()
    assert {e["severity"] for e in warnings["results"]} == {"warning"}
    future = client.get("/api/admin/audit?since=2999-01-01", headers=auth).get_json()
    assert future["total_results"] == 0
    for bad in ("event=nope", "severity=loud", "since=yesterday", "user_id=-1",
                "per_page=100000", "since=2024-01-01'%20OR%201=1"):  # fmt: skip
        assert_error(client.get(f"/api/admin/audit?{bad}", headers=auth), 400)


def test_purge_deletes_only_events_older_than_the_cutoff(app: Flask) -> None:
    with app.app_context():
        db: AppDB = app_db()
        audit.record(db, "logout", user_id=1)
        db.connection().execute(
            "INSERT INTO audit_log (at, event, severity) VALUES ('2000-01-01T00:00:00.0Z',"
            " 'logout', 'info')"
        )
        removed = audit.purge(db, datetime.now(UTC) - timedelta(days=1))
        assert removed == 1
        assert audit.query(db)[1] == 1
