"""The piece strategy: which pieces get deadlines and which priorities, for one streamed file.

Pure logic, no libtorrent: :class:`PiecePlanner` is told where readers are and which
pieces arrived, and answers with :class:`Actions` (deadlines to set, deadlines to reset,
a new priority vector) that the torrent applies to its handle. See docs/streaming.md.

* On open, the head and the tail of the file get tight deadlines (players read the
  container header first, then the index that MP4/MKV keep at the end).
* Ahead of each reader's cursor, a window of ``readahead_seconds`` of playback (at least
  ``min_window_pieces``; wider when the measured download rate is higher than the bitrate)
  gets deadlines spaced by the time playback will need each piece: urgent at the cursor.
* Past the window, for ``near_ahead_factor`` more windows: a middle priority, so the
  buffer grows when bandwidth allows. Further on, and behind every reader: priority 0 --
  every request queued at a peer is one a seek must wait behind. Pieces that had a
  deadline keep priority 1 (their requests may be in flight; 0 would cancel them).
* A seek moves the window: new deadlines for the new window, old ones are reset (not
  cancelled), so what is in flight still lands.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from engine.files import FileSpan

PRIO_SKIP = 0
PRIO_LOW = 1
PRIO_AHEAD = 4
PRIO_WINDOW = 7


@dataclass(frozen=True)
class PlannerConfig:
    readahead_seconds: float = 10.0
    head_bytes: int = 1024 * 1024
    tail_bytes: int = 1024 * 1024
    tail_fraction: float = 0.002  # a film's index grows with its length
    min_window_pieces: int = 3
    max_window_bytes: int = 64 * 1024 * 1024
    bitrate: float = 1_000_000.0  # bytes/s of playback when nothing better is known
    near_ahead_factor: int = 2  # windows past the window that get PRIO_AHEAD


@dataclass
class Actions:
    deadlines: list[tuple[int, int]] = field(default_factory=list)  # (piece, ms from now)
    resets: list[int] = field(default_factory=list)
    priorities: list[int] | None = None  # whole torrent; None = unchanged

    def __bool__(self) -> bool:
        return bool(self.deadlines or self.resets or self.priorities is not None)


class PiecePlanner:
    """Deadline and priority bookkeeping for one file; not thread-safe (caller locks)."""

    def __init__(self, span: FileSpan, config: PlannerConfig, have: Sequence[bool]) -> None:
        if len(have) != span.num_pieces:
            raise ValueError(f"have has {len(have)} pieces, torrent has {span.num_pieces}")
        self.span = span
        self.config = config
        self.have = bytearray(1 if h else 0 for h in have)
        self.cursors: dict[int, int] = {}
        self.deadlined: dict[int, int] = {}  # piece -> deadline asked (ms)
        self.released: set[int] = set()  # had a deadline, reset since: keep non-zero
        self.preload: set[int] = set()
        self.pending_tail: list[int] = []
        self._last_priorities: list[int] | None = None
        self._rate = 0.0

    # --- inputs ------------------------------------------------------------------------

    def open(self) -> Actions:
        """Head preload with tight deadlines; the tail follows once the head's first piece
        is in (or a reader reaches it), so the two never compete for the first bytes."""
        span, cfg = self.span, self.config
        head = span.pieces_for(0, max(cfg.head_bytes, 1))
        tail_len = max(cfg.tail_bytes, int(span.size * cfg.tail_fraction))
        tail = span.pieces_for(max(span.size - tail_len, 0), tail_len)
        self.pending_tail = [p for p in tail if p not in head]
        actions = Actions()
        self._preload(list(head), actions)
        actions.priorities = self._last_priorities = self._priorities()
        return actions

    def _preload(self, pieces: list[int], actions: Actions) -> None:
        step = self._piece_ms(self.config.bitrate * 4)
        for k, piece in enumerate(pieces):
            self.preload.add(piece)
            if not self.have[piece] and piece not in self.deadlined:
                self.deadlined[piece] = k * step
                actions.deadlines.append((piece, k * step))

    def set_cursor(self, reader: int, piece: int) -> None:
        self.cursors[reader] = min(max(piece, self.span.first_piece), self.span.last_piece)

    def drop_reader(self, reader: int) -> None:
        self.cursors.pop(reader, None)

    def mark_have(self, piece: int) -> None:
        if 0 <= piece < len(self.have):
            self.have[piece] = 1
            self.deadlined.pop(piece, None)
            self.released.discard(piece)

    # --- decisions -----------------------------------------------------------------------

    def window_pieces(self, download_rate: float) -> int:
        """Pieces under deadlines ahead of a reader: a few seconds of playback, no fewer than
        ``min_window_pieces`` (every one of them competes for the first bytes after a seek)."""
        cfg = self.config
        wanted = min(cfg.bitrate * cfg.readahead_seconds, cfg.max_window_bytes)
        return max(cfg.min_window_pieces, math.ceil(wanted / self.span.piece_length))

    def ahead_pieces(self, download_rate: float) -> int:
        """Pieces past the window at a middle priority: what the measured rate can fetch in
        ``near_ahead_factor`` readahead periods (the buffer grows when bandwidth allows)."""
        cfg = self.config
        rate = max(cfg.bitrate, download_rate)
        wanted = min(rate * cfg.readahead_seconds * cfg.near_ahead_factor, cfg.max_window_bytes)
        return math.ceil(wanted / self.span.piece_length)

    def _piece_ms(self, rate: float) -> int:
        return max(1, int(self.span.piece_length / max(rate, 1.0) * 1000))

    def _window(self, download_rate: float) -> dict[int, int]:
        """piece -> deadline for every reader's window (earliest deadline wins)."""
        width = self.window_pieces(download_rate)
        step = self._piece_ms(max(self.config.bitrate, download_rate))
        last = self.span.last_piece
        wanted: dict[int, int] = {}
        for cursor in self.cursors.values():
            k = 0
            for piece in range(cursor, min(cursor + width, last + 1)):
                if not self.have[piece]:
                    deadline = k * step
                    if deadline < wanted.get(piece, deadline + 1):
                        wanted[piece] = deadline
                    k += 1
        return wanted

    def update(self, download_rate: float) -> Actions:
        """What to change on the handle now (reader moved, piece arrived, rate changed)."""
        actions = Actions()
        if self.pending_tail and (
            self.have[self.span.first_piece]
            or any(c >= self.pending_tail[0] for c in self.cursors.values())
        ):
            tail, self.pending_tail = self.pending_tail, []
            self._preload(tail, actions)
        wanted = self._window(download_rate)
        for piece, deadline in sorted(wanted.items(), key=lambda kv: kv[1]):
            if piece not in self.deadlined:
                self.deadlined[piece] = deadline
                actions.deadlines.append((piece, deadline))
        for piece in list(self.deadlined):
            if piece not in wanted and piece not in self.preload:
                del self.deadlined[piece]
                self.released.add(piece)
                actions.resets.append(piece)
        self._rate = download_rate
        priorities = self._priorities(set(wanted))
        if priorities != self._last_priorities:
            actions.priorities = priorities
            self._last_priorities = priorities
        return actions

    def _priorities(self, window: set[int] | None = None) -> list[int]:
        span = self.span
        prios = [PRIO_SKIP] * span.num_pieces
        first, last = span.first_piece, span.last_piece
        cursors = sorted(set(self.cursors.values()))
        near = self.window_pieces(self._rate) + self.ahead_pieces(self._rate)
        for piece in range(first, last + 1):
            if self.have[piece]:
                prios[piece] = PRIO_LOW
            elif (window and piece in window) or piece in self.deadlined:
                prios[piece] = PRIO_WINDOW
            elif any(0 <= piece - c < near for c in cursors):
                prios[piece] = PRIO_AHEAD
            elif piece in self.released:
                prios[piece] = PRIO_LOW
        return prios
