"""One torrent being streamed: its handle, its main file, its readers and their cursors.

Readers block in :meth:`ActiveTorrent.wait_piece` on a condition that the alert poller
signals from :meth:`ActiveTorrent.on_piece`; every cursor move or arrival re-plans and
applies the planner's actions to the handle (libtorrent queues those calls, so holding
the lock while making them is cheap).
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from engine.errors import EngineClosed
from engine.files import FileSpan, content_type, file_priorities
from engine.lt import FileEntry, TorrentMeta, TorrentStats
from engine.mp4 import locate_index
from engine.pieces import PRIO_WINDOW, Actions, PiecePlanner, PlannerConfig


class TorrentHandle(Protocol):
    """What an :class:`ActiveTorrent` needs from a libtorrent handle (fakes implement it)."""

    info_hash: str

    def have_pieces(self) -> list[bool]: ...
    def set_piece_deadline(self, piece: int, deadline_ms: int) -> None: ...
    def reset_piece_deadline(self, piece: int) -> None: ...
    def prioritize_pieces(self, priorities: list[int]) -> None: ...
    def prioritize_files(self, priorities: list[int]) -> None: ...
    def set_sequential(self, on: bool) -> None: ...
    def hold_requests(self, on: bool) -> None: ...
    def read_piece(self, piece: int) -> None: ...
    def partial_pieces(self) -> set[int]: ...
    def stats(self) -> TorrentStats: ...
    def pause(self) -> None: ...
    def resume(self) -> None: ...


@dataclass
class _Reader:
    user: str
    piece: int


_reader_ids = itertools.count(1)
MP4_TYPES = frozenset({"video/mp4", "video/quicktime"})


class ActiveTorrent:
    """A torrent in the session with metadata and a chosen file."""

    def __init__(
        self,
        *,
        source_id: str,
        handle: TorrentHandle,
        meta: TorrentMeta,
        main: FileEntry,
        save_path: Path,
        planner_config: PlannerConfig,
        naive: bool = False,
    ) -> None:
        self.source_id = source_id
        self.handle = handle
        self.meta = meta
        self.main = main
        self.save_path = save_path
        self.span = FileSpan.of(meta, main)
        self.content_type = content_type(main.path)
        self.naive = naive
        self._cond = threading.Condition()
        self._readers: dict[int, _Reader] = {}
        self._closed = False
        self.paused = False
        self.download_rate = 0.0
        self.last_access = time.monotonic()
        self.last_access_wall = time.time()
        self.planner = PiecePlanner(self.span, planner_config, handle.have_pieces())
        self.on_disk: set[int] = set()  # pieces whose bytes in the file were hash-checked
        self._reads: dict[int, tuple[bytes, str]] = {}  # piece -> (data, error) from read_piece
        self._read_waiters: dict[int, int] = {}  # piece -> callers waiting for its read
        self._extra: set[int] = set()  # pieces of other files asked for (subtitles), not here yet
        self._planned: list[int] | None = None  # the planner's last priority vector
        if naive:
            handle.prioritize_files(file_priorities(meta, main))
            handle.set_sequential(True)
        else:
            # piece priorities only: libtorrent applies file priorities later, on its disk
            # thread, and they would overwrite the planner's vector
            self._apply(self.planner.open(await_index=self.content_type in MP4_TYPES))
        handle.hold_requests(False)  # the engine adds torrents holding their requests

    # --- paths and facts -------------------------------------------------------------------

    @property
    def info_hash(self) -> str:
        return self.meta.info_hash

    @property
    def file_path(self) -> Path:
        return self.save_path / self.main.path

    @property
    def size(self) -> int:
        return self.main.size

    def pieces_have(self) -> int:
        with self._cond:
            return sum(self.planner.have)

    def file_bytes_have(self) -> int:
        with self._cond:
            have = self.planner.have
            span = self.span
            total = 0
            for piece in range(span.first_piece, span.last_piece + 1):
                if have[piece]:
                    start = max(piece * span.piece_length - span.offset, 0)
                    total += span.piece_end(piece) - start
            return total

    def has(self, piece: int) -> bool:
        return bool(self.planner.have[piece])

    # --- readers --------------------------------------------------------------------------

    def add_reader(self, user: str, position: int) -> int:
        with self._cond:
            if self._closed:
                raise EngineClosed(f"torrent of source {self.source_id} is closing")
            reader = next(_reader_ids)
            piece = self.span.piece_at(min(max(position, 0), max(self.size - 1, 0)))
            self._readers[reader] = _Reader(user, piece)
            self._touch()
            if self.paused:
                self.handle.resume()
                self.paused = False
            self.planner.set_cursor(reader, piece)
            self._replan()
            return reader

    def move_reader(self, reader: int, piece: int) -> None:
        with self._cond:
            state = self._readers.get(reader)
            if state is None or state.piece == piece:
                return
            state.piece = piece
            self._touch()
            self.planner.set_cursor(reader, piece)
            self._replan()

    def remove_reader(self, reader: int) -> None:
        with self._cond:
            if self._readers.pop(reader, None) is not None:
                self._touch()
                self.planner.drop_reader(reader)
                self._replan()

    def reader_count(self) -> int:
        with self._cond:
            return len(self._readers)

    def users(self) -> set[str]:
        with self._cond:
            return {r.user for r in self._readers.values()}

    def wait_piece(self, piece: int, timeout: float) -> bool:
        """Block until ``piece`` is verified (True) or ``timeout`` passes (False)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not self.planner.have[piece]:
                if self._closed:
                    raise EngineClosed(f"torrent of source {self.source_id} closed")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(min(remaining, 1.0))
            return True

    # --- events from the poller -----------------------------------------------------------

    def on_piece(self, piece: int) -> None:
        with self._cond:
            self._extra.discard(piece)
            if 0 <= piece < len(self.planner.have) and not self.planner.have[piece]:
                self.planner.mark_have(piece)
                self._cond.notify_all()
                self._replan()

    def sync_have(self, have: list[bool]) -> None:
        """Fold in the handle's bitfield (covers alerts that arrived before registration)."""
        with self._cond:
            fresh = [i for i, h in enumerate(have) if h and not self.planner.have[i]]
            for piece in fresh:
                self.planner.mark_have(piece)
                self._extra.discard(piece)
            if fresh:
                self._cond.notify_all()
                self._replan()

    def fetch_pieces(self, pieces: Iterable[int]) -> list[int]:
        """Download ``pieces`` of another file too (a subtitle file): a deadline now and the
        window's priority, kept through re-plans until each arrives; wakes a paused torrent
        and counts as an access. Returns the pieces still missing (wait with
        :meth:`wait_piece`)."""
        with self._cond:
            if self._closed:
                raise EngineClosed(f"torrent of source {self.source_id} is closing")
            self._touch()
            if self.paused:
                self.handle.resume()
                self.paused = False
            have = self.planner.have
            missing = sorted({p for p in pieces if 0 <= p < len(have) and not have[p]})
            # deadlines on every call: a seek of the stream resets those of its old band,
            # and this read may want one of those pieces too
            for k, piece in enumerate(missing):
                self.handle.set_piece_deadline(piece, k * 50)
            fresh = [p for p in missing if p not in self._extra]
            if fresh:
                self._extra.update(fresh)
                if self._planned is not None:
                    self.handle.prioritize_pieces(self._with_extra(self._planned))
            return missing

    def awaiting_index(self) -> bool:
        """The planner waits for the head's bytes to locate the container's index."""
        with self._cond:
            return self.planner.await_index

    def learn_head(self, head: bytes) -> None:
        """The file's first bytes: preload the MP4 index exactly where its box headers say
        it is (or the fixed tail when they do not tell)."""
        with self._cond:
            if not self.planner.await_index:
                return
            found = locate_index(head, self.size)
            if found is None or not self.planner.set_index(found.start, found.end):
                self.planner.index_unknown()
            self._replan()

    def on_piece_read(self, piece: int, data: bytes, error: str) -> None:
        """A ``read_piece`` answer (every file of a pack gets each one): kept only while a
        caller of :meth:`read_through_session` waits for that piece."""
        with self._cond:
            if piece in self._read_waiters:
                self._reads[piece] = (data, error)
                self._cond.notify_all()

    def read_through_session(self, piece: int, timeout: float) -> bytes | None:
        """The piece's bytes via libtorrent's disk thread (None on timeout or error).

        Callers reading the same piece at once (the stream and a subtitle or index read of
        a piece two files share) wait for one read and all take its answer: none may
        consume or discard another's."""
        deadline = time.monotonic() + timeout
        with self._cond:
            first = not self._read_waiters.get(piece)
            self._read_waiters[piece] = self._read_waiters.get(piece, 0) + 1
            try:
                if first:  # nothing is kept for a piece nobody waits for: ask anew
                    self.handle.read_piece(piece)
                while piece not in self._reads:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0 or self._closed:
                        return None
                    self._cond.wait(min(remaining, 1.0))
                data, error = self._reads[piece]
            finally:
                self._read_waiters[piece] -= 1
                if not self._read_waiters[piece]:
                    del self._read_waiters[piece]
                    self._reads.pop(piece, None)
        return data if not error else None

    def tick(self, stats: TorrentStats) -> None:
        """Periodic: fold in the measured rate and re-plan."""
        with self._cond:
            self.download_rate = 0.7 * self.download_rate + 0.3 * stats.download_rate
            self.planner.peers = stats.num_peers
            self._replan()

    def pause_if_idle(self, seconds: float) -> bool:
        """Pause when nobody has read or fetched for ``seconds`` (checked under the lock
        that :meth:`add_reader` takes, so a reader arriving meanwhile is never left on a
        paused handle); True when it paused now."""
        with self._cond:
            if self.paused or self._readers or time.monotonic() - self.last_access < seconds:
                return False
            self.handle.pause()
            self.paused = True
            return True

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def idle_seconds(self) -> float:
        with self._cond:
            if self._readers:
                return 0.0
            return time.monotonic() - self.last_access

    # --- internals --------------------------------------------------------------------------

    def _touch(self) -> None:
        self.last_access = time.monotonic()
        self.last_access_wall = time.time()

    def _replan(self) -> None:
        if not self.naive and not self._closed:  # closed: the handle is another's now
            self.planner.set_in_flight(self.handle.partial_pieces())
            self._apply(self.planner.update(self.download_rate))

    def _with_extra(self, priorities: list[int]) -> list[int]:
        """The planner's vector with the pieces of :meth:`fetch_pieces` kept wanted."""
        if not self._extra:
            return priorities
        merged = list(priorities)
        for piece in self._extra:
            if piece < len(merged):
                merged[piece] = max(merged[piece], PRIO_WINDOW)
        return merged

    def _apply(self, actions: Actions) -> None:
        if actions.priorities is not None:
            self._planned = actions.priorities
            self.handle.prioritize_pieces(self._with_extra(actions.priorities))
        for piece, deadline in actions.deadlines:
            self.handle.set_piece_deadline(piece, deadline)
        for piece in actions.resets:
            self.handle.reset_piece_deadline(piece)
