"""What writers and readers of ``catalog.sqlite`` agree on: schema, ids, secret labels.

Secrets (info hash, magnet, torrent URL) are stored only as AES-GCM blobs whose associated
data binds them to their row and column (:func:`secret_aad`); a source is found by a keyed
hash of its info hash (``info_hash_hmac``), never by deterministic encryption. A source's
public id is derived from the same keyed hash (:func:`source_id_for`), so it is stable
between publishes and changes only with the master key.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Literal, Protocol

from core.errors import MiauflixError

SCHEMA_PATH = Path(__file__).with_name("schema.sql")
SCHEMA_VERSION = 4  # 2: sources.available/unavailable_reason/reliability_note; 3: TV shows
"""Written to ``catalog_version.schema_version`` and ``PRAGMA user_version``. 4:
``show_sources.last_episode_number`` (the episodes a multi-episode release holds); readers
refuse any other version, and the next sync republishes a catalog stamped with another."""

PROFILES = ("web", "tv")
"""Ranking profiles: each has ``score_<profile>`` and ``rank_<profile>`` columns."""

SecretColumn = Literal["info_hash", "magnet", "torrent_url"]
SECRET_COLUMNS: tuple[SecretColumn, ...] = ("info_hash", "magnet", "torrent_url")


class CatalogError(MiauflixError):
    """Root of the errors about the published catalog."""


class CatalogUnavailable(CatalogError):
    """No catalog has been published yet, or the file is not a readable catalog."""

    code = "catalog_unavailable"


class SourceNotFound(CatalogError):
    """The catalog has no such source (or no source for the movie and profile)."""

    code = "source_not_found"


class SecretUnreadable(CatalogError):
    """An encrypted value of a source could not be opened (wrong key, moved or tampered)."""

    code = "source_unavailable"


class LookupHasher(Protocol):
    """What ids need: a ``FieldCipher`` or a ``Keyring`` (its current key)."""

    def lookup_hash(self, value: str) -> str: ...


def normalise_info_hash(info_hash: str) -> str:
    return info_hash.strip().lower()


def source_id_for(hasher: LookupHasher, info_hash: str) -> str:
    """The stable public id of a source: a keyed hash of its (lowercase) info hash."""
    return hasher.lookup_hash("source:" + normalise_info_hash(info_hash))[:24]


def info_hash_hmac(hasher: LookupHasher, info_hash: str) -> str:
    """The ``info_hash_hmac`` lookup column for ``info_hash``."""
    return hasher.lookup_hash(normalise_info_hash(info_hash))


SourceTable = Literal["sources", "show_sources"]
"""Tables holding encrypted torrent secrets: movie sources and show (episode/pack) sources."""


def secret_aad(column: SecretColumn, source_id: str, table: SourceTable = "sources") -> str:
    """Associated data binding an encrypted ``<column>_enc`` value to its source row."""
    return f"{table}.{column}:{source_id}"


def connect_readonly(path: Path, *, timeout: float = 5.0) -> sqlite3.Connection:
    """A ``mode=ro`` connection to the catalog file (rows as :class:`sqlite3.Row`)."""
    path = Path(path)
    if not path.exists():
        raise CatalogUnavailable(f"no catalog published at {path}")
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=timeout)
    except sqlite3.Error as exc:
        raise CatalogUnavailable(f"catalog {path.name} cannot be opened: {exc}") from exc
    conn.row_factory = sqlite3.Row
    return conn


def version_stamp(path: Path) -> tuple[str, int] | None:
    """``(published_at, schema_version)`` of the catalog at ``path``, or None when there is
    no readable catalog."""
    try:
        conn = connect_readonly(path)
    except CatalogUnavailable:
        return None
    try:
        row = conn.execute("SELECT published_at, schema_version FROM catalog_version").fetchone()
    except sqlite3.Error:
        return None
    finally:
        conn.close()
    if row is None or not row[0] or row[1] is None:
        return None
    return str(row[0]), int(row[1])
