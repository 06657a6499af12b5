"""The audit log: security events with a severity, written to ``app.sqlite``.

Every event records the client IP, user agent, the user concerned and the acting user.
Details are redacted before they are stored: keys that name a secret (password, token,
secret, cookie, authorization, csrf, magnet, info_hash, ...) are replaced by ``[redacted]``
and long strings are truncated, so the log never holds a credential.

401/403 answers are counted per client IP in a sliding window (per process); crossing
``BURST_THRESHOLD`` within ``BURST_WINDOW`` seconds writes one ``auth_failure_burst`` event.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import has_request_context, request

from core.appdb import purge_audit_events
from serve.appdb import AppDB
from serve.client import client_ip

log = logging.getLogger(__name__)

SEVERITIES = ("info", "warning", "critical")
EVENTS: dict[str, str] = {
    "login_success": "info",
    "login_failure": "warning",
    "refresh": "info",
    "refresh_reuse": "critical",
    "logout": "info",
    "logout_all": "info",
    "session_revoked": "info",
    "session_evicted": "info",
    "password_change": "info",
    "password_change_failure": "warning",
    "user_created": "info",
    "user_disabled": "warning",
    "user_enabled": "info",
    "user_deleted": "warning",
    "role_change": "warning",
    "admin_restored": "critical",  # no active admin: MIAUFLIX_ADMIN_EMAIL got the role back
    "auth_failure_burst": "warning",
    "rate_limited": "warning",
    "admin_read_audit": "info",
    "admin_read_config": "warning",
    "csrf_failure": "warning",
    "trakt_linked": "info",
    "trakt_unlinked": "info",
}
REDACTED = "[redacted]"
_SECRET_KEY = re.compile(
    r"pass|token|secret|cookie|authori[sz]ation|csrf|magnet|info_?hash|torrent|api_?key|"
    r"credential|session_key|signature",
    re.IGNORECASE,
)
_JWT_LIKE = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*")
_MAX_TEXT = 200
_MAX_DEPTH = 4

BURST_WINDOW = 60.0
BURST_THRESHOLD = 20


def redact(value: Any, depth: int = 0) -> Any:
    """A copy of ``value`` safe to store: secret-named keys masked, strings bounded."""
    if depth > _MAX_DEPTH:
        return REDACTED
    if isinstance(value, dict):
        return {
            str(key)[:64]: REDACTED if _SECRET_KEY.search(str(key)) else redact(item, depth + 1)
            for key, item in list(value.items())[:50]
        }
    if isinstance(value, (list, tuple)):
        return [redact(item, depth + 1) for item in list(value)[:50]]
    if isinstance(value, str):
        text = _JWT_LIKE.sub(REDACTED, value)
        return text if len(text) <= _MAX_TEXT else text[:_MAX_TEXT] + "…"
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return redact(str(value), depth + 1)


@dataclass(frozen=True)
class AuditEvent:
    id: int
    at: str
    event: str
    severity: str
    user_id: int | None
    actor_id: int | None
    ip: str
    user_agent: str
    details: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at,
            "event": self.event,
            "severity": self.severity,
            "user_id": self.user_id,
            "actor_id": self.actor_id,
            "ip": self.ip,
            "user_agent": self.user_agent,
            "details": self.details,
        }


def _request_origin() -> tuple[str, str]:
    if not has_request_context():
        return "", ""
    agent = request.headers.get("User-Agent", "")
    return client_ip(), agent[:_MAX_TEXT]


def record(
    db: AppDB,
    event: str,
    *,
    user_id: int | None = None,
    actor_id: int | None = None,
    severity: str | None = None,
    **details: Any,
) -> None:
    """Append one event (never raises: a failing audit write is logged, not fatal)."""
    level = severity or EVENTS.get(event, "info")
    if level not in SEVERITIES:
        level = "warning"
    ip, agent = _request_origin()
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    try:
        db.connection().execute(
            "INSERT INTO audit_log (at, event, severity, user_id, actor_id, ip, user_agent,"
            " details) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (stamp, event, level, user_id, actor_id, ip, agent, json.dumps(redact(details))),
        )
    except Exception:  # auditing must not break the request
        log.exception("cannot write audit event %s", event)
    if level == "critical":
        log.warning("audit: critical event %s (user %s, ip %s)", event, user_id, ip)


def query(
    db: AppDB,
    *,
    event: str | None = None,
    severity: str | None = None,
    user_id: int | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[AuditEvent], int]:
    """Events newest first with filters; returns (page, total matching)."""
    where: list[str] = []
    params: list[Any] = []
    for column, value in (("event", event), ("severity", severity), ("user_id", user_id)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    if since is not None:
        where.append("at >= ?")
        params.append(since)
    if until is not None:
        where.append("at < ?")
        params.append(until)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    con = db.connection()
    total = int(con.execute(f"SELECT COUNT(*) FROM audit_log {clause}", params).fetchone()[0])
    rows = con.execute(
        f"SELECT * FROM audit_log {clause} ORDER BY id DESC LIMIT ? OFFSET ?",
        [*params, limit, offset],
    ).fetchall()
    events = [
        AuditEvent(
            id=int(row["id"]),
            at=str(row["at"]),
            event=str(row["event"]),
            severity=str(row["severity"]),
            user_id=row["user_id"],
            actor_id=row["actor_id"],
            ip=str(row["ip"]),
            user_agent=str(row["user_agent"]),
            details=json.loads(row["details"]),
        )
        for row in rows
    ]
    return events, total


def purge(db: AppDB, older_than: datetime) -> int:
    """Delete events older than ``older_than``; returns how many."""
    return purge_audit_events(db.connection(), older_than)


class BurstDetector:
    """Counts auth failures per IP in a sliding window; reports the crossing once."""

    def __init__(self, threshold: int = BURST_THRESHOLD, window: float = BURST_WINDOW) -> None:
        self.threshold = threshold
        self.window = window
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, ip: str, now: float | None = None) -> bool:
        """Count one failure; True exactly when this one reaches the threshold."""
        moment = time.monotonic() if now is None else now
        with self._lock:
            if len(self._hits) > 10_000:  # bound memory under address spraying
                self._hits.clear()
            hits = self._hits.setdefault(ip, deque())
            while hits and hits[0] <= moment - self.window:
                hits.popleft()
            hits.append(moment)
            return len(hits) == self.threshold
