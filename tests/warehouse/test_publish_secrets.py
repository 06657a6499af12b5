"""Secrets in the published catalog exist only as AES-GCM blobs bound to their row."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from core.crypto import CryptoError, FieldCipher
from tests.helpers.catalog import SampleMarts, cipher, publish_sample

NONCE = slice(6, 18)


@pytest.fixture
def published(tmp_path: Path) -> tuple[SampleMarts, Path]:
    catalog = tmp_path / "catalog.sqlite"
    marts, _ = publish_sample(catalog)
    return marts, catalog


def _rows(catalog: Path) -> list[sqlite3.Row]:
    con = sqlite3.connect(catalog)
    con.row_factory = sqlite3.Row
    return con.execute("SELECT * FROM sources ORDER BY source_id").fetchall()


def test_no_plaintext_secret_appears_anywhere_in_the_file(
    published: tuple[SampleMarts, Path],
) -> None:
    marts, catalog = published
    data = catalog.read_bytes()
    secrets = marts.secrets()
    assert len(secrets) == 3 * len(marts.sources) + sum(
        1 for src in marts.sources if src.torrent_url
    )
    for secret in secrets:
        assert secret.encode() not in data, secret
        assert secret.encode("utf-16-le") not in data
    for src in marts.sources:
        assert bytes.fromhex(src.info_hash) not in data  # nor the raw 20-byte digest
    assert b"magnet:?" not in data and b"urn:btih" not in data and b"yts.example" not in data


def test_every_secret_decrypts_with_its_own_row_and_column(
    published: tuple[SampleMarts, Path],
) -> None:
    marts, catalog = published
    by_hash = {src.info_hash.lower(): src for src in marts.sources}
    field_cipher = cipher()
    rows = _rows(catalog)
    assert len(rows) == len(marts.sources)
    for row in rows:
        sid = row["source_id"]
        info_hash = field_cipher.decrypt_str(row["info_hash_enc"], f"sources.info_hash:{sid}")
        src = by_hash[info_hash]
        assert info_hash == info_hash.lower()
        assert field_cipher.decrypt_str(row["magnet_enc"], f"sources.magnet:{sid}") == src.magnet
        if src.torrent_url is None:
            assert row["torrent_url_enc"] is None
        else:
            url = field_cipher.decrypt_str(row["torrent_url_enc"], f"sources.torrent_url:{sid}")
            assert url == src.torrent_url
        assert row["info_hash_hmac"] == field_cipher.lookup_hash(info_hash)


def test_a_ciphertext_copied_to_another_row_fails_to_decrypt(
    published: tuple[SampleMarts, Path],
) -> None:
    _marts, catalog = published
    con = sqlite3.connect(catalog)
    (sid_a, magnet_a), (sid_b, _magnet_b) = con.execute(
        "SELECT source_id, magnet_enc FROM sources ORDER BY source_id LIMIT 2"
    ).fetchall()
    con.execute("UPDATE sources SET magnet_enc = ? WHERE source_id = ?", (magnet_a, sid_b))
    con.commit()
    moved = con.execute("SELECT magnet_enc FROM sources WHERE source_id = ?", (sid_b,)).fetchone()
    field_cipher = cipher()
    assert field_cipher.decrypt_str(magnet_a, f"sources.magnet:{sid_a}").startswith("magnet:")
    with pytest.raises(CryptoError, match="authentication"):
        field_cipher.decrypt(moved[0], f"sources.magnet:{sid_b}")


def test_a_ciphertext_moved_to_another_column_fails_to_decrypt(
    published: tuple[SampleMarts, Path],
) -> None:
    _marts, catalog = published
    row = _rows(catalog)[0]
    with pytest.raises(CryptoError):
        cipher().decrypt(row["magnet_enc"], f"sources.info_hash:{row['source_id']}")


def test_tampered_ciphertext_fails_to_decrypt(published: tuple[SampleMarts, Path]) -> None:
    _marts, catalog = published
    row = _rows(catalog)[0]
    blob = bytearray(row["magnet_enc"])
    blob[-1] ^= 0x01
    with pytest.raises(CryptoError):
        cipher().decrypt(bytes(blob), f"sources.magnet:{row['source_id']}")


def test_another_master_key_cannot_open_the_catalog(published: tuple[SampleMarts, Path]) -> None:
    _marts, catalog = published
    row = _rows(catalog)[0]
    with pytest.raises(CryptoError, match="different key"):
        FieldCipher(b"some-other-master-secret-0123456789").decrypt(
            row["magnet_enc"], f"sources.magnet:{row['source_id']}"
        )


def test_every_value_has_a_fresh_nonce_and_republishing_re_encrypts(tmp_path: Path) -> None:
    publish_sample(tmp_path / "a.sqlite", run_id="a")
    publish_sample(tmp_path / "b.sqlite", run_id="b")
    blobs: list[bytes] = []
    for path in (tmp_path / "a.sqlite", tmp_path / "b.sqlite"):
        for row in _rows(path):
            blobs += [row["info_hash_enc"], row["magnet_enc"]]
            if row["torrent_url_enc"] is not None:
                blobs.append(row["torrent_url_enc"])
    nonces = [blob[NONCE] for blob in blobs]
    assert len(set(nonces)) == len(nonces)
    assert len(set(blobs)) == len(blobs)  # same plaintext, different ciphertext each time
