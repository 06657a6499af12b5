"""User accounts: first-admin bootstrap and credential checks (over :mod:`serve.appdb`)."""

from __future__ import annotations

from serve.appdb import AppDB, User
from serve.errors import Forbidden, Unauthorized
from serve.passwords import burn_verify, generate_password, hash_password, verify_password


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
    """Create the first admin when no admin exists.

    Returns the generated password when ``password`` was empty and an admin was created
    (the caller prints it once), else ``None``.
    """
    if db.has_admin():
        return None
    generated = "" if password else generate_password()
    created = db.create_admin_if_none(email, hash_password(password or generated))
    return generated if created is not None and generated else None


def authenticate(db: AppDB, email: str, password: str) -> User:
    """The active user with these credentials; the KDF runs even for unknown emails."""
    user = db.user_by_email(email)
    if user is None:
        burn_verify(password)
        raise InvalidCredentials()
    if not verify_password(password, user.password_hash):
        raise InvalidCredentials()
    if user.disabled:
        raise AccountDisabled()
    return user
