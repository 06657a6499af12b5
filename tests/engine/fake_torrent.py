"""An ActiveTorrent over a fake handle: piece arrival, deadlines, priorities and
``read_piece`` answers under the test's control, for the engine's unit tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from engine.lt import FileEntry, TorrentMeta, TorrentStats
from engine.pieces import PlannerConfig
from engine.torrents import ActiveTorrent


def torrent_meta(paths_sizes: list[tuple[str, int]], piece_length: int = 16384) -> TorrentMeta:
    files, offset = [], 0
    for index, (path, size) in enumerate(paths_sizes):
        files.append(FileEntry(index, path, size, offset))
        offset += size
    """Files laid end to end in one torrent, in the order given."""
    pieces = -(-offset // piece_length)
    return TorrentMeta("ab" * 20, paths_sizes[0][0].split("/")[0], piece_length, pieces, offset,
                       tuple(files))  # fmt: skip


@dataclass
class FakeHandle:
    """Records deadlines and priorities; ``read_piece`` answers at once from ``data``, or,
    with ``defer_reads``, only records the ask in ``reads`` (the test answers later)."""

    pieces: int
    info_hash: str = "ef" * 20
    have: list[bool] = field(default_factory=list)
    deadlines: dict[int, int] = field(default_factory=dict)
    priorities: list[int] = field(default_factory=list)
    paused: bool = False
    pauses: int = 0
    resumes: int = 0
    owner: ActiveTorrent | None = None
    data: bytes = b""
    piece_length: int = 16384
    defer_reads: bool = False
    reads: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.have = [False] * self.pieces
        self.priorities = self.priorities or [0] * self.pieces

    def have_pieces(self) -> list[bool]:
        return list(self.have)

    def set_piece_deadline(self, piece: int, deadline_ms: int) -> None:
        self.deadlines[piece] = deadline_ms

    def reset_piece_deadline(self, piece: int) -> None:
        self.deadlines.pop(piece, None)

    def prioritize_pieces(self, priorities: list[int]) -> None:
        self.priorities = list(priorities)

    def prioritize_files(self, priorities: list[int]) -> None:
        pass

    def set_sequential(self, on: bool) -> None:
        pass

    def hold_requests(self, on: bool) -> None:
        pass

    def partial_pieces(self) -> set[int]:
        return set()

    def read_piece(self, piece: int) -> None:
        self.reads.append(piece)
        if not self.defer_reads:
            self.answer(piece)

    def answer(self, piece: int) -> None:
        """libtorrent's read_piece_alert for ``piece``, from ``data``."""
        if self.owner is not None:
            start = piece * self.piece_length
            self.owner.on_piece_read(piece, self.data[start : start + self.piece_length], "")

    def stats(self) -> TorrentStats:
        return TorrentStats("downloading", False, 0.0, 0, 0, 1, 1, 0, 0, True, "")

    def pause(self) -> None:
        self.paused, self.pauses = True, self.pauses + 1

    def resume(self) -> None:
        self.paused, self.resumes = False, self.resumes + 1


def active_torrent(meta: TorrentMeta, handle: FakeHandle, main: FileEntry) -> ActiveTorrent:
    torrent = ActiveTorrent(
        source_id="src", handle=handle, meta=meta, main=main,
        save_path=Path("/nonexistent"), planner_config=PlannerConfig(),
    )  # fmt: skip
    handle.owner = torrent
    return torrent
