"""Stream keys: bound to user and source, expire, refuse tampering and other installations."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.errors import ForeignStreamKey, StreamKeyError, StreamKeyExpired
from engine.keys import PURPOSE_STATUS, StreamKeySigner

MASTER = b"m" * 48


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_issued_key_verifies_to_its_user_and_source() -> None:
    signer = StreamKeySigner(MASTER, 600, Clock(1000))
    key, expires = signer.issue("42", "src-a", profile="tv")
    claims = signer.verify(key)
    assert (claims.user, claims.source_id, claims.profile, claims.expires_at) == (
        "42",
        "src-a",
        "tv",
        1600,
    )
    assert expires == 1600


def test_key_is_refused_once_expired() -> None:
    clock = Clock(1000)
    signer = StreamKeySigner(MASTER, 60, clock)
    key, _ = signer.issue("1", "s")
    clock.now = 1060
    with pytest.raises(StreamKeyExpired) as info:
        signer.verify(key)
    assert info.value.status == 401


def test_tampered_payload_is_refused_with_401() -> None:
    signer = StreamKeySigner(MASTER, 60)
    key, _ = signer.issue("1", "src-a")
    payload, sig = key.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["s"] = "src-b"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(StreamKeyError) as info:
        signer.verify(f"{forged}.{sig}")
    assert info.value.status == 401
    assert not isinstance(info.value, ForeignStreamKey)


def test_key_from_another_installation_is_foreign_403() -> None:
    other = StreamKeySigner(b"o" * 48, 60)
    key, _ = other.issue("1", "src-a")
    with pytest.raises(ForeignStreamKey) as info:
        StreamKeySigner(MASTER, 60).verify(key)
    assert info.value.status == 403


def test_status_key_is_not_a_stream_key() -> None:
    signer = StreamKeySigner(MASTER, 60)
    key, _ = signer.issue("admin", "*", purpose=PURPOSE_STATUS)
    with pytest.raises(ForeignStreamKey):
        signer.verify(key)
    assert signer.verify(key, purpose=PURPOSE_STATUS).user == "admin"


@pytest.mark.parametrize(
    "key", ["", ".", "abc", "a.b.c", "!!!.###", "x" * 2000, "e30.e30", "bnVsbA.AAAA", "W10.AAAA"]
)
def test_malformed_keys_raise_stream_key_error(key: str) -> None:
    with pytest.raises(StreamKeyError):
        StreamKeySigner(MASTER, 60).verify(key)


@given(st.text(max_size=300))
def test_arbitrary_text_never_verifies_nor_crashes(key: str) -> None:
    with pytest.raises(StreamKeyError):
        StreamKeySigner(MASTER, 60).verify(key)
