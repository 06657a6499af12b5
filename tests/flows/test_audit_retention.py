"""The retention flow removes audit events and ended sessions past the horizon only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.settings import Settings
from flows.audit_retention import purge_expired
from serve import audit
from serve.appdb import AppDB
from serve.passwords import hash_password
from serve.sessions import SessionStore


def test_purge_keeps_recent_events_and_live_sessions(settings: Settings) -> None:
    db = AppDB(settings.app_db_path)
    db.migrate()
    user = db.create_user("u@example.test", hash_password("x", n=2, r=1, p=1))
    con = db.connection()
    con.execute(
        "INSERT INTO audit_log (at, event, severity) VALUES ('2001-01-01T00:00:00.000000Z',"
        " 'logout', 'info')"
    )
    audit.record(db, "logout", user_id=user.id)
    store = SessionStore(db, timedelta(days=30), 10)
    live, _ = store.create(user.id, "tv", "")
    dead, _ = store.create(user.id, "old", "")
    con.execute(
        "UPDATE sessions SET revoked_at = '2001-01-01T00:00:00Z' WHERE id = ?", (dead.session.id,)
    )
    assert purge_expired(settings) == {"audit_events": 1, "sessions": 1}
    assert audit.query(db)[1] == 1
    assert store.get(live.session.id) is not None and store.get(dead.session.id) is None
    # Far in the future everything has aged out.
    later = datetime.now(UTC) + timedelta(days=settings.audit_retention_days + 365)
    assert purge_expired(settings, later)["audit_events"] == 1


def test_purge_without_a_database_is_a_no_op(settings: Settings) -> None:
    assert purge_expired(settings) == {"audit_events": 0, "sessions": 0}
    assert not settings.app_db_path.exists()
