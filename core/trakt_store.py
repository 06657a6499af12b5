"""Trakt links in ``app.sqlite``: link state, sealed tokens, token refresh, the watchlist and
progress the ingest writes back, and the durable scrobble queue.

Tokens and the pending device code are sealed in ``user_secrets`` (AES-GCM, associated data
``user_secrets.value:<user>:<name>``), so ``miauflix keys rotate`` re-seals them with the
rest. Several API workers and the flow share this file: a poll of the device-token endpoint
a queued scrobble and a token refresh are *claimed* with one conditional UPDATE before
Trakt is called (a refresh token is single-use: two processes must never both spend it),
and no transaction is held open across a request to Trakt.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from typing import Any, Protocol

from core.appdb import now_iso, secret_aad
from core.trakt import DeviceCode, TokenSet, TraktAuthError, TraktClient

ACCESS = "trakt.access_token"
REFRESH = "trakt.refresh_token"
DEVICE = "trakt.device_code"
REFRESH_MARGIN_S = 3600.0  # refresh this long before the access token expires
CLAIM_LEASE_S = 60.0


class Cipher(Protocol):
    def encrypt(self, plaintext: str | bytes, aad: str) -> bytes: ...

    def decrypt_str(self, blob: bytes, aad: str) -> str: ...


# --- sealed secrets ----------------------------------------------------------------------
def put_secret(
    con: sqlite3.Connection, cipher: Cipher, user_id: int, name: str, value: str
) -> None:
    con.execute(
        "INSERT INTO user_secrets (user_id, name, value_enc, updated_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (user_id, name) DO UPDATE SET value_enc = excluded.value_enc,"
        " updated_at = excluded.updated_at",
        (user_id, name, cipher.encrypt(value, secret_aad(user_id, name)), now_iso()),
    )


def get_secret(con: sqlite3.Connection, cipher: Cipher, user_id: int, name: str) -> str | None:
    row = con.execute(
        "SELECT value_enc FROM user_secrets WHERE user_id = ? AND name = ?", (user_id, name)
    ).fetchone()
    return None if row is None else cipher.decrypt_str(bytes(row[0]), secret_aad(user_id, name))


def drop_secrets(con: sqlite3.Connection, user_id: int, *names: str) -> None:
    marks = ", ".join("?" for _ in names)
    con.execute(
        f"DELETE FROM user_secrets WHERE user_id = ? AND name IN ({marks})", (user_id, *names)
    )


# --- link state --------------------------------------------------------------------------
@dataclass(frozen=True)
class Link:
    user_id: int
    state: str
    user_code: str
    verification_url: str
    interval_s: int
    code_expires_at: float
    token_expires_at: float
    linked_at: str | None
    synced_at: str | None
    activities: dict[str, Any]
    detail: str


def read_link(con: sqlite3.Connection, user_id: int) -> Link | None:
    row = con.execute(
        "SELECT user_id, state, user_code, verification_url, interval_s, code_expires_at,"
        " token_expires_at, linked_at, synced_at, activities, detail"
        " FROM trakt_links WHERE user_id = ?",
        (user_id,),
    ).fetchone()
    if row is None:
        return None
    try:
        activities = json.loads(row[9] or "{}")
    except ValueError:
        activities = {}
    return Link(
        int(row[0]), str(row[1]), str(row[2]), str(row[3]), int(row[4]), float(row[5]),
        float(row[6]), row[7], row[8], activities if isinstance(activities, dict) else {},
        str(row[10]),
    )  # fmt: skip


def start_link(
    con: sqlite3.Connection, cipher: Cipher, user_id: int, device: DeviceCode, now: float
) -> None:
    """A new device code for ``user_id`` (replaces any earlier attempt; keeps no tokens)."""
    con.execute("BEGIN IMMEDIATE")
    try:
        drop_secrets(con, user_id, ACCESS, REFRESH)
        put_secret(con, cipher, user_id, DEVICE, device.device_code)
        con.execute(
            "INSERT INTO trakt_links (user_id, state, user_code, verification_url, interval_s,"
            " code_expires_at, next_poll_at, updated_at) VALUES (?, 'pending', ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (user_id) DO UPDATE SET state = 'pending',"
            " user_code = excluded.user_code, verification_url = excluded.verification_url,"
            " interval_s = excluded.interval_s, code_expires_at = excluded.code_expires_at,"
            " next_poll_at = excluded.next_poll_at, token_expires_at = 0, linked_at = NULL,"
            " detail = '', updated_at = excluded.updated_at",
            (user_id, device.user_code, device.verification_url, device.interval,
             now + device.expires_in, now + device.interval, now_iso()),
        )  # fmt: skip
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def claim_poll(con: sqlite3.Connection, user_id: int, now: float) -> bool:
    """True for exactly one caller per interval while the link is pending and due."""
    cur = con.execute(
        "UPDATE trakt_links SET next_poll_at = ? + interval_s"
        " WHERE user_id = ? AND state = 'pending' AND next_poll_at <= ?",
        (now, user_id, now),
    )
    return cur.rowcount == 1


def slow_down(con: sqlite3.Connection, user_id: int, now: float) -> None:
    """Trakt's 429 on the poll: wait longer between polls (interval + 5 s, as OAuth says)."""
    con.execute(
        "UPDATE trakt_links SET interval_s = MIN(interval_s + 5, 60),"
        " next_poll_at = ? + MIN(interval_s + 5, 60) WHERE user_id = ?",
        (now, user_id),
    )


