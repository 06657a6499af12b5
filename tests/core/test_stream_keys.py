"""Stream keys: bound to user and source, expire, refuse tampering and other installations,
follow key rotation."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.crypto import Keyring, derive_key, keyring_dir, load_or_create_master_key
from core.settings import Settings, load_settings
from core.stream_keys import (
    PURPOSE_STATUS,
    ForeignStreamKey,
    StreamKeyError,
    StreamKeyExpired,
    StreamKeySigner,
)
from miauflix.key_rotation import rotate_keys
from tests.engine.conftest import wait_until

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


def test_keys_carry_their_signed_issue_time() -> None:
    signer = StreamKeySigner(MASTER, 600, Clock(1000.9))
    key, expires = signer.issue("42", "src-a", ttl=30)
    claims = signer.verify(key)
    assert (claims.issued_at, claims.expires_at, expires) == (1000, 1030, 1030)


def test_a_key_without_an_issue_time_counts_as_issued_ttl_before_expiry() -> None:
    signer = StreamKeySigner(MASTER, 600, Clock(1000))
    claims = {"k": signer.kid, "p": "stream", "u": "7", "s": "src", "e": 1500, "f": "web"}
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    digest = hmac.new(derive_key(MASTER, "stream-keys"), payload.encode(), hashlib.sha256)
    signature = base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()
    assert signer.verify(f"{payload}.{signature}").issued_at == 900


@pytest.mark.parametrize("issued", ["soon", None, [1], {"a": 1}])
def test_a_signed_but_malformed_issue_time_is_refused(issued: object) -> None:
    signer = StreamKeySigner(MASTER, 600, Clock(1000))
    claims = {"k": signer.kid, "p": "stream", "u": "7", "s": "src", "e": 1500, "i": issued}
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    digest = hmac.new(derive_key(MASTER, "stream-keys"), payload.encode(), hashlib.sha256)
    signature = base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()
    with pytest.raises(StreamKeyError, match="lacks a claim"):
        signer.verify(f"{payload}.{signature}")


@pytest.fixture
def file_settings(settings: Settings) -> Settings:
    """Settings whose master lives in the key file (rotation refuses an env secret)."""
    return load_settings(**{**settings.model_dump(), "secret_key": ""})


def test_api_and_engine_signers_follow_a_rotation_without_restarting(
    file_settings: Settings,
) -> None:
    api = StreamKeySigner(Keyring.load(file_settings.key_path), 600)
    engine = StreamKeySigner(Keyring.load(file_settings.key_path), 600)
    before, _ = api.issue("1", "src")
    assert engine.verify(before).user == "1"
    old_kid = api.kid
    rotate_keys(file_settings)
    # within about a second both re-read the key files and agree on the new master
    assert wait_until(lambda: api.issue("1", "src") and api.kid != old_kid, timeout=5)
    after, _ = api.issue("1", "src")
    assert wait_until(lambda: _verifies(engine, after), timeout=5)
    assert engine.kid == api.kid
    expected = StreamKeySigner(load_or_create_master_key(file_settings.key_path), 600).kid
    assert engine.kid == expected  # the current master in secret.key
    with pytest.raises(ForeignStreamKey):  # keys of the retired master are foreign
        engine.verify(before)


def _verifies(signer: StreamKeySigner, key: str) -> bool:
    try:
        signer.verify(key)
    except ForeignStreamKey:
        return False
    return True


def test_an_unreadable_kept_key_does_not_break_signing(
    file_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    signer = StreamKeySigner(Keyring.load(file_settings.key_path), 600)
    kid = signer.kid
    kept = keyring_dir(file_settings.key_path)
    kept.mkdir()
    (kept / "deadbeef.key").write_bytes(b"k" * 48)
    (kept / "deadbeef.key").chmod(0o644)  # readable by others: the keyring refuses it
    key, _ = signer.issue("1", "src")  # the first use re-reads the key files
    assert signer.kid == kid and signer.verify(key).user == "1"
    assert "cannot re-read the key files" in caplog.text and "deadbeef.key" in caplog.text


def test_session_and_episode_claims_round_trip() -> None:
    signer = StreamKeySigner(b"m" * 32, ttl=60)
    key, _ = signer.issue("7", "src", session="sess-1", episode=(2, 5))
    claims = signer.verify(key)
    assert claims.session == "sess-1"
    assert claims.episode == (2, 5)


def test_keys_without_session_or_episode_verify_with_none() -> None:
    signer = StreamKeySigner(b"m" * 32, ttl=60)
    claims = signer.verify(signer.issue("7", "src")[0])
    assert claims.session is None and claims.episode is None
