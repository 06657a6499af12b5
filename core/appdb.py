"""``app.sqlite``: the schema (numbered migrations), connections, and the queries that
processes other than the API run on it.

The API (``serve/``) owns the file and writes it (WAL). Its tables are defined here, in
one place, because three processes rely on them: the engine reads ``users`` and
``sessions`` to refuse revoked stream keys (:func:`read_stream_state`), the retention flow
deletes old audit events and ended sessions (:func:`purge_ended`), and key rotation
re-seals ``user_secrets`` (:func:`reseal_user_secrets`). Each migration is a numbered list of
statements applied in one ``BEGIN IMMEDIATE`` transaction and recorded in
``schema_version``, so several gunicorn workers starting at once apply each step once.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from core.errors import MiauflixError

ROLES = ("user", "admin")

# (version, description, statements). Append only: never edit a released step.
MIGRATIONS: tuple[tuple[int, str, Sequence[str]], ...] = (
    (
        1,
        "users",
        (
            """CREATE TABLE users (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                email TEXT NOT NULL UNIQUE COLLATE NOCASE,
                password_hash TEXT NOT NULL,
                role TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
                disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
                created_at TEXT NOT NULL
            )""",
            "CREATE INDEX idx_users_role ON users (role)",
        ),
    ),
    (
        2,
        "sessions, refresh tokens, stream revocation, audit log, user secrets",
        (
            # Unix seconds; the engine rejects stream keys issued before this instant.
            "ALTER TABLE users ADD COLUMN streams_revoked_at INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE users ADD COLUMN password_changed_at TEXT",
            """CREATE TABLE sessions (
                id TEXT PRIMARY KEY,
                user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                refresh_hash TEXT NOT NULL UNIQUE,
                csrf_hash TEXT NOT NULL,
                generation INTEGER NOT NULL DEFAULT 0,
                device TEXT NOT NULL DEFAULT '',
                ip TEXT NOT NULL DEFAULT '',
                created_at TEXT NOT NULL,
                last_used_at TEXT NOT NULL,
                expires_at TEXT NOT NULL,
                revoked_at TEXT,
                revoked_reason TEXT
            )""",
            "CREATE INDEX idx_sessions_user ON sessions (user_id, created_at)",
            # Refresh tokens already rotated out: presenting one again is a reuse.
            """CREATE TABLE refresh_history (
                token_hash TEXT PRIMARY KEY,
                session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
                rotated_at TEXT NOT NULL
            )""",
            """CREATE TABLE audit_log (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                at TEXT NOT NULL,
                event TEXT NOT NULL,
                severity TEXT NOT NULL
                    CHECK (severity IN ('info', 'warning', 'critical')),
                user_id INTEGER,
                actor_id INTEGER,
                ip TEXT NOT NULL DEFAULT '',
                user_agent TEXT NOT NULL DEFAULT '',
                details TEXT NOT NULL DEFAULT '{}'
            )""",
            "CREATE INDEX idx_audit_at ON audit_log (at)",
            "CREATE INDEX idx_audit_event ON audit_log (event, at)",
            # Per-user secrets (Trakt tokens, ...): AES-GCM, aad "user_secrets.value:<user>:<name>".
            """CREATE TABLE user_secrets (
                user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                name TEXT NOT NULL,
                value_enc BLOB NOT NULL,
                updated_at TEXT NOT NULL,
                PRIMARY KEY (user_id, name)
            )""",
        ),
    ),
    (
        3,
        "watch progress",
        (
            # One row per user and title: a movie (season = episode = 0) or, later, an
            # episode of the show ``tmdb_id``. Seconds as REAL; timestamps ISO-8601 UTC
            # with microseconds so "newest first" is exact. watched_at: when the title last
            # reached the watched threshold (kept when a re-watch starts).
            """CREATE TABLE watch_progress (
                user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                kind TEXT NOT NULL CHECK (kind IN ('movie', 'episode')),
                tmdb_id INTEGER NOT NULL CHECK (tmdb_id > 0),
                season INTEGER NOT NULL DEFAULT 0 CHECK (season >= 0),
                episode INTEGER NOT NULL DEFAULT 0 CHECK (episode >= 0),
                position_s REAL NOT NULL CHECK (position_s >= 0),
                duration_s REAL NOT NULL CHECK (duration_s > 0),
                watched INTEGER NOT NULL DEFAULT 0 CHECK (watched IN (0, 1)),
                updated_at TEXT NOT NULL,
                watched_at TEXT,
                PRIMARY KEY (user_id, kind, tmdb_id, season, episode),
                CHECK (kind = 'episode' OR (season = 0 AND episode = 0)),
                CHECK (kind = 'movie' OR episode >= 1)
            )""",
            "CREATE INDEX idx_watch_progress_recent"
            " ON watch_progress (user_id, watched, updated_at DESC)",
        ),
    ),
    (
        4,
        "trakt links, watchlist, scrobble queue",
        (
            # One row per linked (or linking) user; tokens and the device code live sealed in
            # user_secrets (trakt.access_token, trakt.refresh_token, trakt.device_code).
            # Times are unix seconds. next_poll_at is claimed atomically (one poller).
            """CREATE TABLE trakt_links (
                user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
                state TEXT NOT NULL
                    CHECK (state IN ('pending', 'linked', 'denied', 'expired', 'failed')),
                user_code TEXT NOT NULL DEFAULT '',
                verification_url TEXT NOT NULL DEFAULT '',
                interval_s INTEGER NOT NULL DEFAULT 5 CHECK (interval_s >= 1),
                code_expires_at REAL NOT NULL DEFAULT 0,
                next_poll_at REAL NOT NULL DEFAULT 0,
                token_expires_at REAL NOT NULL DEFAULT 0,
                linked_at TEXT,
                synced_at TEXT,
                activities TEXT NOT NULL DEFAULT '{}',
                detail TEXT NOT NULL DEFAULT '',
                updated_at TEXT NOT NULL
            )""",
            """CREATE TABLE trakt_watchlist (
                user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                kind TEXT NOT NULL CHECK (kind IN ('movie', 'show')),
                tmdb_id INTEGER NOT NULL CHECK (tmdb_id > 0),
                rank INTEGER NOT NULL,
                listed_at TEXT NOT NULL,
                PRIMARY KEY (user_id, kind, tmdb_id)
            )""",
            # Durable scrobble queue: sent in id order per user; 'sent' rows are kept briefly.
            """CREATE TABLE trakt_scrobbles (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                kind TEXT NOT NULL CHECK (kind IN ('movie', 'episode')),
                tmdb_id INTEGER NOT NULL CHECK (tmdb_id > 0),
                season INTEGER NOT NULL DEFAULT 0,
                episode INTEGER NOT NULL DEFAULT 0,
                action TEXT NOT NULL CHECK (action IN ('start', 'pause', 'stop')),
                progress REAL NOT NULL CHECK (progress >= 0 AND progress <= 100),
                state TEXT NOT NULL DEFAULT 'queued'
                    CHECK (state IN ('queued', 'sent', 'dropped')),
                attempts INTEGER NOT NULL DEFAULT 0,
                next_attempt_at REAL NOT NULL DEFAULT 0,
                detail TEXT NOT NULL DEFAULT '',
                created_at TEXT NOT NULL
            )""",
            "CREATE INDEX idx_trakt_scrobbles_queue ON trakt_scrobbles (user_id, state, id)",
        ),
    ),
)


class AppDBError(MiauflixError):
    """app.sqlite could not be opened, migrated or written."""


class AppDBUnavailable(AppDBError):
    """app.sqlite does not exist or cannot be read (a read-only reader fails closed)."""


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def secret_aad(user_id: int, name: str) -> str:
    """Associated data binding a ``user_secrets`` value to its user and name."""
    return f"user_secrets.value:{user_id}:{name}"


class AppDatabase:
    """Thread-local read-write connections to ``app.sqlite`` and its migrations."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._local = threading.local()

    # --- connections ---------------------------------------------------------------------
    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self.path.exists():
            # Password hashes live here: create the file private before SQLite touches it.
            with contextlib.suppress(FileExistsError):
                os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        try:
            con = sqlite3.connect(self.path, isolation_level=None, timeout=10.0)
            con.row_factory = sqlite3.Row
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=NORMAL")
            con.execute("PRAGMA foreign_keys=ON")
            con.execute("PRAGMA busy_timeout=10000")
        except sqlite3.Error as exc:
            raise AppDBError(f"cannot open {self.path}: {exc}") from exc
        return con

    def connection(self) -> sqlite3.Connection:
        """This thread's connection (opened on first use)."""
        con: sqlite3.Connection | None = getattr(self._local, "con", None)
        if con is None:
            con = self._open()
            self._local.con = con
        return con

    def close(self) -> None:
        con: sqlite3.Connection | None = getattr(self._local, "con", None)
        if con is not None:
            con.close()
            self._local.con = None

    # --- migrations ----------------------------------------------------------------------
    def migrate(self) -> int:
        """Apply pending migrations on a dedicated connection; return the schema version."""
        con = self._open()
        try:
            con.execute(
                "CREATE TABLE IF NOT EXISTS schema_version ("
                " version INTEGER PRIMARY KEY, description TEXT NOT NULL,"
                " applied_at TEXT NOT NULL)"
            )
            for version, description, statements in MIGRATIONS:
                con.execute("BEGIN IMMEDIATE")
                try:
                    done = con.execute(
                        "SELECT 1 FROM schema_version WHERE version = ?", (version,)
                    ).fetchone()
                    if done is None:
                        for statement in statements:
                            con.execute(statement)
                        con.execute(
                            "INSERT INTO schema_version (version, description, applied_at)"
                            " VALUES (?, ?, ?)",
                            (version, description, now_iso()),
                        )
                    con.execute("COMMIT")
                except sqlite3.Error as exc:
                    con.execute("ROLLBACK")
                    raise AppDBError(
                        f"migration {version} ({description}) on {self.path} failed: {exc}"
                    ) from exc
            row = con.execute("SELECT MAX(version) FROM schema_version").fetchone()
            return int(row[0] or 0)
        finally:
            con.close()


