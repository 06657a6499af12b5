"""Scheduled retention for ``app.sqlite``: delete audit events older than
``MIAUFLIX_AUDIT_RETENTION_DAYS`` and sessions that ended before that horizon.

Deployment: flow ``miauflix-audit-retention``, daily (e.g. cron ``17 3 * * *``). The
work is in :func:`purge_expired` (plain Python, testable without Prefect).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from prefect import flow, get_run_logger

from core.appdb import purge_ended
from core.settings import Settings, load_settings


def purge_expired(settings: Settings, now: datetime | None = None) -> dict[str, int]:
    """Delete old audit events and ended sessions; returns the counts removed."""
    moment = now or datetime.now(UTC)
    return purge_ended(settings.app_db_path, moment - timedelta(days=settings.audit_retention_days))


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
