"""app.sqlite: WAL, private file, numbered migrations applied once, user constraints."""

from __future__ import annotations

import sqlite3
import stat
import threading
from pathlib import Path

import pytest

from core.appdb import MIGRATIONS, AppDBError
from serve.appdb import AppDB, UserExists


@pytest.fixture
def db(tmp_path: Path) -> AppDB:
    database = AppDB(tmp_path / "app.sqlite")
    database.migrate()
    return database


def test_migrate_records_every_step_once_and_is_idempotent(db: AppDB) -> None:
    latest = MIGRATIONS[-1][0]
    assert db.migrate() == latest
    assert db.migrate() == latest
    rows = db.connection().execute("SELECT version FROM schema_version").fetchall()
    assert [row[0] for row in rows] == [step[0] for step in MIGRATIONS]


def test_concurrent_migrations_from_many_threads_apply_each_step_once(tmp_path: Path) -> None:
    path = tmp_path / "app.sqlite"
    errors: list[BaseException] = []

    def run() -> None:
        try:
            AppDB(path).migrate()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    con = sqlite3.connect(path)
    assert con.execute("SELECT COUNT(*) FROM schema_version").fetchone()[0] == len(MIGRATIONS)


def test_database_is_wal_and_private(db: AppDB) -> None:
    assert db.connection().execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert stat.S_IMODE(db.path.stat().st_mode) == 0o600


def test_emails_are_unique_case_insensitively(db: AppDB) -> None:
    db.create_user("Viewer@Example.test", "h")
    with pytest.raises(UserExists, match=r"viewer@example\.test"):
        db.create_user("viewer@example.TEST ", "h")
    found = db.user_by_email("  VIEWER@example.test")
    assert found is not None and found.email == "viewer@example.test"


def test_unknown_role_is_refused(db: AppDB) -> None:
    with pytest.raises(AppDBError, match="superuser"):
        db.create_user("x@example.test", "h", role="superuser")
    with pytest.raises(sqlite3.IntegrityError):
        db.connection().execute(
            "INSERT INTO users (email, password_hash, role, created_at)"
            " VALUES ('y', 'h', 'root', '')"
        )


def test_first_admin_is_created_only_when_no_admin_exists(db: AppDB) -> None:
    assert not db.has_admin()
    admin = db.create_admin_if_none("root@example.test", "h")
    assert admin is not None and admin.is_admin
    assert db.create_admin_if_none("other@example.test", "h") is None
    assert db.user_by_email("other@example.test") is None


def test_admin_email_of_a_plain_user_is_promoted_only_without_an_active_admin(
    db: AppDB,
) -> None:
    plain = db.create_user("root@example.test", "h")
    db.create_user("boss@example.test", "h", "admin")
    assert db.create_admin_if_none("root@example.test", "other-hash") is None
    assert not db.user_by_id(plain.id).is_admin  # type: ignore[union-attr]
    db.set_role(2, "user")
    promoted = db.create_admin_if_none("root@example.test", "other-hash")
    assert promoted is not None and promoted.id == plain.id and promoted.is_admin
    assert promoted.password_hash == "h"  # the recovery keeps the user's password


def test_disabling_an_unknown_user_is_an_error(db: AppDB) -> None:
    with pytest.raises(AppDBError, match="404"):
        db.set_disabled(404, True)


def test_lookups_of_hostile_values_find_nothing(db: AppDB) -> None:
    db.create_user("a@example.test", "h")
    for value in ("' OR '1'='1", "%", "a@example.test' --", "\x00", "é" * 500):
        assert db.user_by_email(value) is None
    assert db.user_by_id(-1) is None and db.user_by_id(2**62) is None
