"""Login sessions and their rotating opaque refresh tokens (in ``app.sqlite``).

A session is one device's login. It holds the SHA-256 of its *current* refresh token
(tokens are 256 random bits, so an unkeyed hash suffices and survives key rotation), the
hash of its CSRF secret, the device label and last IP. Each refresh rotates the token: the
old hash moves to ``refresh_history``; presenting a rotated token again is a reuse, which
revokes the whole session (the caller writes the critical audit event).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from core.appdb import purge_ended_sessions
from serve.appdb import AppDB
from serve.errors import Unauthorized

MAX_DEVICE = 200
MAX_TOKEN = 256


class RefreshRejected(Unauthorized):
    """The refresh token is unknown, expired or revoked."""

    code = "invalid_refresh_token"


class RefreshReused(Unauthorized):
    """A rotated refresh token was presented again: the session has been revoked."""

    code = "refresh_token_reused"

    def __init__(self, session_id: str, user_id: int) -> None:
        super().__init__("this refresh token was already used; the session has been revoked")
        self.session_id = session_id
        self.user_id = user_id


@dataclass(frozen=True)
class Session:
    id: str
    user_id: int
    device: str
    ip: str
    created_at: str
    last_used_at: str
    expires_at: str
    revoked_at: str | None
    generation: int

    def public(self, current: str | None = None) -> dict[str, object]:
        return {
            "id": self.id,
            "device": self.device,
            "ip": self.ip,
            "created_at": self.created_at,
            "last_used_at": self.last_used_at,
            "expires_at": self.expires_at,
            "current": self.id == current,
        }


@dataclass(frozen=True)
class IssuedSession:
    """What a login or refresh hands out: the raw secrets exist only here."""

    session: Session
    refresh_token: str
    csrf_token: str


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _session(row: sqlite3.Row) -> Session:
    return Session(
        id=str(row["id"]),
        user_id=int(row["user_id"]),
        device=str(row["device"]),
        ip=str(row["ip"]),
        created_at=str(row["created_at"]),
        last_used_at=str(row["last_used_at"]),
        expires_at=str(row["expires_at"]),
        revoked_at=row["revoked_at"],
        generation=int(row["generation"]),
    )


class SessionStore:
    """Create, rotate, list and revoke sessions; ``cap`` sessions per user (oldest evicted)."""

    def __init__(self, db: AppDB, lifetime: timedelta, cap: int) -> None:
        self.db = db
        self.lifetime = lifetime
        self.cap = cap

    def _now(self) -> datetime:
        return datetime.now(UTC)

    def create(self, user_id: int, device: str, ip: str) -> tuple[IssuedSession, list[str]]:
        """A new session; returns it and the ids of sessions evicted by the cap."""
        refresh, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        session_id = secrets.token_hex(16)
        now = self._now()
        con = self.db.connection()
        con.execute("BEGIN IMMEDIATE")
        try:
            con.execute(
                "INSERT INTO sessions (id, user_id, refresh_hash, csrf_hash, device, ip,"
                " created_at, last_used_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    session_id,
                    user_id,
                    token_hash(refresh),
                    token_hash(csrf),
                    device[:MAX_DEVICE],
                    ip[:64],
                    _iso(now),
                    _iso(now),
                    _iso(now + self.lifetime),
                ),
            )
            live = con.execute(
                "SELECT id FROM sessions WHERE user_id = ? AND revoked_at IS NULL"
                " ORDER BY created_at DESC, rowid DESC",
                (user_id,),
            ).fetchall()
            evicted = [str(row[0]) for row in live[self.cap :]]
            for old in evicted:
                con.execute(
                    "UPDATE sessions SET revoked_at = ?, revoked_reason = 'evicted' WHERE id = ?",
                    (_iso(now), old),
                )
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        row = con.execute("SELECT * FROM sessions WHERE id = ?", (session_id,)).fetchone()
        return IssuedSession(_session(row), refresh, csrf), evicted

    def rotate(self, refresh_token: str, ip: str) -> IssuedSession:
        """Exchange a current refresh token for a new one (same session, same CSRF secret)."""
        if not refresh_token or len(refresh_token) > MAX_TOKEN:
            raise RefreshRejected("a refresh token is required")
        presented = token_hash(refresh_token)
        now = self._now()
        con = self.db.connection()
        con.execute("BEGIN IMMEDIATE")
        try:
            row = con.execute(
                "SELECT * FROM sessions WHERE refresh_hash = ?", (presented,)
            ).fetchone()
            if row is None:
                reused = con.execute(
                    "SELECT s.id, s.user_id FROM refresh_history h"
                    " JOIN sessions s ON s.id = h.session_id WHERE h.token_hash = ?",
                    (presented,),
                ).fetchone()
                if reused is not None:
                    con.execute(
                        "UPDATE sessions SET revoked_at = COALESCE(revoked_at, ?),"
                        " revoked_reason = COALESCE(revoked_reason, 'refresh_reuse')"
                        " WHERE id = ?",
                        (_iso(now), reused["id"]),
                    )
                    con.execute("COMMIT")
                    raise RefreshReused(str(reused["id"]), int(reused["user_id"]))
                con.execute("COMMIT")
                raise RefreshRejected("unknown refresh token")
            session = _session(row)
            if session.revoked_at is not None:
                con.execute("COMMIT")
                raise RefreshRejected(f"session {session.id[:8]}… has been revoked")
            if session.expires_at <= _iso(now):
                con.execute("COMMIT")
                raise RefreshRejected(f"session {session.id[:8]}… has expired; log in again")
            fresh = secrets.token_urlsafe(32)
            con.execute(
                "INSERT INTO refresh_history (token_hash, session_id, rotated_at) VALUES (?, ?, ?)",
                (presented, session.id, _iso(now)),
            )
            con.execute(
                "UPDATE sessions SET refresh_hash = ?, generation = generation + 1,"
                " last_used_at = ?, ip = ? WHERE id = ?",
                (token_hash(fresh), _iso(now), ip[:64], session.id),
            )
            con.execute("COMMIT")
        except (RefreshRejected, RefreshReused):
            raise
        except BaseException:
            if con.in_transaction:
                con.execute("ROLLBACK")
            raise
        updated = con.execute("SELECT * FROM sessions WHERE id = ?", (session.id,)).fetchone()
        # The CSRF secret is not recoverable from its hash: the client keeps its cookie.
        return IssuedSession(_session(updated), fresh, "")

    def get(self, session_id: str) -> Session | None:
        row = (
            self.db.connection()
            .execute("SELECT * FROM sessions WHERE id = ?", (session_id,))
            .fetchone()
        )
        return _session(row) if row is not None else None

    def csrf_matches(self, session_id: str, csrf_token: str) -> bool:
        row = (
            self.db.connection()
            .execute("SELECT csrf_hash FROM sessions WHERE id = ?", (session_id,))
            .fetchone()
        )
        if row is None or not csrf_token or len(csrf_token) > MAX_TOKEN:
            return False
        return hmac.compare_digest(str(row[0]), token_hash(csrf_token))

    def session_for_refresh(self, refresh_token: str) -> Session | None:
        if not refresh_token or len(refresh_token) > MAX_TOKEN:
            return None
        row = (
            self.db.connection()
            .execute("SELECT * FROM sessions WHERE refresh_hash = ?", (token_hash(refresh_token),))
            .fetchone()
        )
        return _session(row) if row is not None else None

    def list_active(self, user_id: int) -> list[Session]:
        rows = (
            self.db.connection()
            .execute(
                "SELECT * FROM sessions WHERE user_id = ? AND revoked_at IS NULL"
                " AND expires_at > ? ORDER BY last_used_at DESC, id",
                (user_id, _iso(self._now())),
            )
            .fetchall()
        )
        return [_session(row) for row in rows]

    def revoke(self, session_id: str, reason: str, user_id: int | None = None) -> bool:
        """Revoke one session (only ``user_id``'s when given); True when one was live."""
        sql = (
            "UPDATE sessions SET revoked_at = ?, revoked_reason = ?"
            " WHERE id = ? AND revoked_at IS NULL"
        )
        params: tuple[object, ...] = (_iso(self._now()), reason, session_id)
        if user_id is not None:
            sql += " AND user_id = ?"
            params = (*params, user_id)
        return self.db.connection().execute(sql, params).rowcount > 0

    def revoke_all(self, user_id: int, reason: str) -> int:
        cur = self.db.connection().execute(
            "UPDATE sessions SET revoked_at = ?, revoked_reason = ?"
            " WHERE user_id = ? AND revoked_at IS NULL",
            (_iso(self._now()), reason, user_id),
        )
        return int(cur.rowcount)

    def purge(self, older_than: datetime) -> int:
        """Delete sessions that ended (revoked or expired) before ``older_than``."""
        return purge_ended_sessions(self.db.connection(), older_than)
