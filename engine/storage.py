"""Per-source storage records and resume data, under the engine's download directory.

Layout::

    <download_dir>/engine.sqlite            one row per torrent ever added (until evicted)
    <download_dir>/resume/<hash>.fastresume libtorrent resume data (restart without recheck)
    <download_dir>/resume/<hash>.torrent    its metadata (resume data does not carry it)
    <download_dir>/data/<hash>/...          the torrent's files

Records survive the torrent leaving the session, so eviction can pick the least recently
used data even after a restart.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS torrents (
    info_hash TEXT PRIMARY KEY, source_id TEXT NOT NULL, name TEXT NOT NULL,
    file_path TEXT NOT NULL, file_size INTEGER NOT NULL, num_pieces INTEGER NOT NULL,
    pieces_have INTEGER NOT NULL, bytes_have INTEGER NOT NULL,
    added_at REAL NOT NULL, last_access REAL NOT NULL, state TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class StorageRecord:
    info_hash: str
    source_id: str
    name: str
    file_path: str
    file_size: int
    num_pieces: int
    pieces_have: int
    bytes_have: int
    added_at: float  # unix seconds
    last_access: float
    state: str  # streaming | idle | paused | stored

    @property
    def progress(self) -> float:
        return self.bytes_have / self.file_size if self.file_size else 0.0


class StorageStore:
    """Thread-safe access to records, resume data and data directories."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.data_root = root / "data"
        self.resume_root = root / "resume"
        for path in (self.root, self.data_root, self.resume_root):
            path.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(root / "engine.sqlite", check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)

    def save_path(self, info_hash: str) -> Path:
        return self.data_root / info_hash

    def upsert(self, record: StorageRecord) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO torrents VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(info_hash) DO "
                "UPDATE SET source_id=excluded.source_id, pieces_have=excluded.pieces_have, "
                "bytes_have=excluded.bytes_have, last_access=excluded.last_access, "
                "state=excluded.state",
                (
                    record.info_hash, record.source_id, record.name, record.file_path,
                    record.file_size, record.num_pieces, record.pieces_have, record.bytes_have,
                    record.added_at, record.last_access, record.state,
                ),
            )  # fmt: skip
            self._db.commit()

    def get(self, info_hash: str) -> StorageRecord | None:
        with self._lock:
            row = self._db.execute(
                "SELECT * FROM torrents WHERE info_hash = ?", (info_hash,)
            ).fetchone()
        return StorageRecord(*row) if row else None

    def records(self) -> list[StorageRecord]:
        """All records, least recently used first."""
        with self._lock:
            rows = self._db.execute("SELECT * FROM torrents ORDER BY last_access").fetchall()
        return [StorageRecord(*row) for row in rows]

    def total_bytes(self) -> int:
        with self._lock:
            (total,) = self._db.execute(
                "SELECT COALESCE(SUM(bytes_have), 0) FROM torrents"
            ).fetchone()
        return int(total)

    # --- resume data -------------------------------------------------------------------

    def resume_path(self, info_hash: str) -> Path:
        return self.resume_root / f"{info_hash}.fastresume"

    def write_resume(self, info_hash: str, data: bytes) -> None:
        target = self.resume_path(info_hash)
        partial = target.with_suffix(".tmp")
        partial.write_bytes(data)
        os.replace(partial, target)

    def read_resume(self, info_hash: str) -> bytes | None:
        path = self.resume_path(info_hash)
        return path.read_bytes() if path.exists() else None

    def torrent_path(self, info_hash: str) -> Path:
        return self.resume_root / f"{info_hash}.torrent"

    def write_torrent(self, info_hash: str, data: bytes) -> None:
        target = self.torrent_path(info_hash)
        if not target.exists():
            partial = target.with_suffix(".tmp")
            partial.write_bytes(data)
            os.replace(partial, target)

    def read_torrent(self, info_hash: str) -> bytes | None:
        path = self.torrent_path(info_hash)
        return path.read_bytes() if path.exists() else None

    # --- removal -------------------------------------------------------------------------

    def forget(self, info_hash: str, *, delete_data: bool) -> None:
        """Drop the record and the resume data; with ``delete_data`` the files too."""
        with self._lock:
            self._db.execute("DELETE FROM torrents WHERE info_hash = ?", (info_hash,))
            self._db.commit()
        self.resume_path(info_hash).unlink(missing_ok=True)
        self.torrent_path(info_hash).unlink(missing_ok=True)
        if delete_data:
            shutil.rmtree(self.save_path(info_hash), ignore_errors=True)

    def close(self) -> None:
        with self._lock:
            self._db.close()
