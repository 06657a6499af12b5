"""Stream-key revocation against a real app.sqlite made by the API's own migrations: users,
sessions, and a stream already being read over loopback that stops once its access ends."""

from __future__ import annotations

import contextlib
import random
import socket
import sqlite3
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from core.crypto import FieldCipher
from core.settings import Settings
from core.stream_keys import (
    StreamClaims,
    StreamKeyError,
    StreamKeyRevoked,
    StreamKeySigner,
    StreamUserDisabled,
    StreamUserUnknown,
)
from engine.errors import RevocationUnavailable
from engine.http_app import REVOCATION_RECHECK_S
from engine.revocation import CACHE_SECONDS, RevocationCheck
from sandbox.swarm import SeededTorrent, make_torrent
from serve.appdb import AppDB
from serve.sessions import RefreshReused, SessionStore
from tests.engine.conftest import (
    CatalogSource,
    Running,
    Swarm,
    start_engine,
    stop_engine,
    with_bt_port,
    write_catalog,
)

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


# --- keys bound to a sign-in session ------------------------------------------------------


def _session(db: AppDB, user: int) -> str:
    """A live sign-in session of ``user``, made by the API's own session store."""
    issued, _ = SessionStore(db, timedelta(days=1), 10).create(user, "test", "127.0.0.1")
    return issued.session.id


def session_claims(user: int, session: str | None, issued_at: int = 10**9) -> StreamClaims:
    return StreamClaims(str(user), "src", issued_at + 3600, "web", "stream", issued_at, session)


def test_a_key_of_a_revoked_session_is_refused_and_other_sessions_stream_on(
    db: AppDB, user: int
) -> None:
    phone, tv = _session(db, user), _session(db, user)
    check = uncached(db)
    check.check(session_claims(user, phone))
    SessionStore(db, timedelta(days=1), 10).revoke(phone, "revoked_by_user", user)
    with pytest.raises(StreamKeyRevoked, match="session was revoked") as info:
        check.check(session_claims(user, phone))
    assert (info.value.status, info.value.code) == (401, "stream_key_revoked")
    check.check(session_claims(user, tv))  # the same user's other device
    check.check(session_claims(user, None))  # keys without a session: the user rules only


def test_a_refresh_token_reuse_ends_the_session_s_stream_keys(db: AppDB, user: int) -> None:
    store = SessionStore(db, timedelta(days=1), 10)
    issued, _ = store.create(user, "tv", "127.0.0.1")
    store.rotate(issued.refresh_token, "127.0.0.1")
    with pytest.raises(RefreshReused):
        store.rotate(issued.refresh_token, "10.9.9.9")  # a stolen, already-rotated token
    with pytest.raises(StreamKeyRevoked):
        uncached(db).check(session_claims(user, issued.session.id))


@pytest.mark.parametrize(
    "session", ["", "0" * 32, "' OR '1'='1", "x" * 500, "\x00", "ses\u200bsion"]
)
def test_unknown_or_hostile_session_ids_are_revoked(db: AppDB, user: int, session: str) -> None:
    with pytest.raises(StreamKeyRevoked):
        uncached(db).check(session_claims(user, session))


def test_a_session_of_another_user_does_not_count(db: AppDB, user: int) -> None:
    other = db.create_user("other@example.test", "x").id
    theirs = _session(db, other)
    with pytest.raises(StreamKeyRevoked):
        uncached(db).check(session_claims(user, theirs))


def test_the_cache_keeps_sessions_apart(db: AppDB, user: int) -> None:
    clock = Clock(100.0)
    check = RevocationCheck(db.path, cache_seconds=1.0, clock=clock)
    live, doomed = _session(db, user), _session(db, user)
    SessionStore(db, timedelta(days=1), 10).revoke(doomed, "logout", user)
    check.check(session_claims(user, live))
    with pytest.raises(StreamKeyRevoked):
        check.check(session_claims(user, doomed))
    check.check(session_claims(user, live))
    assert check.lookups == 2


