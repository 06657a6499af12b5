"""Stream keys: short-lived, signed tokens that bind a stream URL to one user and one source.

The API issues them and the engine verifies them without calling the API: both derive the
same HMAC key from the master secret. Form: ``<payload>.<signature>``, both base64url
without padding; the payload is compact JSON ``{"k": kid, "p": purpose, "u": user,
"s": source_id, "e": expiry (unix s), "f": profile}``. ``kid`` names the signing key, so a
key from another installation is told apart (403) from a tampered one (401).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass

from engine.errors import ForeignStreamKey, StreamKeyError, StreamKeyExpired
from miauflix.crypto import derive_key

MAX_KEY_LENGTH = 1024
PURPOSE_STREAM = "stream"
PURPOSE_STATUS = "status"


@dataclass(frozen=True)
class StreamClaims:
    user: str
    source_id: str
    expires_at: int
    profile: str
    purpose: str


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
    """Issue and verify keys under a key derived from the master secret."""

    def __init__(self, master: bytes, ttl: int, clock: Callable[[], float] = time.time) -> None:
        self._key = derive_key(master, "stream-keys")
        self.kid = hashlib.sha256(self._key).hexdigest()[:8]
        self.ttl = ttl
        self._clock = clock

    def issue(
        self,
        user: str,
        source_id: str,
        *,
        profile: str = "web",
        purpose: str = PURPOSE_STREAM,
        ttl: int | None = None,
    ) -> tuple[str, int]:
        """Return ``(key, expires_at)``."""
        expires_at = int(self._clock()) + (self.ttl if ttl is None else ttl)
        claims = {"k": self.kid, "p": purpose, "u": str(user), "s": source_id,
                  "e": expires_at, "f": profile}  # fmt: skip
        payload = _b64(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode())
        return f"{payload}.{self._sign(payload)}", expires_at

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self._key, payload.encode(), hashlib.sha256).digest())

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
        if claims.get("k") != self.kid:
            raise ForeignStreamKey(f"stream key signed by another key (kid {claims.get('k')!r})")
        if not hmac.compare_digest(self._sign(payload), signature):
            raise StreamKeyError("stream key signature does not match")
        try:
            parsed = StreamClaims(
                user=str(claims["u"]),
                source_id=str(claims["s"]),
                expires_at=int(claims["e"]),
                profile=str(claims.get("f", "web")),
                purpose=str(claims["p"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise StreamKeyError("stream key lacks a claim") from exc
        if parsed.purpose != purpose:
            raise ForeignStreamKey(f"a {parsed.purpose!r} key cannot be used for {purpose!r}")
        if parsed.expires_at <= self._clock():
            raise StreamKeyExpired(f"stream key expired at {parsed.expires_at}")
        return parsed
