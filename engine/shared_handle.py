"""One torrent handle shared by several streamed files (episodes of one season pack).

Each streamed file (an :class:`engine.torrents.ActiveTorrent`) plans its own pieces and
talks to a :class:`HandleView`; the :class:`SharedHandle` behind the views merges what they
ask of the one libtorrent handle:

* piece priorities: the element-wise maximum of every view's last vector, so a file's
  window is never switched off by another file's plan (one view: its vector as it is);
* deadlines: a piece keeps its deadline while any view holds one on it (a reset from one
  view does not cancel another's time-critical piece: only boundary pieces are shared);
* pause: the handle pauses only when every view asks to, and resumes when any view does;
* a view that leaves (:meth:`HandleView.detach`) takes its vector and deadlines with it.

Everything else (bitfield, reads, stats) goes straight to the handle.
"""

from __future__ import annotations

import itertools
import threading
from typing import TYPE_CHECKING

from engine.lt import TorrentStats

if TYPE_CHECKING:
    from engine.torrents import TorrentHandle


class SharedHandle:
    """The merge point of the views of one handle (thread-safe)."""

    def __init__(self, handle: TorrentHandle) -> None:
        self.handle = handle
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._vectors: dict[int, list[int]] = {}
        self._deadlines: dict[int, set[int]] = {}
        self._paused: dict[int, bool] = {}

    def view(self) -> HandleView:
        """A new view (a new streamed file); a paused handle resumes for it."""
        with self._lock:
            view_id = next(self._ids)
            self._deadlines[view_id] = set()
            was_paused = bool(self._paused) and all(self._paused.values())
            self._paused[view_id] = False
        if was_paused:
            self.handle.resume()
        return HandleView(self, view_id)

    def views(self) -> int:
        with self._lock:
            return len(self._paused)

    # --- called by the views --------------------------------------------------------------

    def prioritize(self, view_id: int, priorities: list[int]) -> None:
        with self._lock:
            self._vectors[view_id] = priorities
            merged = self._merged()
            self.handle.prioritize_pieces(merged)

    def set_deadline(self, view_id: int, piece: int, deadline_ms: int) -> None:
        with self._lock:
            self._deadlines.setdefault(view_id, set()).add(piece)
            self.handle.set_piece_deadline(piece, deadline_ms)

    def reset_deadline(self, view_id: int, piece: int) -> None:
        with self._lock:
            self._deadlines.get(view_id, set()).discard(piece)
            if not any(piece in held for held in self._deadlines.values()):
                self.handle.reset_piece_deadline(piece)

    def pause(self, view_id: int) -> None:
        with self._lock:
            self._paused[view_id] = True
            if all(self._paused.values()):
                self.handle.pause()

    def resume(self, view_id: int) -> None:
        with self._lock:
            self._paused[view_id] = False
            self.handle.resume()

    def detach(self, view_id: int) -> None:
        """The view's file is no longer streamed: its wants go, the others' stay."""
        with self._lock:
            self._paused.pop(view_id, None)
            dropped = self._deadlines.pop(view_id, set())
            had_vector = self._vectors.pop(view_id, None) is not None
            for piece in dropped:
                if not any(piece in held for held in self._deadlines.values()):
                    self.handle.reset_piece_deadline(piece)
            if had_vector and self._vectors:
                self.handle.prioritize_pieces(self._merged())
            if self._paused and all(self._paused.values()):
                self.handle.pause()  # the files left all asked to pause: this one held it

    def _merged(self) -> list[int]:
        vectors = list(self._vectors.values())
        if len(vectors) == 1:
            return vectors[0]
        return [max(column) for column in itertools.zip_longest(*vectors, fillvalue=0)]


class HandleView:
    """What one streamed file sees of the shared handle (a ``TorrentHandle``)."""

    def __init__(self, shared: SharedHandle, view_id: int) -> None:
        self.shared = shared
        self.view_id = view_id
        self.info_hash = shared.handle.info_hash

    def have_pieces(self) -> list[bool]:
        return self.shared.handle.have_pieces()

    def set_piece_deadline(self, piece: int, deadline_ms: int) -> None:
        self.shared.set_deadline(self.view_id, piece, deadline_ms)

    def reset_piece_deadline(self, piece: int) -> None:
        self.shared.reset_deadline(self.view_id, piece)

    def prioritize_pieces(self, priorities: list[int]) -> None:
        self.shared.prioritize(self.view_id, priorities)

    def prioritize_files(self, priorities: list[int]) -> None:
        self.shared.handle.prioritize_files(priorities)  # naive mode: one file at a time

    def set_sequential(self, on: bool) -> None:
        self.shared.handle.set_sequential(on)

    def hold_requests(self, on: bool) -> None:
        self.shared.handle.hold_requests(on)

    def read_piece(self, piece: int) -> None:
        self.shared.handle.read_piece(piece)

    def partial_pieces(self) -> set[int]:
        return self.shared.handle.partial_pieces()

    def stats(self) -> TorrentStats:
        return self.shared.handle.stats()

    def pause(self) -> None:
        self.shared.pause(self.view_id)

    def resume(self) -> None:
        self.shared.resume(self.view_id)

    def detach(self) -> None:
        self.shared.detach(self.view_id)