# --- stream-key revocation (read by the engine) ------------------------------------------


@dataclass(frozen=True)
class StreamState:
    """What decides whether a user's stream keys still count."""

    disabled: bool
    streams_revoked_at: int  # unix seconds; keys issued at or before it are refused
    session_revoked: bool = False  # the key's sign-in session was revoked, or is gone


def read_stream_state(path: Path, user_id: int, session: str | None = None) -> StreamState | None:
    """The user's stream state from a strictly read-only connection; None if no such user.

    The API raises ``users.streams_revoked_at`` on logout, password change, disable,
    delete and role change. With ``session`` (the key's ``sid`` claim), ``session_revoked``
    says whether that session of this user was revoked (one device signed out, a
    refresh-token reuse) or no longer exists.
    """
    path = Path(path)
    if not path.is_file():
        raise AppDBUnavailable(
            f"{path} does not exist (the engine reads the API's users from it; start the "
            "API on the same MIAUFLIX_DATA_DIR)"
        )
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=2)
        try:
            row = conn.execute(
                "SELECT disabled, streams_revoked_at FROM users WHERE id = ?", (user_id,)
            ).fetchone()
            live = None
            if row is not None and session is not None:
                live = conn.execute(
                    "SELECT 1 FROM sessions WHERE id = ? AND user_id = ? AND revoked_at IS NULL",
                    (session, user_id),
                ).fetchone()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise AppDBUnavailable(f"reading users from {path} failed: {exc}") from exc
    if row is None:
        return None
    try:
        return StreamState(
            disabled=bool(row[0]),
            streams_revoked_at=int(row[1] or 0),
            session_revoked=session is not None and live is None,
        )
    except (TypeError, ValueError) as exc:
        raise AppDBUnavailable(
            f"user {user_id} in {path} has streams_revoked_at={row[1]!r}"
        ) from exc


