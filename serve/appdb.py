"""The API's user queries on ``app.sqlite`` (schema, connections and the queries other
processes share: :mod:`core.appdb`)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from core.appdb import ROLES, AppDatabase, AppDBError, now_iso
from serve.emails import canonical_email


class UserExists(AppDBError):
    """A user with that email already exists."""


class LastAdmin(AppDBError):
    """The change would leave no active (enabled) admin."""


_ACTIVE_ADMIN = "role = 'admin' AND disabled = 0"


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
    """The stored / lookup form (:func:`serve.emails.canonical_email`)."""
    return canonical_email(email)


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

    def all_emails(self) -> list[str]:
        """Every account's email (a household's handful; look-alike checks)."""
        rows = self.connection().execute("SELECT email FROM users ORDER BY id").fetchall()
        return [str(row[0]) for row in rows]

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

    def upgrade_password_hash(self, user_id: int, old_hash: str, new_hash: str) -> bool:
        """Replace ``old_hash`` by a stronger hash of the same password (at sign-in); a
        concurrent password change wins. Not a password change: sessions stay."""
        cur = self.connection().execute(
            "UPDATE users SET password_hash = ? WHERE id = ? AND password_hash = ?",
            (new_hash, user_id, old_hash),
        )
        return cur.rowcount > 0

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

    def change_user(
        self,
        user_id: int,
        *,
        role: str | None = None,
        disabled: bool | None = None,
        delete: bool = False,
    ) -> None:
        """One admin action on ``user_id`` (new role, disabled flag, or deletion), refused
        with :class:`LastAdmin` when it would leave no active admin. The check and the
        write share one ``BEGIN IMMEDIATE`` transaction, so two admins demoting each other
        at once (two workers, two connections) leave one admin."""
        if role is not None and role not in ROLES:
            raise AppDBError(f"unknown role {role!r} for user {user_id}")
        con = self.connection()
        con.execute("BEGIN IMMEDIATE")
        try:
            row = con.execute(
                "SELECT role, disabled FROM users WHERE id = ?", (user_id,)
            ).fetchone()
            if row is None:
                raise AppDBError(f"no user with id {user_id}")
            active_admin = row["role"] == "admin" and not row["disabled"]
            stays_active_admin = (
                not delete
                and (role or row["role"]) == "admin"
                and not (row["disabled"] if disabled is None else disabled)
            )
            if active_admin and not stays_active_admin:
                others = con.execute(
                    f"SELECT COUNT(*) FROM users WHERE {_ACTIVE_ADMIN} AND id != ?", (user_id,)
                ).fetchone()[0]
                if not others:
                    raise LastAdmin(f"user {user_id} is the last active admin")
            if delete:
                con.execute("DELETE FROM users WHERE id = ?", (user_id,))
            else:
                con.execute(
                    "UPDATE users SET role = COALESCE(?, role), disabled = COALESCE(?, disabled)"
                    " WHERE id = ?",
                    (role, None if disabled is None else int(disabled), user_id),
                )
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise

    def ensure_active_admin(self, email: str, password_hash: str) -> tuple[User, str] | None:
        """When no active admin exists (first start, or every admin demoted, disabled or
        deleted): create ``email`` as admin (``"created"``), or give the existing user with
        that email the admin role back, enabled (``"restored"``; their password is kept).
        ``None`` when an active admin exists. Atomic across processes."""
        canonical = normalise_email(email)
        con = self._open()
        try:
            con.execute("BEGIN IMMEDIATE")
            try:
                if con.execute(f"SELECT 1 FROM users WHERE {_ACTIVE_ADMIN} LIMIT 1").fetchone():
                    con.execute("COMMIT")
                    return None
                restored = con.execute(
                    "UPDATE users SET role = 'admin', disabled = 0 WHERE email = ?", (canonical,)
                ).rowcount
                if not restored:
                    con.execute(
                        "INSERT INTO users (email, password_hash, role, created_at)"
                        " VALUES (?, ?, 'admin', ?)",
                        (canonical, password_hash, now_iso()),
                    )
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
            row = con.execute("SELECT * FROM users WHERE email = ?", (canonical,)).fetchone()
        finally:
            con.close()
        user = self._user(row)
        assert user is not None
        return user, "restored" if restored else "created"

    def create_admin_if_none(self, email: str, password_hash: str) -> User | None:
        """:meth:`ensure_active_admin` without the outcome: the admin, or ``None``."""
        ensured = self.ensure_active_admin(email, password_hash)
        return ensured[0] if ensured is not None else None

    def has_admin(self) -> bool:
        """Whether an active admin exists (dedicated connection: safe before a fork)."""
        con = self._open()
        try:
            row = con.execute(f"SELECT 1 FROM users WHERE {_ACTIVE_ADMIN} LIMIT 1").fetchone()
            return row is not None
        finally:
            con.close()
