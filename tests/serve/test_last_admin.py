"""The last active admin stays, also under concurrency: two admins demoting, disabling or
deleting each other at the same instant through two app instances (two gunicorn workers:
two connections to one real app.sqlite) leave exactly one admin. And when no active admin
exists anyway, restarting with ``MIAUFLIX_ADMIN_EMAIL`` gives that user the role back."""

from __future__ import annotations

import shutil
import threading
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from core.settings import Settings, load_settings
from serve import audit
from serve.app import create_app
from serve.appdb import AppDB, LastAdmin
from serve.extensions import app_db
from serve.tokens import issue_access_token
from serve.users import bootstrap_admin

ROUNDS = 25
SECOND = "second@example.test"


def _token(app: Flask, user_id: int) -> dict[str, str]:
    with app.test_request_context():
        user = app_db().user_by_id(user_id)
        assert user is not None
        return {"Authorization": f"Bearer {issue_access_token(user, 15)['access_token']}"}


def _workers(settings: Settings, template: Path, round_: int) -> tuple[Flask, Flask, int]:
    """Two app instances (two workers) on a fresh data dir whose app.sqlite holds admins
    1 and a second one (returned)."""
    data_dir = settings.data_dir / f"round-{round_}"
    data_dir.mkdir()
    configured = load_settings(**{**settings.model_dump(), "data_dir": data_dir})
    shutil.copyfile(template, configured.app_db_path)
    db = AppDB(configured.app_db_path)
    other = db.create_user(SECOND, "unused-hash", "admin").id
    db.close()
    first, second = create_app(configured), create_app(configured)
    for app in (first, second):
        app.config["RATELIMIT_ENABLED"] = False
    return first, second, other


def _at_once(calls: list[Any]) -> list[int]:
    """Run the calls in threads released together; their HTTP statuses."""
    barrier = threading.Barrier(len(calls))
    statuses: list[int] = [0] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        statuses[index] = calls[index]().status_code

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return statuses


@pytest.mark.parametrize(
    ("method", "body"),
    [("PATCH", {"role": "user"}), ("PATCH", {"disabled": True}), ("DELETE", None)],
)
def test_two_admins_removing_each_other_at_once_leave_one(
    settings: Settings, app_db_template: Path, method: str, body: dict[str, Any] | None
) -> None:
    for round_ in range(ROUNDS):
        first, second, other = _workers(settings, app_db_template, round_)
        one, two = first.test_client(), second.test_client()
        as_first, as_second = _token(first, 1), _token(second, other)
        statuses = _at_once(
            [
                partial(
                    one.open,
                    f"/api/admin/users/{other}",
                    method=method,
                    json=body,
                    headers=as_first,
                ),
                partial(
                    two.open, "/api/admin/users/1", method=method, json=body, headers=as_second
                ),
            ]
        )
        with first.app_context():
            assert app_db().count_active_admins() == 1, (round_, statuses)
        # One wins; the other is refused: the last admin (409), or its own token no longer
        # counts because the winner already removed it (401).
        assert sorted(statuses)[0] == 200 and sorted(statuses)[1] in (401, 409), statuses


def test_the_last_admin_cannot_be_removed_directly(db_path: Path) -> None:
    db = AppDB(db_path)
    db.migrate()
    admin = db.create_user("root@example.test", "h", "admin")
    plain = db.create_user("plain@example.test", "h")
    for change in ({"role": "user"}, {"disabled": True}, {"delete": True}):
        with pytest.raises(LastAdmin):
            db.change_user(admin.id, **change)  # type: ignore[arg-type]
    db.change_user(plain.id, disabled=True)
    db.change_user(plain.id, delete=True)
    assert db.count_active_admins() == 1


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "app.sqlite"


def test_with_no_active_admin_the_configured_email_gets_the_role_back(
    settings: Settings, db_path: Path
) -> None:
    db = AppDB(db_path)
    db.migrate()
    assert bootstrap_admin(db, "root@example.test", "correct horse battery staple") is None
    root = db.user_by_email("root@example.test")
    assert root is not None and root.is_admin
    db.set_role(root.id, "user")  # what a hand edit or an old race could leave
    db.set_disabled(root.id, True)
    assert not db.has_admin()
    assert bootstrap_admin(db, "ROOT@example.test") is None  # no new password to print
    restored = db.user_by_email("root@example.test")
    assert restored is not None and restored.is_admin and not restored.disabled
    assert restored.password_hash == root.password_hash
    assert db.count_users() == 1
    events, _ = audit.query(db, event="admin_restored")
    assert [(event.user_id, event.severity) for event in events] == [(root.id, "critical")]


def test_a_disabled_only_admin_does_not_block_recovery(db_path: Path) -> None:
    db = AppDB(db_path)
    db.migrate()
    old = db.create_user("old@example.test", "h", "admin")
    db.set_disabled(old.id, True)
    generated = bootstrap_admin(db, "new@example.test")
    assert generated  # a new admin, its password printed once
    new = db.user_by_email("new@example.test")
    assert new is not None and new.is_admin
    assert bootstrap_admin(db, "third@example.test") is None
    assert db.user_by_email("third@example.test") is None


def test_serve_starts_after_every_admin_was_demoted(settings: Settings) -> None:
    create_app(settings)
    db = AppDB(settings.app_db_path)
    admin = db.user_by_email(settings.admin_email)
    assert admin is not None
    db.set_role(admin.id, "user")
    db.close()
    app = create_app(settings)  # used to raise UserExists: the email belonged to a non-admin
    with app.app_context():
        again = app_db().user_by_email(settings.admin_email)
        assert again is not None and again.is_admin
