"""The piece strategy: which pieces get deadlines and which priorities, for one streamed file.

Pure logic, no libtorrent: :class:`PiecePlanner` is told where readers are, which pieces
arrived and which libtorrent has blocks of in flight, and answers with :class:`Actions`
(deadlines to set, deadlines to reset, a new priority vector) that the torrent applies to
its handle. See docs/streaming.md.

* On open, the head of the file gets tight deadlines. The container's index follows once
  the first piece is in: for an MP4, exactly the ``moov`` box found from the box headers
  (:meth:`PiecePlanner.set_index`), wherever it sits; otherwise a fixed tail.
* At each reader's cursor, ``deadline_pieces`` get deadlines (libtorrent's time-critical
  mode: it asks several peers for their blocks at once), and a short band ahead of them
  is wanted: what the link delivers in ``pipeline_seconds``, at least
  ``min_window_pieces``, at most ``readahead_seconds`` of playback. Nothing else is wanted.
  libtorrent cannot cancel a block request once sent (a priority of 0 only stops new
  ones), so every piece wanted is one a seek may wait behind: the band is kept short, and
  the player's own read-ahead moves the cursor (and the band) as fast as the link goes.
* A reader that has read sequentially for ``steady_after_bytes`` (and past two piece
  boundaries) since it last seeked gets the steady band instead (slow-start-like): enough to
  fetch the next piece while the current one downloads (rate x (piece time + latency)
  beyond the deadline piece, so big pieces always have one more wanted), and a piece per
  connected peer in a swarm. Every piece of it gets a deadline, one piece time at the
  measured rate apart: libtorrent then sends the nearest pieces' blocks to the peers whose
  queues deliver soonest (peers weighed by rate), instead of handing whole pieces near the
  reader to slow peers, and re-requests late blocks (a stalled peer's) elsewhere. A seek
  drops the reader back to the tight band and resets those deadlines.
* A seek moves the band; old deadlines are reset. A piece libtorrent already has blocks of
  in flight keeps a low priority until it completes (so it is never left half-requested).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from engine.files import FileSpan

PRIO_SKIP = 0
PRIO_LOW = 1
PRIO_NEAR = 6
PRIO_WINDOW = 7


@dataclass(frozen=True)
class PlannerConfig:
    readahead_seconds: float = 10.0  # most playback the band ahead of a reader may hold
    head_bytes: int = 1024 * 1024
    tail_bytes: int = 1024 * 1024  # the index preload when the container's is unknown
    tail_fraction: float = 0.002  # a film's index grows with its length
    min_window_pieces: int = 1
    max_window_bytes: int = 64 * 1024 * 1024
    bitrate: float = 1_000_000.0  # bytes/s of playback when nothing better is known
    # pieces at each cursor under deadlines: libtorrent requests a deadline piece's blocks
    # past the per-peer request limit, so every one of them queues ahead of a seek
    deadline_pieces: int = 1
    pipeline_seconds: float = 0.1  # of the measured download rate, wanted ahead
    max_index_bytes: int = 64 * 1024 * 1024  # an index preload larger than this is ignored
    # sequential bytes read since a seek (and 2 piece boundaries) before a reader's band
    # grows to the steady one
    steady_after_bytes: int = 1024 * 1024
    request_latency_seconds: float = 0.1  # steady band: of the rate, beyond the next piece
    pieces_per_peer: float = 1.0  # steady band: a slow peer's piece must not stall the reader
    # steady band: every piece under a deadline (libtorrent's time-critical mode sends the
    # nearest to the peers that deliver soonest); False: only ``deadline_pieces``
    steady_deadlines: bool = True


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
        self.runs: dict[int, int] = {}  # reader -> piece its sequential run began at
        self.deadlined: dict[int, int] = {}  # piece -> deadline asked (ms)
        self.in_flight: set[int] = set()  # pieces libtorrent has requested blocks of
        self.preload: set[int] = set()
        self.pending_tail: list[int] = []
        self.await_index = False  # the tail waits for set_index (an MP4's box headers)
        self._last_priorities: list[int] | None = None
        self._rate = 0.0
        self.peers = 0  # connected peers (set by the torrent on each tick)

    # --- inputs ------------------------------------------------------------------------

    def open(self, *, await_index: bool = False) -> Actions:
        """Head preload with tight deadlines; the index follows once the head's first piece
        is in (or a reader reaches the tail), so the two never compete for the first bytes.
        ``await_index``: the container's index is located by :meth:`set_index` from the
        head's bytes; the fixed tail is the fallback (:meth:`index_unknown`)."""
        span, cfg = self.span, self.config
        head = span.pieces_for(0, max(cfg.head_bytes, 1))
        tail_len = max(cfg.tail_bytes, int(span.size * cfg.tail_fraction))
        tail = span.pieces_for(max(span.size - tail_len, 0), tail_len)
        self.pending_tail = [p for p in tail if p not in head]
        self.await_index = await_index
        actions = Actions()
        self._preload(list(head), actions)
        actions.priorities = self._last_priorities = self._priorities()
        return actions

    def set_index(self, start: int, end: int) -> bool:
        """The container's index lies at file bytes ``[start, end)``: preload exactly that
        (instead of the fixed tail). False, and the fixed tail instead, when the range is
        empty, outside the file or larger than ``max_index_bytes``."""
        self.await_index = False
        if not 0 <= start < end <= self.span.size or end - start > self.config.max_index_bytes:
            return False
        self.pending_tail = list(self.span.pieces_for(start, end - start))
        return True

    def index_unknown(self) -> None:
        """No index found in the head: fall back to the fixed tail."""
        self.await_index = False

    def _preload(self, pieces: list[int], actions: Actions) -> None:
        step = self._piece_ms(self.config.bitrate * 4)
        for k, piece in enumerate(pieces):
            self.preload.add(piece)
            if not self.have[piece] and piece not in self.deadlined:
                self.deadlined[piece] = k * step
                actions.deadlines.append((piece, k * step))

    def set_cursor(self, reader: int, piece: int) -> None:
        """Move a reader; a move backwards or past its steady band is a seek (its run of
        sequential reading starts again, and with it the tight band)."""
        piece = min(max(piece, self.span.first_piece), self.span.last_piece)
        old = self.cursors.get(reader)
        if old is None or not old <= piece <= old + self.steady_pieces(self._rate):
            self.runs[reader] = piece
        self.cursors[reader] = piece

    def drop_reader(self, reader: int) -> None:
        self.cursors.pop(reader, None)
        self.runs.pop(reader, None)

    def mark_have(self, piece: int) -> None:
        if 0 <= piece < len(self.have):
            self.have[piece] = 1
            self.deadlined.pop(piece, None)
            self.in_flight.discard(piece)

    def set_in_flight(self, pieces: set[int]) -> None:
        """Pieces libtorrent has block requests out for (its download queue)."""
        self.in_flight = {p for p in pieces if 0 <= p < len(self.have) and not self.have[p]}

    # --- decisions -----------------------------------------------------------------------

    def window_pieces(self, download_rate: float) -> int:
        """Pieces wanted ahead of a reader (the deadline ones included): what the link
        delivers in ``pipeline_seconds``, and one piece per two connected peers (so a swarm
        has work for its peers), at least ``min_window_pieces``; at most
        ``readahead_seconds`` of what arrives (and ``max_window_bytes``)."""
        cfg = self.config
        piece = self.span.piece_length
        rate = max(cfg.bitrate, download_rate)
        ceiling = max(
            cfg.min_window_pieces,
            int(min(rate * cfg.readahead_seconds, cfg.max_window_bytes) // piece),
        )
        wanted = max(math.ceil(rate * cfg.pipeline_seconds / piece), math.ceil(self.peers / 2))
        return int(min(max(cfg.min_window_pieces, cfg.deadline_pieces, wanted), ceiling))

    def steady_pieces(self, download_rate: float) -> int:
        """Pieces wanted ahead of a reader that reads sequentially: the deadline piece, then
        what the link delivers while the next piece downloads plus a request latency
        (rate x (piece time + latency): with big pieces, always one beyond the deadline
        piece), and a piece per connected peer; within the readahead ceiling."""
        cfg = self.config
        piece = self.span.piece_length
        rate = max(cfg.bitrate, download_rate)
        ceiling = max(
            cfg.min_window_pieces,
            int(min(rate * cfg.readahead_seconds, cfg.max_window_bytes) // piece),
        )
        ahead = math.ceil((piece + rate * cfg.request_latency_seconds) / piece)
        steady = max(cfg.deadline_pieces + ahead, math.ceil(self.peers * cfg.pieces_per_peer))
        return max(self.window_pieces(download_rate), min(steady, ceiling))

    def reader_width(self, reader: int, download_rate: float) -> int:
        """The band of one reader: tight after a seek, steady once it reads sequentially."""
        if self._steady(reader):
            return self.steady_pieces(download_rate)
        return self.window_pieces(download_rate)

    def _steady(self, reader: int) -> bool:
        """The reader has read sequentially for ``steady_after_bytes`` and two piece
        boundaries since it last seeked."""
        cursor = self.cursors[reader]
        advanced = cursor - self.runs.get(reader, cursor)
        # two piece boundaries: a short read after a seek that ends just past one boundary
        # (a player probing, then seeking again) must not fill the link with a steady band
        return advanced >= 2 and advanced * self.span.piece_length >= self.config.steady_after_bytes

    def _piece_ms(self, rate: float) -> int:
        return max(1, int(self.span.piece_length / max(rate, 1.0) * 1000))

    def _window(self, download_rate: float) -> dict[int, int]:
        """piece -> deadline for the first pieces at every cursor, a steady reader's whole
        band (earliest deadline wins)."""
        tight = min(self.window_pieces(download_rate), max(self.config.deadline_pieces, 1))
        step = self._piece_ms(max(self.config.bitrate, download_rate))
        last = self.span.last_piece
        wanted: dict[int, int] = {}
        for reader, cursor in self.cursors.items():
            width = tight
            if self.config.steady_deadlines and self._steady(reader):
                width = self.steady_pieces(download_rate)
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
            (self.have[self.span.first_piece] and not self.await_index)
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
        bands = {(c, self.reader_width(r, self._rate)) for r, c in self.cursors.items()}
        for piece in range(first, last + 1):
            if self.have[piece]:
                prios[piece] = PRIO_LOW
            elif (window and piece in window) or piece in self.deadlined:
                prios[piece] = PRIO_WINDOW
            elif any(0 <= piece - c < width for c, width in bands):
                prios[piece] = PRIO_NEAR
            elif piece in self.in_flight:
                prios[piece] = PRIO_LOW  # requested already: let it complete
        return prios
