"""Field encryption: fresh nonces, bound to row and column, keys separated, key file 0600."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from core.crypto import CryptoError, FieldCipher, load_or_create_master_key

MASTER = b"m" * 48


def test_round_trip_and_fresh_nonce_per_value() -> None:
    cipher = FieldCipher(MASTER)
    one = cipher.encrypt("magnet:?xt=urn:btih:abc", "sources.magnet:1")
    two = cipher.encrypt("magnet:?xt=urn:btih:abc", "sources.magnet:1")
    assert one != two
    assert cipher.decrypt_str(one, "sources.magnet:1") == "magnet:?xt=urn:btih:abc"


def test_ciphertext_moved_to_another_row_fails() -> None:
    cipher = FieldCipher(MASTER)
    blob = cipher.encrypt("secret", "sources.magnet:1")
    with pytest.raises(CryptoError):
        cipher.decrypt(blob, "sources.magnet:2")


@pytest.mark.parametrize("blob", [b"", b"v1", b"v2" + b"x" * 40, b"\x00" * 100])
def test_garbage_is_rejected_cleanly(blob: bytes) -> None:
    with pytest.raises(CryptoError):
        FieldCipher(MASTER).decrypt(blob, "a")


def test_tampered_ciphertext_fails() -> None:
    cipher = FieldCipher(MASTER)
    blob = bytearray(cipher.encrypt("secret", "a"))
    blob[-1] ^= 1
    with pytest.raises(CryptoError):
        cipher.decrypt(bytes(blob), "a")


def test_other_key_is_detected() -> None:
    blob = FieldCipher(MASTER).encrypt("secret", "a")
    with pytest.raises(CryptoError, match="different key"):
        FieldCipher(b"o" * 48).decrypt(blob, "a")


def test_lookup_hash_is_keyed_and_stable() -> None:
    assert FieldCipher(MASTER).lookup_hash("x") == FieldCipher(MASTER).lookup_hash("x")
    assert FieldCipher(MASTER).lookup_hash("x") != FieldCipher(b"o" * 48).lookup_hash("x")


def test_generated_key_file_is_private_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "secret.key"
    first = load_or_create_master_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_master_key(path) == first
    assert load_or_create_master_key(path, "configured") == b"configured"


def test_world_readable_key_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "secret.key"
    load_or_create_master_key(path)
    path.chmod(0o644)
    with pytest.raises(CryptoError, match="chmod 600"):
        load_or_create_master_key(path)


def test_concurrent_first_starts_agree_on_one_key(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    path = tmp_path / "secret.key"
    with ThreadPoolExecutor(8) as pool:
        keys = set(pool.map(lambda _: load_or_create_master_key(path), range(32)))
    assert keys == {path.read_bytes().strip()}
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".secret.")]
