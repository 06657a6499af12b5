"""The API's user queries on ``app.sqlite`` (schema, connections and the queries other
processes share: :mod:`core.appdb`)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from core.appdb import ROLES, AppDatabase, AppDBError, now_iso


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


def normalise_email(email: str) -> str:
    return email.strip().lower()


class AppDB(AppDatabase):
    """Connections and migrations of :class:`core.appdb.AppDatabase` plus the user queries."""

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
                (normalise_email(email), password_hash, role, now_iso()),
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
            (password_hash, now_iso(), user_id),
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
                    (normalise_email(email), password_hash, now_iso()),
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
