"""Read-only snapshots of the published ``catalog.sqlite`` for a long-running reader (the API).

The catalog is an immutable file that publish replaces with an atomic rename. Each thread
keeps one ``mode=ro`` connection and, on every request, compares the file's identity
(inode, device, mtime, size: one ``stat``) with the one it opened: a newly published catalog
is picked up without a restart, while requests already running finish on the old file.
Per-connection caches (config, genre names) are therefore always consistent with the file.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.catalog.contract import SCHEMA_VERSION, CatalogUnavailable


@dataclass(frozen=True)
class CatalogVersion:
    run_id: str
    published_at: str
    schema_version: int
    counts: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "published_at": self.published_at,
            "schema_version": self.schema_version,
            "counts": self.counts,
        }


@dataclass
class CatalogSnapshot:
    """One open catalog file: its connection, version row and small caches."""

    connection: sqlite3.Connection
    version: CatalogVersion
    identity: tuple[int, int, int, int]
    cache: dict[Any, Any] = field(default_factory=dict)

    def query(self, sql: str, params: tuple[Any, ...] | list[Any] = ()) -> list[sqlite3.Row]:
        return self.connection.execute(sql, params).fetchall()

    def config(self) -> dict[str, str]:
        """The ``config`` table as a dict (cached: the file never changes)."""
        if "config" not in self.cache:
            self.cache["config"] = {
                row["key"]: row["value"] for row in self.query("SELECT key, value FROM config")
            }
        return dict(self.cache["config"])

    def genre_names(self, language: str) -> dict[int, str]:
        """Genre id -> name in ``language``, falling back to English, then any name."""
        key = ("genres", language)
        if key not in self.cache:
            rows = self.query(
                "SELECT genre_id, COALESCE(MAX(CASE WHEN language = ? THEN name END),"
                " MAX(CASE WHEN language = 'en' THEN name END), MIN(name)) AS name"
                " FROM genres GROUP BY genre_id",
                (language,),
            )
            self.cache[key] = {int(row["genre_id"]): str(row["name"]) for row in rows}
        return dict(self.cache[key])


class CatalogReader:
    """Hands out the current catalog snapshot for the calling thread."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._local = threading.local()

    def snapshot(self) -> CatalogSnapshot:
        """The snapshot for the current file; reopens when a new catalog was published."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            raise CatalogUnavailable("no catalog has been published yet") from None
        identity = (st.st_ino, st.st_dev, st.st_mtime_ns, st.st_size)
        held: CatalogSnapshot | None = getattr(self._local, "snapshot", None)
        if held is not None and held.identity == identity:
            return held
        if held is not None:
            held.connection.close()
            self._local.snapshot = None
        snapshot = self._open(identity)
        self._local.snapshot = snapshot
        return snapshot

    def version(self) -> CatalogVersion | None:
        """The published version, or ``None`` before the first publish."""
        try:
            return self.snapshot().version
        except CatalogUnavailable:
            return None

    def close(self) -> None:
        """Close this thread's connection (other threads close theirs when they end)."""
        held: CatalogSnapshot | None = getattr(self._local, "snapshot", None)
        if held is not None:
            held.connection.close()
            self._local.snapshot = None

    def _open(self, identity: tuple[int, int, int, int]) -> CatalogSnapshot:
        uri = self.path.resolve().as_uri() + "?mode=ro"
        try:
            con = sqlite3.connect(uri, uri=True)
        except sqlite3.Error as exc:
            raise CatalogUnavailable(f"catalog {self.path.name} cannot be opened: {exc}") from exc
        con.row_factory = sqlite3.Row
        try:
            con.execute("PRAGMA query_only=1")
            con.execute("PRAGMA mmap_size=268435456")
            row = con.execute(
                "SELECT run_id, published_at, schema_version, counts FROM catalog_version"
            ).fetchone()
            if row is None:
                raise CatalogUnavailable(f"catalog {self.path.name} has no version row")
            version = CatalogVersion(
                run_id=str(row["run_id"]),
                published_at=str(row["published_at"]),
                schema_version=int(row["schema_version"]),
                counts={str(k): int(v) for k, v in json.loads(row["counts"]).items()},
            )
            if version.schema_version != SCHEMA_VERSION:
                raise CatalogUnavailable(
                    f"catalog {self.path.name} has schema v{version.schema_version}; this "
                    f"Miauflix reads v{SCHEMA_VERSION}: run `miauflix sync` to publish it anew"
                )
        except (sqlite3.Error, ValueError, TypeError, AttributeError) as exc:
            con.close()
            raise CatalogUnavailable(f"catalog {self.path.name} is not readable: {exc}") from exc
        except CatalogUnavailable:
            con.close()
            raise
        return CatalogSnapshot(connection=con, version=version, identity=identity)
