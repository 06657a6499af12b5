"""The extra files of open torrents: episodes of a season pack streamed beside the first.

The engine keeps one :class:`~engine.torrents.ActiveTorrent` per info-hash (the torrent's
first streamed file: limits, eviction, status and resume data follow it). A request for
another episode of a pack whose file is being read (another person in the household, the
player prefetching the next episode) gets an extra ``ActiveTorrent`` on the same handle
through its own :class:`~engine.shared_handle.HandleView`: its own readers, cursors,
deadlines and window, merged with the others' by the shared handle. This registry holds
those extra files (thread-safe), at most ``limit`` per torrent.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from engine.torrents import ActiveTorrent

MAX_EXTRA_FILES = 3  # per torrent, besides the first: four episodes of one pack at once


class PackFiles:
    """info-hash -> file index -> the extra :class:`ActiveTorrent` streaming that file."""

    def __init__(self, limit: int | None = None) -> None:
        self.limit = MAX_EXTRA_FILES if limit is None else limit
        self._lock = threading.Lock()
        self._files: dict[str, dict[int, ActiveTorrent]] = {}

    def get(self, info_hash: str, index: int) -> ActiveTorrent | None:
        with self._lock:
            return self._files.get(info_hash, {}).get(index)

    def of(self, info_hash: str) -> list[ActiveTorrent]:
        with self._lock:
            return list(self._files.get(info_hash, {}).values())

    def all(self) -> list[ActiveTorrent]:
        with self._lock:
            return [t for files in self._files.values() for t in files.values()]

    def full(self, info_hash: str) -> bool:
        with self._lock:
            return len(self._files.get(info_hash, {})) >= self.limit

    def add(self, torrent: ActiveTorrent) -> None:
        with self._lock:
            self._files.setdefault(torrent.info_hash, {})[torrent.main.index] = torrent

    def remove(self, torrent: ActiveTorrent) -> bool:
        """Take ``torrent`` out (True when it was registered); the caller closes it."""
        with self._lock:
            files = self._files.get(torrent.info_hash, {})
            if files.get(torrent.main.index) is not torrent:
                return False
            del files[torrent.main.index]
            if not files:
                self._files.pop(torrent.info_hash, None)
            return True

    def pop_all(self, info_hash: str) -> list[ActiveTorrent]:
        with self._lock:
            return list(self._files.pop(info_hash, {}).values())

    def idle(self, info_hash: str, seconds: float) -> list[ActiveTorrent]:
        """Extra files of ``info_hash`` nobody has read for ``seconds``."""
        return [t for t in self.of(info_hash) if t.idle_seconds() >= seconds]


def readers(torrents: Iterable[ActiveTorrent]) -> int:
    return sum(t.reader_count() for t in torrents)
