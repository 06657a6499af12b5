"""Scheduled retention for ``app.sqlite``: delete audit events older than
``MIAUFLIX_AUDIT_RETENTION_DAYS`` and sessions that ended before that horizon.

Deployment: flow ``miauflix-audit-retention``, daily (e.g. cron ``17 3 * * *``). The
work is in :func:`purge_expired` (plain Python, testable without Prefect).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from prefect import flow, get_run_logger

from core.settings import Settings, load_settings
from serve import audit
from serve.appdb import AppDB
from serve.sessions import SessionStore


def purge_expired(settings: Settings, now: datetime | None = None) -> dict[str, int]:
    """Delete old audit events and ended sessions; returns the counts removed."""
    if not settings.app_db_path.exists():
        return {"audit_events": 0, "sessions": 0}
    moment = now or datetime.now(UTC)
    cutoff = moment - timedelta(days=settings.audit_retention_days)
    db = AppDB(settings.app_db_path)
    try:
        db.migrate()
        events = audit.purge(db, cutoff)
        store = SessionStore(db, timedelta(days=settings.refresh_token_days), 1)
        sessions = store.purge(cutoff)
    finally:
        db.close()
    return {"audit_events": events, "sessions": sessions}


@flow(name="miauflix-audit-retention", log_prints=True)
def audit_retention() -> dict[str, int]:
    """Apply the audit retention setting to app.sqlite."""
    settings = load_settings()
    removed = purge_expired(settings)
    get_run_logger().info(
        "audit retention (%d days): removed %d events, %d ended sessions",
        settings.audit_retention_days,
        removed["audit_events"],
        removed["sessions"],
    )
    return removed
