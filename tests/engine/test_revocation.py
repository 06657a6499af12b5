"""Stream-key revocation against a real app.sqlite made by the API's own migrations."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.stream_keys import (
    StreamClaims,
    StreamKeyError,
    StreamKeyRevoked,
    StreamKeySigner,
    StreamUserDisabled,
    StreamUserUnknown,
)
from engine.errors import RevocationUnavailable
from engine.revocation import RevocationCheck
from serve.appdb import AppDB

MASTER = b"r" * 48


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def db(tmp_path: Path) -> Iterator[AppDB]:
    app_db = AppDB(tmp_path / "app.sqlite")
    app_db.migrate()
    yield app_db
    app_db.close()


@pytest.fixture
def user(db: AppDB) -> int:
    return db.create_user("viewer@example.test", "not-a-real-hash").id


def claims(user: str | int, issued_at: int) -> StreamClaims:
    return StreamClaims(str(user), "src", issued_at + 3600, "web", "stream", issued_at)


def uncached(db: AppDB) -> RevocationCheck:
    return RevocationCheck(db.path, cache_seconds=0)


def test_a_key_of_an_enabled_user_passes(db: AppDB, user: int) -> None:
    uncached(db).check(claims(user, 1_000))


def test_a_key_issued_before_or_in_the_second_of_a_revocation_is_refused(
    db: AppDB, user: int
) -> None:
    db.revoke_streams(user, 1_000.5)  # the API's own path (logout, password change, ...)
    check = uncached(db)
    for issued_at in (0, 999, 1_000, 1_001):  # 1_001: the stored value is rounded up
        with pytest.raises(StreamKeyRevoked) as info:
            check.check(claims(user, issued_at))
        assert (info.value.status, info.value.code) == (401, "stream_key_revoked")
    check.check(claims(user, 1_002))  # issued after the revocation


def test_the_revocation_is_compared_to_the_signed_issued_at(db: AppDB, user: int) -> None:
    """Through real keys: issued-at comes from the key's own claim."""
    clock = Clock(5_000)
    signer = StreamKeySigner(MASTER, 600, clock)
    before, _ = signer.issue(str(user), "src")
    db.revoke_streams(user, 5_000.2)
    clock.now = 5_002
    after, _ = signer.issue(str(user), "src")
    check = uncached(db)
    with pytest.raises(StreamKeyRevoked):
        check.check(signer.verify(before))
    check.check(signer.verify(after))


def test_a_disabled_user_is_refused_with_403(db: AppDB, user: int) -> None:
    db.set_disabled(user, True)
    with pytest.raises(StreamUserDisabled) as info:
        uncached(db).check(claims(user, 10**9))
    assert (info.value.status, info.value.code) == (403, "user_disabled")
    db.set_disabled(user, False)
    uncached(db).check(claims(user, 10**9))


def test_a_deleted_or_unknown_user_is_refused_with_403(db: AppDB, user: int) -> None:
    other = db.create_user("gone@example.test", "x").id
    db.delete_user(other)
    for who in (other, 999_999):
        with pytest.raises(StreamUserUnknown) as info:
            uncached(db).check(claims(who, 10**9))
        assert (info.value.status, info.value.code) == (403, "user_unknown")


@pytest.mark.parametrize(
    "who",
    [
        "",
        "alice",
        "0",
        "-1",
        "01",
        " 1",
        "1 ",
        "1.0",
        "1e3",
        "1 OR 1=1",
        "1;--",
        "9" * 30,
        "\uff11",
    ],
)
def test_user_ids_that_are_not_canonical_integers_are_unknown(
    db: AppDB, user: int, who: str
) -> None:
    assert user == 1  # so "01", " 1", "1.0"... would alias a real user if coerced
    with pytest.raises(StreamUserUnknown):
        uncached(db).check(claims(who, 10**9))


def test_lookups_are_cached_per_user_for_the_cache_window(db: AppDB, user: int) -> None:
    clock = Clock(100.0)
    check = RevocationCheck(db.path, cache_seconds=1.0, clock=clock)
    for _ in range(50):
        check.check(claims(user, 1_000))
    assert check.lookups == 1  # a player's range requests do not each query SQLite
    db.revoke_streams(user, 1_000)
    clock.now = 100.9
    check.check(claims(user, 1_000))  # still the cached row: at most the window late
    clock.now = 101.0
    with pytest.raises(StreamKeyRevoked):
        check.check(claims(user, 1_000))
    assert check.lookups == 2


def test_without_app_sqlite_every_key_is_refused(tmp_path: Path) -> None:
    missing = tmp_path / "app.sqlite"
    check = RevocationCheck(missing)
    with pytest.raises(RevocationUnavailable, match="does not exist"):
        check.check(claims(1, 1_000))
    assert not missing.exists()  # read-only: the engine never creates the API's database
    assert not isinstance(RevocationUnavailable("x"), StreamKeyError)  # a 503, not the key


@pytest.mark.parametrize(
    "setup",
    [
        "garbage",
        "CREATE TABLE other (id INTEGER)",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, disabled INTEGER)",  # before migration 2
        "CREATE TABLE users (id INTEGER PRIMARY KEY, disabled INTEGER, streams_revoked_at);"
        "INSERT INTO users VALUES (1, 0, 'soon')",
    ],
)
def test_an_unreadable_or_foreign_app_sqlite_refuses_with_a_clear_error(
    tmp_path: Path, setup: str
) -> None:
    path = tmp_path / "app.sqlite"
    if setup == "garbage":
        path.write_bytes(b"not a database at all" * 100)
    else:
        conn = sqlite3.connect(path)
        conn.executescript(setup)
        conn.close()
    with pytest.raises(RevocationUnavailable, match=str(path)):
        RevocationCheck(path, cache_seconds=0).check(claims(1, 1_000))


def test_the_check_never_writes_app_sqlite(db: AppDB, user: int) -> None:
    db.revoke_streams(user, 50)
    db.close()
    before = db.path.read_bytes()
    check = uncached(db)
    for issued_at in (10, 100):
        with contextlib.suppress(StreamKeyRevoked):
            check.check(claims(user, issued_at))
    assert db.path.read_bytes() == before
