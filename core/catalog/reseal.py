"""Re-encrypt a published catalog under a new master key (``miauflix keys rotate``).

A copy of the catalog is re-sealed (new lookup hash, new source id derived from it, every
secret encrypted again under its new row label, exactly what the next publish would write)
and swapped in with one rename, like publish: readers finish on the old file.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Protocol

from core.catalog.contract import LookupHasher, info_hash_hmac, secret_aad, source_id_for


class Opener(Protocol):
    def decrypt_str(self, blob: bytes, aad: str) -> str: ...


class Sealer(LookupHasher, Protocol):
    def encrypt(self, plaintext: str | bytes, aad: str) -> bytes: ...


def reseal_catalog(catalog_path: Path, old: Opener, new: Sealer) -> int:
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
            info_hash = old.decrypt_str(info_hash_enc, secret_aad("info_hash", source_id))
            magnet = old.decrypt_str(magnet_enc, secret_aad("magnet", source_id))
            url = (
                old.decrypt_str(torrent_url_enc, secret_aad("torrent_url", source_id))
                if torrent_url_enc is not None
                else None
            )
            new_id = source_id_for(new, info_hash)
            target.execute(
                "UPDATE sources SET source_id = ?, info_hash_hmac = ?, info_hash_enc = ?,"
                " magnet_enc = ?, torrent_url_enc = ? WHERE source_id = ?",
                (
                    new_id,
                    info_hash_hmac(new, info_hash),
                    new.encrypt(info_hash, secret_aad("info_hash", new_id)),
                    new.encrypt(magnet, secret_aad("magnet", new_id)),
                    new.encrypt(url, secret_aad("torrent_url", new_id)) if url else None,
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
