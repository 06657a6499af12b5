"""Stream-key revocation: the API's ``users`` and ``sessions`` tables decide whether a
signed key still counts.

The API (``serve/``) raises ``users.streams_revoked_at`` (unix seconds, rounded up) on
logout, password change, disable, delete and role change, and revokes single sessions
(a device signed out, a refresh-token reuse). A key is refused when its user has no row
(:class:`StreamUserUnknown`, 403), is disabled (:class:`StreamUserDisabled`, 403), the key
was issued at or before ``streams_revoked_at``, or the sign-in session it carries (``sid``)
was revoked or is gone (:class:`StreamKeyRevoked`, 401). ``app.sqlite`` is opened strictly
read-only, one short connection per lookup, and each (user, session) answer is cached for
:data:`CACHE_SECONDS` so a player's many range requests do not each hit SQLite; a stream
being served calls :meth:`RevocationCheck.check` again every few seconds, so it stops soon
after a revocation. Without a readable ``app.sqlite`` every key is refused
(:class:`RevocationUnavailable`, 503): the engine fails closed.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from pathlib import Path

from core.appdb import AppDBUnavailable, StreamState, read_stream_state
from core.stream_keys import (
    StreamClaims,
    StreamKeyRevoked,
    StreamUserDisabled,
    StreamUserUnknown,
)
from engine.errors import RevocationUnavailable

CACHE_SECONDS = 1.0
MAX_CACHED_USERS = 4096
# The API issues keys for str(users.id): a canonical decimal SQLite integer.
_USER_ID = re.compile(r"0|[1-9][0-9]{0,17}")


UserState = StreamState


class RevocationCheck:
    """Checks claims against ``users`` in ``app_db_path``; thread-safe."""

    def __init__(
        self,
        app_db_path: Path,
        *,
        cache_seconds: float = CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = Path(app_db_path)
        self.cache_seconds = cache_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, str | None], tuple[float, UserState | None]] = {}
        self.lookups = 0  # SQLite queries made (the cache's effect shows here)

    def check(self, claims: StreamClaims) -> None:
        """Return if the key may stream; raise a :class:`StreamKeyError` subclass if not."""
        state = self.user_state(claims.user, claims.session)
        if state is None:
            raise StreamUserUnknown(f"stream key of user {claims.user!r}: no such user")
        if state.disabled:
            raise StreamUserDisabled(f"stream key of user {claims.user}: the user is disabled")
        if claims.issued_at <= state.streams_revoked_at:
            raise StreamKeyRevoked(
                f"stream key of user {claims.user} issued at {claims.issued_at} was revoked "
                f"at {state.streams_revoked_at}; ask the API for a new one"
            )
        if state.session_revoked:
            raise StreamKeyRevoked(
                f"stream key of user {claims.user}: its sign-in session was revoked; sign in again"
            )

    def user_state(self, user: str, session: str | None = None) -> UserState | None:
        """The user's row and ``session``'s state (cached for ``cache_seconds``); None when
        there is no such user."""
        if not _USER_ID.fullmatch(user):
            return None
        key = (user, session)
        now = self._clock()
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None and now - cached[0] < self.cache_seconds:
            return cached[1]
        state = self._lookup(int(user), session)
        with self._lock:
            if len(self._cache) >= MAX_CACHED_USERS:
                fresh = {k: v for k, v in self._cache.items() if now - v[0] < self.cache_seconds}
                self._cache = fresh if len(fresh) < MAX_CACHED_USERS else {}
            self._cache[key] = (now, state)
        return state

    def _lookup(self, user_id: int, session: str | None) -> UserState | None:
        try:
            state = read_stream_state(self.path, user_id, session)
        except AppDBUnavailable as exc:
            raise RevocationUnavailable(f"cannot check stream keys: {exc}") from exc
        with self._lock:
            self.lookups += 1
        return state