# --- retention (the scheduled retention flow) --------------------------------------------


def purge_audit_events(con: sqlite3.Connection, older_than: datetime) -> int:
    """Delete audit events older than ``older_than``; returns how many."""
    cutoff = older_than.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return int(con.execute("DELETE FROM audit_log WHERE at < ?", (cutoff,)).rowcount)


def purge_ended_sessions(con: sqlite3.Connection, older_than: datetime) -> int:
    """Delete sessions that ended (revoked or expired) before ``older_than``."""
    cutoff = older_than.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    cur = con.execute(
        "DELETE FROM sessions WHERE expires_at < ? OR (revoked_at IS NOT NULL AND revoked_at < ?)",
        (cutoff, cutoff),
    )
    return int(cur.rowcount)


def purge_ended(path: Path, older_than: datetime) -> dict[str, int]:
    """Apply retention to ``path``: old audit events and ended sessions are deleted."""
    if not Path(path).exists():
        return {"audit_events": 0, "sessions": 0}
    db = AppDatabase(path)
    try:
        db.migrate()
        con = db.connection()
        return {
            "audit_events": purge_audit_events(con, older_than),
            "sessions": purge_ended_sessions(con, older_than),
        }
    finally:
        db.close()


# --- key rotation (``miauflix keys rotate``) ---------------------------------------------

RESEAL_BATCH = 500


class Resealer(Protocol):
    """Opens with any kept key (a ``Keyring``) and seals under the new one."""

    def decrypt(self, blob: bytes, aad: str) -> bytes: ...


class Sealer(Protocol):
    key_id: bytes

    def encrypt(self, plaintext: str | bytes, aad: str) -> bytes: ...


def reseal_user_secrets(path: Path, old: Resealer, new: Sealer) -> int:
    """Re-seal ``user_secrets`` under ``new`` in short transactions (WAL: readers go on)."""
    if not Path(path).exists():
        return 0
    con = sqlite3.connect(path, isolation_level=None, timeout=10.0)
    done = 0
    try:
        tables = {row[0] for row in con.execute("SELECT name FROM sqlite_master")}
        if "user_secrets" not in tables:
            return 0
        while True:
            rows = con.execute(
                "SELECT user_id, name, value_enc FROM user_secrets"
                " WHERE substr(value_enc, 3, 4) != ? LIMIT ?",
                (new.key_id, RESEAL_BATCH),
            ).fetchall()
            if not rows:
                break
            con.execute("BEGIN IMMEDIATE")
            for user_id, name, blob in rows:
                aad = secret_aad(user_id, name)
                con.execute(
                    "UPDATE user_secrets SET value_enc = ? WHERE user_id = ? AND name = ?",
                    (new.encrypt(old.decrypt(blob, aad), aad), user_id, name),
                )
            con.execute("COMMIT")
            done += len(rows)
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        con.close()
    return done
