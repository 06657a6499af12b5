"""``app.sqlite``: the API's own read-write database (WAL), with numbered migrations.

Serve owns this file (users now; refresh tokens, stream keys, progress and the audit log
arrive as further migrations). Each migration is a numbered list of statements applied
in one ``BEGIN IMMEDIATE`` transaction and recorded in ``schema_version``, so several
gunicorn workers starting at once apply each step exactly once.
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
)


class AppDBError(MiauflixError):
    """app.sqlite could not be opened, migrated or written."""


class UserExists(AppDBError):
    """A user with that email already exists."""


@dataclass(frozen=True)
class User:
    id: int
    email: str
    password_hash: str
    role: str
    disabled: bool
    created_at: str
    streams_revoked_at: int = 0

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def normalise_email(email: str) -> str:
    return email.strip().lower()


class AppDB:
    """Thread-local connections to ``app.sqlite`` plus the user queries."""

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
                            (version, description, _now()),
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

    # --- users ---------------------------------------------------------------------------
    @staticmethod
    def _user(row: sqlite3.Row | None) -> User | None:
        if row is None:
            return None
        return User(
            id=int(row["id"]),
            email=str(row["email"]),
            password_hash=str(row["password_hash"]),
            role=str(row["role"]),
            disabled=bool(row["disabled"]),
            created_at=str(row["created_at"]),
            streams_revoked_at=int(row["streams_revoked_at"]),
        )

    def user_by_email(self, email: str) -> User | None:
        row = (
            self.connection()
            .execute("SELECT * FROM users WHERE email = ?", (normalise_email(email),))
            .fetchone()
        )
        return self._user(row)

    def user_by_id(self, user_id: int) -> User | None:
        row = self.connection().execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone()
        return self._user(row)

    def create_user(self, email: str, password_hash: str, role: str = "user") -> User:
        if role not in ROLES:
            raise AppDBError(f"unknown role {role!r} for {email!r}")
        try:
            cur = self.connection().execute(
                "INSERT INTO users (email, password_hash, role, created_at) VALUES (?, ?, ?, ?)",
                (normalise_email(email), password_hash, role, _now()),
            )
        except sqlite3.IntegrityError as exc:
            raise UserExists(f"user {normalise_email(email)!r} already exists") from exc
        user = self.user_by_id(int(cur.lastrowid or 0))
        assert user is not None
        return user

    def set_disabled(self, user_id: int, disabled: bool) -> None:
        cur = self.connection().execute(
            "UPDATE users SET disabled = ? WHERE id = ?", (int(disabled), user_id)
        )
        if cur.rowcount == 0:
            raise AppDBError(f"no user with id {user_id}")

    def list_users(self, limit: int = 100, offset: int = 0) -> list[User]:
        rows = (
            self.connection()
            .execute("SELECT * FROM users ORDER BY id LIMIT ? OFFSET ?", (limit, offset))
            .fetchall()
        )
        return [user for user in map(self._user, rows) if user is not None]

    def count_users(self) -> int:
        return int(self.connection().execute("SELECT COUNT(*) FROM users").fetchone()[0])

    def count_active_admins(self) -> int:
        row = (
            self.connection()
            .execute("SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled = 0")
            .fetchone()
        )
        return int(row[0])

    def set_role(self, user_id: int, role: str) -> None:
        if role not in ROLES:
            raise AppDBError(f"unknown role {role!r} for user {user_id}")
        cur = self.connection().execute("UPDATE users SET role = ? WHERE id = ?", (role, user_id))
        if cur.rowcount == 0:
            raise AppDBError(f"no user with id {user_id}")

    def set_password_hash(self, user_id: int, password_hash: str) -> None:
        cur = self.connection().execute(
            "UPDATE users SET password_hash = ?, password_changed_at = ? WHERE id = ?",
            (password_hash, _now(), user_id),
        )
        if cur.rowcount == 0:
            raise AppDBError(f"no user with id {user_id}")

    def revoke_streams(self, user_id: int, at: float) -> None:
        """Stream keys of ``user_id`` issued before ``at`` (unix s, rounded up) stop working."""
        self.connection().execute(
            "UPDATE users SET streams_revoked_at = MAX(streams_revoked_at, ?) WHERE id = ?",
            (int(at) + 1, user_id),
        )

    def delete_user(self, user_id: int) -> None:
        cur = self.connection().execute("DELETE FROM users WHERE id = ?", (user_id,))
        if cur.rowcount == 0:
            raise AppDBError(f"no user with id {user_id}")

    def create_admin_if_none(self, email: str, password_hash: str) -> User | None:
        """Create the first admin unless an admin exists (atomic across processes)."""
        con = self._open()
        try:
            con.execute("BEGIN IMMEDIATE")
            try:
                if con.execute("SELECT 1 FROM users WHERE role = 'admin' LIMIT 1").fetchone():
                    con.execute("COMMIT")
                    return None
                con.execute(
                    "INSERT INTO users (email, password_hash, role, created_at)"
                    " VALUES (?, ?, 'admin', ?)",
                    (normalise_email(email), password_hash, _now()),
                )
                con.execute("COMMIT")
            except sqlite3.IntegrityError as exc:
                con.execute("ROLLBACK")
                raise UserExists(
                    f"cannot create admin {normalise_email(email)!r}: a non-admin user "
                    "with that email exists"
                ) from exc
            row = con.execute(
                "SELECT * FROM users WHERE email = ?", (normalise_email(email),)
            ).fetchone()
        finally:
            con.close()
        return self._user(row)

    def has_admin(self) -> bool:
        """Whether an admin exists (dedicated connection: safe before a fork)."""
        con = self._open()
        try:
            return bool(con.execute("SELECT 1 FROM users WHERE role = 'admin' LIMIT 1").fetchone())
        finally:
            con.close()
