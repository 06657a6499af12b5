"""The API's side of Trakt: one client per app, advancing a pending device-code link, and
the per-process scrobble sender.

Polling is driven by ``GET /api/trakt`` (the page showing the code asks every few seconds):
whichever gunicorn worker answers claims the poll in ``app.sqlite`` (one conditional UPDATE
on ``next_poll_at``), so Trakt is polled at most once per interval however many workers
and tabs ask, and no worker-bound thread owns a link. Scrobbles are queued durably first
and sent by a daemon thread per process (:class:`ScrobbleSender`); rows are claimed before
they are sent, so several workers never send one twice.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import cast

from flask import current_app

from core.appdb import AppDatabase
from core.crypto import Keyring
from core.settings import Settings
from core.trakt import TraktClient, TraktError, UserLimits
from core.trakt_scrobbles import drain
from core.trakt_store import claim_poll, device_code_of, finish_link, read_link, slow_down
from serve import audit
from serve.extensions import app_db, app_settings, keyring

log = logging.getLogger(__name__)

_CLIENT_KEY = "miauflix.trakt"
_SENDER_KEY = "miauflix.trakt_sender"
_END_STATES = {
    "invalid": ("failed", "Trakt does not know this code: link again"),
    "used": ("failed", "this code was already used: link again"),
    "expired": ("expired", "the code expired before it was entered: link again"),
    "denied": ("denied", "the link was declined at Trakt"),
}


def make_client(settings: Settings, post_interval_s: float = 1.0) -> TraktClient:
    return TraktClient(
        settings.trakt_url,
        settings.trakt_client_id.get_secret_value(),
        settings.trakt_client_secret.get_secret_value(),
        limits=UserLimits(post_interval_s=post_interval_s),
        timeout=min(settings.http_timeout, 10.0),
        retries=1,
        max_wait_s=2.0,
    )


def trakt_client() -> TraktClient:
    """This app's Trakt client (made on first use; tests may put their own first)."""
    ext = current_app.extensions
    if _CLIENT_KEY not in ext:
        ext[_CLIENT_KEY] = make_client(app_settings())
    return cast(TraktClient, ext[_CLIENT_KEY])


def advance_link(user_id: int, now: float | None = None) -> None:
    """If this user's code is due for a poll, poll Trakt once and record the answer."""
    now = time.time() if now is None else now
    con = app_db().connection()
    link = read_link(con, user_id)
    if link is None or link.state != "pending":
        return
    cipher = keyring()
    if now >= link.code_expires_at:
        end, detail = _END_STATES["expired"]
        finish_link(con, cipher, user_id, end, detail=detail)
        return
    if not claim_poll(con, user_id, now):
        return
    code = device_code_of(con, cipher, user_id)
    if code is None:
        finish_link(con, cipher, user_id, "failed", detail="the pending code was lost: link again")
        return
    try:
        state, tokens = trakt_client().poll_device(code)
    except TraktError as exc:
        log.warning("trakt poll for user %s failed: %s", user_id, exc)
        return  # stays pending: the next claim polls again
    if state == "approved" and tokens is not None:
        finish_link(con, cipher, user_id, "linked", tokens)
        audit.record(app_db(), "trakt_linked", user_id=user_id)
        log.info("trakt linked for user %s", user_id)
    elif state == "slow_down":
        slow_down(con, user_id, now)
    elif state in _END_STATES:
        end, detail = _END_STATES[state]
        finish_link(con, cipher, user_id, end, detail=detail)


class ScrobbleSender:
    """A daemon thread that drains queued scrobbles of the users it is told about."""

    def __init__(
        self, db_path: Path, cipher: Keyring, client_factory: Callable[[], TraktClient]
    ) -> None:
        self._db = AppDatabase(db_path)
        self._cipher = cipher
        self._client_factory = client_factory
        self._users: queue.SimpleQueue[int] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="trakt-scrobbles", daemon=True)
        self._thread.start()

    def kick(self, user_id: int) -> None:
        self._users.put(user_id)

    def _run(self) -> None:
        client = self._client_factory()
        while True:
            user_id = self._users.get()
            try:
                drain(self._db.connection(), self._cipher, client, user_id)
            except Exception:
                log.exception("trakt scrobbles for user %s not sent", user_id)


def scrobble_sender() -> ScrobbleSender:
    ext = current_app.extensions
    if _SENDER_KEY not in ext:
        client = trakt_client()
        ext[_SENDER_KEY] = ScrobbleSender(app_settings().app_db_path, keyring(), lambda: client)
    return cast(ScrobbleSender, ext[_SENDER_KEY])
