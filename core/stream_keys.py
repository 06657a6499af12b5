"""Stream keys: short-lived, signed tokens that bind a stream URL to one user and one source.

The one definition of the format: the API (issuer) and the engine (verifier) both import it.

The API issues them and the engine verifies them without calling the API: both derive the
same HMAC key from the current master secret. Form: ``<payload>.<signature>``, both
base64url without padding; the payload is compact JSON ``{"k": kid, "p": purpose,
"u": user, "s": source_id, "i": issued at, "e": expiry (unix s), "f": profile}``. ``kid``
names the signing key, so a key from another installation is told apart (403) from a
tampered one (401). Keys without ``"i"`` (issued before it existed) count as issued at
``e - ttl``.

Given a :class:`~core.crypto.Keyring` instead of a master, the signer follows key
rotation: before issuing or verifying it re-reads the key files (at most once a second),
so the API and the engine agree on the new master within a second, without a restart.
Only the current master verifies: keys signed under a retired one are foreign (403).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from core.crypto import CryptoError, Keyring, derive_key
from core.errors import MiauflixError

log = logging.getLogger(__name__)

MAX_KEY_LENGTH = 1024
PURPOSE_STREAM = "stream"
PURPOSE_STATUS = "status"
REFRESH_SECONDS = 1.0  # key files are re-read at most this often


class StreamKeyError(MiauflixError):
    """A stream key that must be refused; ``status`` is the HTTP status to answer."""

    status = 401
    code = "invalid_stream_key"


class StreamKeyExpired(StreamKeyError):
    code = "stream_key_expired"


class ForeignStreamKey(StreamKeyError):
    """Signed by another installation, or bound to another user or source."""

    status = 403
    code = "foreign_stream_key"


class StreamKeyRevoked(StreamKeyError):
    """Issued at or before the user's ``streams_revoked_at`` (logout, password change...)."""

    code = "stream_key_revoked"


class StreamUserDisabled(StreamKeyError):
    """The key's user is disabled in the API's database."""

    status = 403
    code = "user_disabled"


class StreamUserUnknown(StreamKeyError):
    """The key's user is not (or no longer) in the API's database."""

    status = 403
    code = "user_unknown"


@dataclass(frozen=True)
class StreamClaims:
    user: str
    source_id: str
    expires_at: int
    profile: str
    purpose: str
    issued_at: int
    session: str | None = None  # the sign-in session the key was issued to (revocable)
    episode: tuple[int, int] | None = None  # (season, episode) to play out of a show source


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    if not text or any(c not in _ALPHABET for c in text):
        raise StreamKeyError("stream key is not base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise StreamKeyError("stream key is not base64url") from exc


_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


class StreamKeySigner:
    """Issue and verify keys under a key derived from the master secret.

    ``master`` is the master secret itself, or a :class:`Keyring` whose current master is
    used and followed across rotations.
    """

    def __init__(
        self, master: bytes | Keyring, ttl: int, clock: Callable[[], float] = time.time
    ) -> None:
        self._keyring = master if isinstance(master, Keyring) else None
        self.ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._refreshed = float("-inf")  # monotonic time of the last key-file read
        self._master = b""
        self._signing = ("", b"")  # (kid, key), swapped as one
        self._use(master.masters[0] if isinstance(master, Keyring) else master)

    def _use(self, master: bytes) -> None:
        key = derive_key(master, "stream-keys")
        self._master = master
        self._signing = (hashlib.sha256(key).hexdigest()[:8], key)

    @property
    def kid(self) -> str:
        return self._signing[0]

    def refresh(self) -> bool:
        """Re-read the keyring (at most once per :data:`REFRESH_SECONDS`); True if rekeyed."""
        if self._keyring is None or time.monotonic() - self._refreshed < REFRESH_SECONDS:
            return False
        with self._lock:
            now = time.monotonic()
            if now - self._refreshed < REFRESH_SECONDS:
                return False
            self._refreshed = now
            try:
                self._keyring.reload()
            except (CryptoError, OSError) as exc:  # keep signing with what we have
                log.warning("stream keys: cannot re-read the key files: %s", exc)
                return False
            current = self._keyring.masters[0]
            if current == self._master:
                return False
            self._use(current)
            return True

    def issue(
        self,
        user: str,
        source_id: str,
        *,
        profile: str = "web",
        purpose: str = PURPOSE_STREAM,
        ttl: int | None = None,
        session: str | None = None,
        episode: tuple[int, int] | None = None,
    ) -> tuple[str, int]:
        """Return ``(key, expires_at)``, signed under the current master."""
        self.refresh()
        kid, signing_key = self._signing
        issued_at = int(self._clock())
        expires_at = issued_at + (self.ttl if ttl is None else ttl)
        claims: dict[str, object] = {"k": kid, "p": purpose, "u": str(user), "s": source_id,
                  "i": issued_at, "e": expires_at, "f": profile}  # fmt: skip
        if session is not None:
            claims["sid"] = str(session)
        if episode is not None:
            claims["x"] = [int(episode[0]), int(episode[1])]
        payload = _b64(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode())
        return f"{payload}.{_sign(signing_key, payload)}", expires_at

    def verify(self, key: str, *, purpose: str = PURPOSE_STREAM) -> StreamClaims:
        """Claims of a valid key; :class:`StreamKeyError` subclasses say why not."""
        if not key or len(key) > MAX_KEY_LENGTH or key.count(".") != 1:
            raise StreamKeyError("malformed stream key")
        payload, signature = key.split(".")
        try:
            claims = json.loads(_unb64(payload))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise StreamKeyError("malformed stream key payload") from exc
        if not isinstance(claims, dict):
            raise StreamKeyError("malformed stream key payload")
        self.refresh()  # a rotation since the last look?
        kid, signing_key = self._signing
        if claims.get("k") != kid:
            raise ForeignStreamKey(f"stream key signed by another key (kid {claims.get('k')!r})")
        if not hmac.compare_digest(_sign(signing_key, payload), signature):
            raise StreamKeyError("stream key signature does not match")
        try:
            expires_at = int(claims["e"])
            parsed = StreamClaims(
                user=str(claims["u"]),
                source_id=str(claims["s"]),
                expires_at=expires_at,
                profile=str(claims.get("f", "web")),
                purpose=str(claims["p"]),
                issued_at=int(claims["i"]) if "i" in claims else expires_at - self.ttl,
                session=str(claims["sid"]) if "sid" in claims else None,
                episode=_episode_claim(claims.get("x")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise StreamKeyError("stream key lacks a claim") from exc
        if parsed.purpose != purpose:
            raise ForeignStreamKey(f"a {parsed.purpose!r} key cannot be used for {purpose!r}")
        if parsed.expires_at <= self._clock():
            raise StreamKeyExpired(f"stream key expired at {parsed.expires_at}")
        return parsed


def _episode_claim(raw: object) -> tuple[int, int] | None:
    """The ``x`` claim: ``[season, episode]`` of non-negative ints, or absent."""
    if raw is None:
        return None
    if (
        not isinstance(raw, list)
        or len(raw) != 2
        or not all(type(n) is int and 0 <= n < 10_000 for n in raw)
    ):
        raise ValueError("episode claim is not [season, episode]")
    return raw[0], raw[1]


def _sign(key: bytes, payload: str) -> str:
    return _b64(hmac.new(key, payload.encode(), hashlib.sha256).digest())
