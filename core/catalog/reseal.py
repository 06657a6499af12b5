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

from core.catalog.contract import (
    LookupHasher,
    SourceTable,
    info_hash_hmac,
    secret_aad,
    source_id_for,
)

TABLES: tuple[SourceTable, ...] = ("sources", "show_sources")  # whitelisted table names


class Opener(Protocol):
    def decrypt_str(self, blob: bytes, aad: str) -> str: ...


class Sealer(LookupHasher, Protocol):
    def encrypt(self, plaintext: str | bytes, aad: str) -> bytes: ...


def reseal_catalog(catalog_path: Path, old: Opener, new: Sealer) -> int:
    """Write a re-sealed copy of the catalog and swap it in; returns the sources re-sealed
    (movie sources and show sources)."""
    if not catalog_path.exists():
        return 0
    tmp_path = catalog_path.with_name(f"{catalog_path.name}.rotate.tmp")
    tmp_path.unlink(missing_ok=True)
    source = sqlite3.connect(f"{catalog_path.resolve().as_uri()}?mode=ro", uri=True)
    target = sqlite3.connect(tmp_path, isolation_level=None)
    try:
        source.backup(target)
        target.execute("BEGIN")
        count = sum(_reseal_table(target, table, old, new) for table in TABLES)
        target.execute("COMMIT")
        target.execute("VACUUM")  # no old ciphertext left in free pages
    finally:
        source.close()
        target.close()
    os.replace(tmp_path, catalog_path)
    return count


def _reseal_table(target: sqlite3.Connection, table: SourceTable, old: Opener, new: Sealer) -> int:
    """Re-seal every row of ``table``; a show source's new id follows in ``episode_sources``.
    A catalog older than the table (schema < 3) has nothing to re-seal in it."""
    known = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
    if target.execute(known, (table,)).fetchone() is None:
        return 0
    rows = target.execute(
        f"SELECT source_id, info_hash_enc, magnet_enc, torrent_url_enc FROM {table}"
    ).fetchall()
    for source_id, info_hash_enc, magnet_enc, torrent_url_enc in rows:
        info_hash = old.decrypt_str(info_hash_enc, secret_aad("info_hash", source_id, table))
        magnet = old.decrypt_str(magnet_enc, secret_aad("magnet", source_id, table))
        url = (
            old.decrypt_str(torrent_url_enc, secret_aad("torrent_url", source_id, table))
            if torrent_url_enc is not None
            else None
        )
        new_id = source_id_for(new, info_hash)
        target.execute(
            f"UPDATE {table} SET source_id = ?, info_hash_hmac = ?, info_hash_enc = ?,"
            " magnet_enc = ?, torrent_url_enc = ? WHERE source_id = ?",
            (
                new_id,
                info_hash_hmac(new, info_hash),
                new.encrypt(info_hash, secret_aad("info_hash", new_id, table)),
                new.encrypt(magnet, secret_aad("magnet", new_id, table)),
                new.encrypt(url, secret_aad("torrent_url", new_id, table)) if url else None,
                source_id,
            ),
        )
        if table == "show_sources":
            target.execute(
                "UPDATE episode_sources SET source_id = ? WHERE source_id = ?",
                (new_id, source_id),
            )
    return len(rows)
