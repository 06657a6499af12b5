"""`miauflix keys rotate`: a new master, catalog and app secrets re-sealed under it, old
readers keep working through the keyring, and no known secret is ever in a file in clear."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from core.crypto import CryptoError, FieldCipher, Keyring, keyring_dir
from core.settings import Settings, load_settings
from miauflix.cli import main
from miauflix.key_rotation import KeyRotationError, prune_keys, rotate_keys
from serve.appdb import AppDB
from serve.passwords import hash_password
from tests.helpers.catalog import SampleMarts, publish_sample

TRAKT_TOKEN = "trakt-access-token-5f1c9a7e0b2d4c6e8a"


@pytest.fixture
def file_settings(settings: Settings) -> Settings:
    """The test settings with the master in the key file (rotation writes it)."""
    return load_settings(**{**settings.model_dump(), "secret_key": ""})


def _published(settings: Settings) -> SampleMarts:
    keyring = Keyring.load(settings.key_path)
    marts, _ = publish_sample(settings.catalog_path, field_cipher=keyring.current)
    return marts


def _store_trakt_token(settings: Settings, cipher: FieldCipher | Keyring) -> int:
    db = AppDB(settings.app_db_path)
    db.migrate()
    user = db.create_user("viewer@example.test", hash_password("x", n=2, r=1, p=1))
    aad = f"user_secrets.value:{user.id}:trakt_access_token"
    db.connection().execute(
        "INSERT INTO user_secrets (user_id, name, value_enc, updated_at) VALUES (?, ?, ?, '')",
        (user.id, "trakt_access_token", cipher.encrypt(TRAKT_TOKEN, aad)),
    )
    db.close()
    return user.id


def _files_bytes(data_dir: Path) -> bytes:
    blob = b""
    for path in data_dir.iterdir():
        if path.is_file() and "sqlite" in path.name:
            blob += path.read_bytes()
    return blob


def _sources(path: Path) -> list[tuple[str, bytes, bytes]]:
    con = sqlite3.connect(path)
    try:
        return con.execute("SELECT source_id, info_hash_enc, magnet_enc FROM sources").fetchall()
    finally:
        con.close()


def test_no_known_secret_is_in_any_database_file(file_settings: Settings) -> None:
    marts = _published(file_settings)
    _store_trakt_token(file_settings, Keyring.load(file_settings.key_path))
    raw = _files_bytes(file_settings.data_dir)
    for secret in [*marts.secrets(), TRAKT_TOKEN]:
        assert secret.encode() not in raw, secret
    assert len(raw) > 10_000  # the grep looked at real files


def test_rotate_reseals_everything_under_a_new_key(file_settings: Settings) -> None:
    marts = _published(file_settings)
    user_id = _store_trakt_token(file_settings, Keyring.load(file_settings.key_path))
    stale_reader = Keyring.load(file_settings.key_path)  # a process started before rotation
    before = _sources(file_settings.catalog_path)

    summary = rotate_keys(file_settings)

    assert summary.old_key_id != summary.new_key_id
    assert summary.catalog_sources == len(marts.sources) and summary.app_secrets == 1
    after = _sources(file_settings.catalog_path)
    assert {row[0] for row in after}.isdisjoint({row[0] for row in before})
    fresh = Keyring.load(file_settings.key_path)
    assert fresh.key_id.hex() == summary.new_key_id
    plain = {fresh.decrypt_str(ih, f"sources.info_hash:{sid}") for sid, ih, _ in after}
    assert plain == {s.info_hash.lower() for s in marts.sources}
    assert all(ih[2:6] == fresh.key_id for _, ih, _ in after)
    # The stale reader meets an unknown key id, reloads the key files and carries on.
    sid, _ih, magnet = after[0]
    assert stale_reader.decrypt_str(magnet, f"sources.magnet:{sid}").startswith("magnet:")
    con = sqlite3.connect(file_settings.app_db_path)
    (blob,) = con.execute("SELECT value_enc FROM user_secrets").fetchone()
    con.close()
    aad = f"user_secrets.value:{user_id}:trakt_access_token"
    assert blob[2:6] == fresh.key_id and fresh.decrypt_str(blob, aad) == TRAKT_TOKEN
    raw = _files_bytes(file_settings.data_dir)
    for secret in [*marts.secrets(), TRAKT_TOKEN]:
        assert secret.encode() not in raw
    # A ciphertext moved to another row still fails after rotation.
    with pytest.raises(CryptoError):
        fresh.decrypt(magnet, f"sources.magnet:{after[1][0]}")


def test_rotate_twice_and_prune_retired_keys(file_settings: Settings) -> None:
    _published(file_settings)
    rotate_keys(file_settings)
    second = rotate_keys(file_settings)
    kept = sorted(p.stem for p in keyring_dir(file_settings.key_path).glob("*.key"))
    assert len(kept) == 3 and second.new_key_id in kept
    for path in keyring_dir(file_settings.key_path).glob("*.key"):
        assert path.stat().st_mode & 0o077 == 0
    removed = prune_keys(file_settings)
    assert len(removed) == 2
    keyring = Keyring.load(file_settings.key_path)
    sid, ih, _ = _sources(file_settings.catalog_path)[0]
    assert len(keyring.decrypt_str(ih, f"sources.info_hash:{sid}")) == 40


def test_rotate_refuses_an_environment_master(settings: Settings) -> None:
    with pytest.raises(KeyRotationError, match="MIAUFLIX_SECRET_KEY"):
        rotate_keys(settings)


def test_rotate_without_databases_only_changes_the_key(file_settings: Settings) -> None:
    summary = rotate_keys(file_settings)
    assert (summary.catalog_sources, summary.app_secrets) == (0, 0)


def test_cli_keys_rotate(
    file_settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    marts = _published(file_settings)
    monkeypatch.setenv("MIAUFLIX_DATA_DIR", str(file_settings.data_dir))
    with pytest.raises(SystemExit) as exit_:
        main(["keys", "rotate"])
    assert exit_.value.code == 0
    assert f"re-encrypted {len(marts.sources)} catalog sources" in capsys.readouterr().out
    out_sources = _sources(file_settings.catalog_path)
    assert out_sources[0][1][2:6] == Keyring.load(file_settings.key_path).key_id


def test_keyring_refuses_unknown_and_malformed_ciphertexts(file_settings: Settings) -> None:
    keyring = Keyring.load(file_settings.key_path)
    foreign = FieldCipher(b"another-installation-key-0123456789abcdef").encrypt("x", "a")
    for blob in (foreign, b"", b"v1", b"v2" + foreign[2:], foreign[:10]):
        with pytest.raises(CryptoError):
            keyring.decrypt(blob, "a")
