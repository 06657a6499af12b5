"""What the engine saw when it played a source: ``<data_dir>/source_outcomes.sqlite``.

The engine appends one event per thing that happened to a source (see :data:`KINDS`): it
was opened (``ms`` = time to a playable torrent, ``peers`` = peers connected then), its first
body byte went out (``ms`` since the range request started), a stream stalled, metadata
never came, the torrent could not be fetched, or it holds no playable file. ``peers`` is
the number of connected peers and ``rate`` the payload download rate (bytes/s) at that time.

Events are keyed by the catalog's public ``source_id`` only, never by an info hash or a
magnet (:func:`OutcomeWriter.append` refuses anything that looks like one). A source id is
a keyed hash of the info hash, so a master-key rotation gives every source a new id and
resets its history (docs/decisions.md). The file is WAL, bounded (:data:`MAX_ROWS` newest
events, none older than :data:`RETENTION`), written by the engine and read (read-only) by
the pipeline's ingest task, which lands new events in ``raw_engine_outcomes``. Ids only
grow (``AUTOINCREMENT``), so ``event_id`` is the ingest watermark.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from core.clock import utcnow
from core.errors import MiauflixError

FILE_NAME = "source_outcomes.sqlite"
KINDS: tuple[str, ...] = (
    "opened",
    "first_byte",
    "stalled",
    "metadata_timeout",
    "unreachable",
    "no_playable_file",
)
FAILURE_KINDS: tuple[str, ...] = ("metadata_timeout", "unreachable", "no_playable_file")
MAX_ROWS = 200_000
RETENTION = timedelta(days=30)
PRUNE_EVERY = 500  # appended events between two prunes

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outcomes (
    event_id  INTEGER PRIMARY KEY AUTOINCREMENT,
    source_id TEXT NOT NULL,   -- the catalog's public source id (never an info hash)
    kind      TEXT NOT NULL,   -- one of KINDS
    ms        REAL,            -- milliseconds (opened: to a playable torrent; first_byte)
    peers     INTEGER,         -- connected peers at the time
    rate      REAL,            -- payload download rate, bytes/s
    at        TEXT NOT NULL    -- ISO-8601 naive UTC
);
CREATE INDEX IF NOT EXISTS idx_outcomes_at ON outcomes (at);
"""
_SECRET_LIKE = re.compile(r"(?i)^(?:[0-9a-f]{40}|[0-9a-f]{64}|[a-z2-7]{32})$|magnet:|btih")


class OutcomeError(MiauflixError):
    """An outcome event was refused (it would store a secret) or the file is unusable."""


@dataclass(frozen=True)
class OutcomeEvent:
    source_id: str
    kind: str
    ms: float | None = None
    peers: int | None = None
    rate: float | None = None
    at: datetime | None = None  # naive UTC; now when None


@dataclass(frozen=True)
class StoredOutcome:
    event_id: int
    source_id: str
    kind: str
    ms: float | None
    peers: int | None
    rate: float | None
    at: str


def outcomes_path(data_dir: Path) -> Path:
    return Path(data_dir) / FILE_NAME


def looks_secret(value: str) -> bool:
    """True for a plaintext info hash (v1 hex/base32, v2 hex) or a magnet link."""
    return bool(_SECRET_LIKE.search(value.strip()))


class OutcomeWriter:
    """Appends events (thread-safe; one connection per writer, ``busy_timeout`` for others)."""

    def __init__(
        self, path: Path, *, max_rows: int = MAX_ROWS, retention: timedelta = RETENTION
    ) -> None:
        self.path = Path(path)
        self.max_rows = max_rows
        self.retention = retention
        self._lock = threading.Lock()
        self._since_prune = 0
        self._con: sqlite3.Connection | None = None

    def _connection(self) -> sqlite3.Connection:
        if self._con is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            con = sqlite3.connect(self.path, timeout=10, check_same_thread=False)
            con.execute("PRAGMA busy_timeout=10000")
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=NORMAL")
            con.executescript(_SCHEMA)
            self._con = con
        return self._con

    def append(self, events: Iterable[OutcomeEvent]) -> int:
        """Store ``events`` in one transaction; returns how many. Refuses secrets."""
        rows = []
        for event in events:
            if not event.source_id or looks_secret(event.source_id):
                raise OutcomeError("an outcome must be keyed by the catalog's source id")
            at = (event.at or utcnow()).isoformat(sep=" ", timespec="milliseconds")
            rows.append((event.source_id, event.kind, event.ms, event.peers, event.rate, at))
        if not rows:
            return 0
        with self._lock:
            con = self._connection()
            with con:
                con.executemany(
                    "INSERT INTO outcomes (source_id, kind, ms, peers, rate, at) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    rows,
                )
            self._since_prune += len(rows)
            if self._since_prune >= PRUNE_EVERY:
                self._prune(con)
        return len(rows)

    def prune(self) -> int:
        with self._lock:
            return self._prune(self._connection())

    def _prune(self, con: sqlite3.Connection) -> int:
        """Keep the newest ``max_rows`` events and none older than ``retention``."""
        self._since_prune = 0
        cutoff = (utcnow() - self.retention).isoformat(sep=" ", timespec="milliseconds")
        with con:
            old = con.execute("DELETE FROM outcomes WHERE at < ?", (cutoff,)).rowcount
            extra = con.execute(
                "DELETE FROM outcomes WHERE event_id <= (SELECT max(event_id) FROM outcomes) - ?",
                (self.max_rows,),
            ).rowcount
        return old + extra

    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                self._con.close()
                self._con = None


def read_outcomes(path: Path, *, after_id: int = 0, limit: int = 100_000) -> list[StoredOutcome]:
    """Events with ``event_id > after_id``, oldest first (read-only; [] when no file)."""
    path = Path(path)
    if not path.exists():
        return []
    try:
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=10)
    except sqlite3.Error as exc:
        raise OutcomeError(f"{path.name} cannot be opened: {exc}") from exc
    try:
        rows = con.execute(
            "SELECT event_id, source_id, kind, ms, peers, rate, at FROM outcomes "
            "WHERE event_id > ? ORDER BY event_id LIMIT ?",
            (after_id, limit),
        ).fetchall()
    except sqlite3.Error as exc:
        raise OutcomeError(f"{path.name} cannot be read: {exc}") from exc
    finally:
        con.close()
    return [StoredOutcome(*row) for row in rows]


def max_event_id(path: Path) -> int:
    """The newest event id in the file (0 when empty, missing or unreadable)."""
    path = Path(path)
    if not path.exists():
        return 0
    try:
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=10)
        try:
            row = con.execute("SELECT coalesce(max(event_id), 0) FROM outcomes").fetchone()
        finally:
            con.close()
    except sqlite3.Error:
        return 0
    return int(row[0])
