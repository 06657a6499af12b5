"""``miauflix admin reset-password EMAIL``: the operator sets a user's password.

The password is asked twice without echo on a terminal, or read from the first line of
standard input otherwise (``printf '%s\\n' "$PW" | miauflix admin reset-password EMAIL``).
It goes through the API's own policy and hashing (:mod:`serve.passwords`); every session
of the user is revoked, stream URLs already issued stop working, and the audit log
records the reset (never the password).
"""

from __future__ import annotations

import getpass
import sys
import time
from datetime import timedelta
from typing import TextIO

from core.errors import MiauflixError
from core.settings import Settings
from serve import audit
from serve.appdb import AppDB
from serve.passwords import WeakPassword, check_password_policy, hash_password
from serve.sessions import SessionStore


class AdminError(MiauflixError):
    """An admin command could not do what was asked."""


def read_new_password(stdin: TextIO | None = None) -> str:
    """Twice without echo on a terminal; else the first line of ``stdin``."""
    stream = stdin or sys.stdin
    if stream.isatty():
        first = getpass.getpass("New password: ")
        if getpass.getpass("Repeat it: ") != first:
            raise AdminError("the two passwords differ; nothing changed")
        return first
    line = stream.readline()
    password = line[:-1] if line.endswith("\n") else line
    if password.endswith("\r"):
        password = password[:-1]
    if not password:
        raise AdminError("no password on standard input; nothing changed")
    return password


def reset_password(settings: Settings, email: str, password: str) -> int:
    """Set ``email``'s password, revoke their sessions and streams; return sessions revoked."""
    if not settings.app_db_path.is_file():
        raise AdminError(f"{settings.app_db_path} does not exist: start the API once first")
    db = AppDB(settings.app_db_path)
    try:
        db.migrate()
        user = db.user_by_email(email)
        if user is None:
            raise AdminError(f"no user with the email {email!r}")
        try:
            check_password_policy(password, settings.password_min_length, user.email)
        except WeakPassword as exc:
            raise AdminError(f"{exc}; nothing changed") from exc
        db.set_password_hash(user.id, hash_password(password))
        store = SessionStore(
            db, timedelta(days=settings.refresh_token_days), settings.sessions_per_user
        )
        revoked = store.revoke_all(user.id, "password_reset")
        db.revoke_streams(user.id, time.time())
        audit.record(
            db, "password_reset", user_id=user.id, severity="warning",
            by="miauflix admin reset-password", sessions_revoked=revoked,
        )  # fmt: skip
        return revoked
    finally:
        db.close()