# --- a stream already being read, over loopback against a real engine ---------------------

_RCVBUF = 64 * 1024


def _open_stream(url: str) -> tuple[socket.socket, bytes]:
    """A raw HTTP/1.1 GET with a small receive buffer (the server cannot run far ahead of
    what the player reads); returns the socket and the first body bytes after the head."""
    parts = urlsplit(url)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _RCVBUF)
    sock.settimeout(30)
    sock.connect((parts.hostname or "127.0.0.1", parts.port or 80))
    sock.sendall(
        f"GET {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nConnection: close\r\n\r\n".encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(4096)
        assert chunk, head
        head += chunk
    status_line, _, rest = head.partition(b"\r\n\r\n")
    assert status_line.startswith(b"HTTP/1.1 200"), status_line
    return sock, rest


def _read_to_the_end(sock: socket.socket) -> tuple[int, bool]:
    """(bytes read until the server closed, whether it closed rather than reset)."""
    total = 0
    try:
        while chunk := sock.recv(65536):
            total += len(chunk)
    except ConnectionResetError:
        return total, False
    return total, True


@pytest.fixture
def big_film(
    settings: Settings, cipher: FieldCipher, swarm: Swarm, tmp_path: Path
) -> Iterator[tuple[Running, SeededTorrent]]:
    """A running engine whose one source is a 16 MiB film: larger than what loopback TCP
    buffers (a 4 MiB send buffer) can hold, so the engine cannot have sent it all ahead."""
    path = tmp_path / "revocation-film.mp4"
    path.write_bytes(random.Random(11).randbytes(16 * 2**20))
    torrent = make_torrent(path, trackers=[swarm.tracker.announce_url], piece_size=256 * 1024)
    swarm.seeder.seed(torrent)
    magnet = torrent.magnet([swarm.tracker.announce_url])
    write_catalog(
        settings.catalog_path,
        cipher,
        [CatalogSource("src-big", 103, torrent, torrent.info_hash, magnet=magnet)],
    )
    run = start_engine(with_bt_port(settings))
    yield run, torrent
    stop_engine(run)


@pytest.mark.parametrize("ending", ["session_revoked", "user_disabled", "user_deleted"])
def test_a_stream_being_read_stops_soon_after_its_access_ends(
    big_film: tuple[Running, SeededTorrent], ending: str
) -> None:
    running, film = big_film
    user = running.users["alice"]
    db = AppDB(running.settings.app_db_path)
    try:
        session = _session(db, user)
        key, _ = running.signer.issue(str(user), "src-big", session=session)
        sock, first = _open_stream(f"{running.server.url}/stream/{key}")
        with contextlib.closing(sock):
            while len(first) < 64 * 1024:  # playing
                first += sock.recv(65536)
            if ending == "session_revoked":
                SessionStore(db, timedelta(days=1), 10).revoke(session, "revoked_by_user", user)
            elif ending == "user_disabled":
                db.set_disabled(user, True)
            else:
                db.delete_user(user)
            # The player pauses for longer than the engine's revocation cache and re-check
            # interval, then reads as fast as it can: the engine must end the body.
            time.sleep(CACHE_SECONDS + REVOCATION_RECHECK_S + 0.5)
            rest, closed = _read_to_the_end(sock)
        assert closed
        assert len(first) + rest < film.size // 2, (len(first), rest, film.size)
    finally:
        db.close()


def test_a_stream_of_a_live_session_is_read_to_the_end(running: Running, swarm: Swarm) -> None:
    user = running.users["bob"]
    db = AppDB(running.settings.app_db_path)
    try:
        key, _ = running.signer.issue(str(user), "src-fast", session=_session(db, user))
    finally:
        db.close()
    sock, first = _open_stream(f"{running.server.url}/stream/{key}")
    with contextlib.closing(sock):
        body = first
        while chunk := sock.recv(65536):
            body += chunk
    assert body == swarm.faststart.path.read_bytes()
