"""``miauflix keys rotate``: a new master secret, everything re-encrypted, no reader downtime.

Steps (each safe to crash after; re-running finishes the job):

1. Write the new master into ``secret.keys.d/<kid>.key`` and keep the old one there too, so
   any :class:`~core.crypto.Keyring` that meets a new key id finds it on reload.
2. Atomically replace ``secret.key`` with the new master (temp file + ``os.replace``).
3. ``catalog.sqlite``: copy it, re-seal every source under the new key (new lookup hash,
   new ``source_id`` derived from it, the same as the next publish would write), and swap
   the copy in with one rename, like publish; readers finish on the old file.
4. ``app.sqlite``: re-encrypt ``user_secrets`` in small transactions (WAL: readers go on).

The old master stays in ``secret.keys.d/`` so in-flight JWTs keep verifying until they
expire; ``miauflix keys prune`` (or deleting the file) retires it.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from core.atomic import write_atomic
from core.crypto import FieldCipher, Keyring, keyring_dir
from core.errors import MiauflixError
from core.settings import Settings

BATCH = 500


class KeyRotationError(MiauflixError):
    """The keys could not be rotated (the message says which file or setting)."""


@dataclass(frozen=True)
class RotationSummary:
    old_key_id: str
    new_key_id: str
    catalog_sources: int
    app_secrets: int


def _write_private(path: Path, data: bytes) -> None:
    write_atomic(path, data, dir_mode=0o700)


def _keep(key_path: Path, master: bytes) -> None:
    path = keyring_dir(key_path) / f"{FieldCipher(master).key_id.hex()}.key"
    if not path.exists():
        _write_private(path, master)


def reencrypt_catalog(catalog_path: Path, old: Keyring, new: FieldCipher) -> int:
    """Write a re-sealed copy of the catalog and swap it in; returns the sources re-sealed."""
    if not catalog_path.exists():
        return 0
    tmp_path = catalog_path.with_name(f"{catalog_path.name}.rotate.tmp")
    tmp_path.unlink(missing_ok=True)
    source = sqlite3.connect(f"{catalog_path.resolve().as_uri()}?mode=ro", uri=True)
    target = sqlite3.connect(tmp_path, isolation_level=None)
    try:
        source.backup(target)
        rows = target.execute(
            "SELECT source_id, info_hash_enc, magnet_enc, torrent_url_enc FROM sources"
        ).fetchall()
        target.execute("BEGIN")
        for source_id, info_hash_enc, magnet_enc, torrent_url_enc in rows:
            info_hash = old.decrypt_str(info_hash_enc, f"sources.info_hash:{source_id}")
            magnet = old.decrypt_str(magnet_enc, f"sources.magnet:{source_id}")
            url = (
                old.decrypt_str(torrent_url_enc, f"sources.torrent_url:{source_id}")
                if torrent_url_enc is not None
                else None
            )
            new_id = new.lookup_hash("source:" + info_hash.strip().lower())[:24]
            target.execute(
                "UPDATE sources SET source_id = ?, info_hash_hmac = ?, info_hash_enc = ?,"
                " magnet_enc = ?, torrent_url_enc = ? WHERE source_id = ?",
                (
                    new_id,
                    new.lookup_hash(info_hash.strip().lower()),
                    new.encrypt(info_hash, f"sources.info_hash:{new_id}"),
                    new.encrypt(magnet, f"sources.magnet:{new_id}"),
                    new.encrypt(url, f"sources.torrent_url:{new_id}") if url else None,
                    source_id,
                ),
            )
        target.execute("COMMIT")
        target.execute("VACUUM")  # no old ciphertext left in free pages
    finally:
        source.close()
        target.close()
    os.replace(tmp_path, catalog_path)
    return len(rows)


def reencrypt_app_db(app_db_path: Path, old: Keyring, new: FieldCipher) -> int:
    """Re-seal ``user_secrets`` in batches of short transactions; returns rows re-sealed."""
    if not app_db_path.exists():
        return 0
    con = sqlite3.connect(app_db_path, isolation_level=None, timeout=10.0)
    done = 0
    try:
        tables = {row[0] for row in con.execute("SELECT name FROM sqlite_master")}
        if "user_secrets" not in tables:
            return 0
        current = new.key_id
        while True:
            rows = con.execute(
                "SELECT user_id, name, value_enc FROM user_secrets"
                " WHERE substr(value_enc, 3, 4) != ? LIMIT ?",
                (current, BATCH),
            ).fetchall()
            if not rows:
                break
            con.execute("BEGIN IMMEDIATE")
            for user_id, name, blob in rows:
                aad = f"user_secrets.value:{user_id}:{name}"
                con.execute(
                    "UPDATE user_secrets SET value_enc = ? WHERE user_id = ? AND name = ?",
                    (new.encrypt(old.decrypt(blob, aad), aad), user_id, name),
                )
            con.execute("COMMIT")
            done += len(rows)
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        con.close()
    return done


def rotate_keys(settings: Settings) -> RotationSummary:
    """Rotate the master secret and re-encrypt every secret at rest under it."""
    if settings.secret_key.get_secret_value():
        raise KeyRotationError(
            "MIAUFLIX_SECRET_KEY is set in the environment: rotation writes the key file "
            f"{settings.key_path}; unset the variable (the file then holds the master)"
        )
    old = Keyring.load(settings.key_path)
    new_master = secrets.token_urlsafe(48).encode()
    new = FieldCipher(new_master)
    for master in old.masters:
        _keep(settings.key_path, master)
    _keep(settings.key_path, new_master)
    _write_private(settings.key_path, new_master)
    keyring = Keyring.load(settings.key_path)  # new first, every old one still readable
    sources = reencrypt_catalog(settings.catalog_path, keyring, new)
    app_secrets = reencrypt_app_db(settings.app_db_path, keyring, new)
    return RotationSummary(old.key_id.hex(), new.key_id.hex(), sources, app_secrets)


def prune_keys(settings: Settings) -> list[str]:
    """Delete kept masters other than the current one; returns the key ids removed."""
    current = Keyring.load(settings.key_path, settings.secret_key.get_secret_value())
    removed = []
    folder = keyring_dir(settings.key_path)
    for path in sorted(folder.glob("*.key")) if folder.is_dir() else []:
        if path.stem != current.key_id.hex():
            path.unlink()
            removed.append(path.stem)
    return removed
