"""User accounts: first-admin bootstrap and credential checks (over :mod:`serve.appdb`)."""

from __future__ import annotations

import logging

from serve import audit
from serve.appdb import AppDB, User
from serve.errors import Forbidden, Unauthorized
from serve.passwords import (
    burn_verify,
    generate_password,
    hash_password,
    needs_rehash,
    verify_password,
)

log = logging.getLogger(__name__)


class InvalidCredentials(Unauthorized):
    """Unknown email or wrong password (one message for both)."""

    code = "invalid_credentials"

    def __init__(self) -> None:
        super().__init__("invalid email or password")


class AccountDisabled(Forbidden):
    code = "account_disabled"

    def __init__(self) -> None:
        super().__init__("this account is disabled")


def bootstrap_admin(db: AppDB, email: str, password: str = "") -> str | None:
    """Make sure an active admin exists: create ``email`` as the first admin, or, when
    every admin is gone (demoted, disabled, deleted), give the user ``email`` the admin
    role back (the recovery path: set ``MIAUFLIX_ADMIN_EMAIL`` and restart).

    Returns the generated password when ``password`` was empty and an admin was created
    (the caller prints it once), else ``None``.
    """
    if db.has_admin():
        return None
    generated = "" if password else generate_password()
    ensured = db.ensure_active_admin(email, hash_password(password or generated))
    if ensured is None:
        return None
    user, outcome = ensured
    if outcome == "restored":
        audit.record(db, "admin_restored", user_id=user.id, by="MIAUFLIX_ADMIN_EMAIL")
        log.warning(
            "no active admin: gave user %s (%s) the admin role back (MIAUFLIX_ADMIN_EMAIL);"
            " their password is unchanged",
            user.id,
            user.email,
        )
        return None
    return generated or None


def authenticate(db: AppDB, email: str, password: str) -> User:
    """The active user with these credentials; the KDF runs even for unknown emails. A
    hash below the current parameters (scrypt, older argon2id) is replaced by a fresh
    argon2id hash of the password that just verified."""
    user = db.user_by_email(email)
    if user is None:
        burn_verify(password)
        raise InvalidCredentials()
    if not verify_password(password, user.password_hash):
        raise InvalidCredentials()
    if user.disabled:
        raise AccountDisabled()
    if needs_rehash(user.password_hash):  # scrypt or weaker argon2id: upgrade it now
        db.upgrade_password_hash(user.id, user.password_hash, hash_password(password))
    return user