def finish_link(
    con: sqlite3.Connection,
    cipher: Cipher,
    user_id: int,
    state: str,
    tokens: TokenSet | None = None,
    detail: str = "",
) -> None:
    """Record the poll's end: ``linked`` with tokens, or denied/expired/failed."""
    con.execute("BEGIN IMMEDIATE")
    try:
        drop_secrets(con, user_id, DEVICE)
        if tokens is not None:
            put_secret(con, cipher, user_id, ACCESS, tokens.access_token)
            put_secret(con, cipher, user_id, REFRESH, tokens.refresh_token)
        con.execute(
            "UPDATE trakt_links SET state = ?, detail = ?, user_code = '', updated_at = ?,"
            " next_poll_at = 0, token_expires_at = ?,"
            " linked_at = CASE WHEN ? = 'linked' THEN ? END"
            " WHERE user_id = ?",
            (state, detail, now_iso(), tokens.expires_at if tokens else 0, state, now_iso(),
             user_id),
        )  # fmt: skip
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def unlink(con: sqlite3.Connection, user_id: int) -> None:
    """Forget the link, its secrets, its watchlist and its queued scrobbles."""
    con.execute("BEGIN IMMEDIATE")
    try:
        drop_secrets(con, user_id, ACCESS, REFRESH, DEVICE)
        for table in ("trakt_links", "trakt_watchlist", "trakt_scrobbles"):
            con.execute(f"DELETE FROM {table} WHERE user_id = ?", (user_id,))
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def linked_users(con: sqlite3.Connection) -> list[int]:
    return [
        int(r[0])
        for r in con.execute("SELECT user_id FROM trakt_links WHERE state = 'linked' ORDER BY 1")
    ]


def device_code_of(con: sqlite3.Connection, cipher: Cipher, user_id: int) -> str | None:
    return get_secret(con, cipher, user_id, DEVICE)


def access_token(
    con: sqlite3.Connection,
    cipher: Cipher,
    client: TraktClient,
    user_id: int,
    now: float | None = None,
) -> str | None:
    """The user's access token, refreshed first when it expires within the margin.

    Of several processes only one spends the single-use refresh token: it *claims* the
    refresh (``next_poll_at``, unused once linked, becomes a lease) with one conditional
    UPDATE, calls Trakt outside any transaction, then stores the new pair. The others keep
    using the current token while it is still valid (None once it expired). A refused
    refresh (revoked at Trakt) marks the link ``failed``. None also means: not linked.
    """
    now = time.time() if now is None else now
    link = read_link(con, user_id)
    if link is None or link.state != "linked":
        return None
    if link.token_expires_at - now > REFRESH_MARGIN_S:
        return get_secret(con, cipher, user_id, ACCESS)
    claimed = con.execute(
        "UPDATE trakt_links SET next_poll_at = ? WHERE user_id = ? AND state = 'linked'"
        " AND next_poll_at <= ? AND token_expires_at - ? <= ?",
        (now + CLAIM_LEASE_S, user_id, now, now, REFRESH_MARGIN_S),
    ).rowcount
    if not claimed:
        fresh = read_link(con, user_id)
        if fresh is None or fresh.state != "linked" or fresh.token_expires_at <= now:
            return None
        return get_secret(con, cipher, user_id, ACCESS)
    refresh = get_secret(con, cipher, user_id, REFRESH) or ""
    try:
        tokens = client.refresh(refresh)
    except TraktAuthError as exc:
        con.execute("BEGIN IMMEDIATE")
        drop_secrets(con, user_id, ACCESS, REFRESH)
        con.execute(
            "UPDATE trakt_links SET state = 'failed', detail = ?, next_poll_at = 0,"
            " updated_at = ? WHERE user_id = ?",
            (f"Trakt refused the refresh (status {exc.status}): link again", now_iso(),
             user_id),
        )  # fmt: skip
        con.execute("COMMIT")
        return None
    except BaseException:
        con.execute("UPDATE trakt_links SET next_poll_at = 0 WHERE user_id = ?", (user_id,))
        raise
    con.execute("BEGIN IMMEDIATE")
    try:
        put_secret(con, cipher, user_id, ACCESS, tokens.access_token)
        put_secret(con, cipher, user_id, REFRESH, tokens.refresh_token)
        con.execute(
            "UPDATE trakt_links SET token_expires_at = ?, next_poll_at = 0, updated_at = ?"
            " WHERE user_id = ?",
            (tokens.expires_at, now_iso(), user_id),
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return tokens.access_token
