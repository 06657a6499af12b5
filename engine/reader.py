"""Bytes of the streamed file, piece by piece, as soon as each piece is verified.

libtorrent reports a piece finished once its hash checks, which may be before its bytes
reach the file (2.x writes through a store buffer). So the first time a piece is read from
the file, its bytes are hashed against the torrent's piece hash and re-read until they
match; pieces that straddle another file (multi-file torrents) are read through
libtorrent's own disk thread instead.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator

from engine.errors import EngineError, StreamStalled
from engine.torrents import ActiveTorrent

CHUNK = 256 * 1024
SETTLE_POLL = 0.01


def _inside_file(torrent: ActiveTorrent, piece: int) -> bool:
    span = torrent.span
    start = piece * span.piece_length
    end = min(start + span.piece_length, torrent.meta.total_size)
    return start >= span.offset and end <= span.offset + span.size


def _piece_slice(torrent: ActiveTorrent, piece: int) -> tuple[int, int]:
    """File positions [start, stop) of ``piece``'s bytes that belong to the file."""
    span = torrent.span
    return max(piece * span.piece_length - span.offset, 0), span.piece_end(piece)


def _verified_piece(torrent: ActiveTorrent, fd: int, piece: int, timeout: float) -> bytes:
    """The whole piece from the file once its SHA-1 matches (the write may still be landing)."""
    start, stop = _piece_slice(torrent, piece)
    expected = torrent.meta.piece_hashes[piece] if torrent.meta.piece_hashes else b""
    deadline = time.monotonic() + timeout
    while True:
        data = os.pread(fd, stop - start, start)
        if not expected or hashlib.sha1(data).digest() == expected:  # noqa: S324 (BEP 3)
            torrent.on_disk.add(piece)
            return data
        if time.monotonic() > deadline:
            raise StreamStalled(f"piece {piece} of source {torrent.source_id} never hit the disk")
        time.sleep(SETTLE_POLL)


def iter_range(
    torrent: ActiveTorrent, reader: int, start: int, end: int, *, stall_timeout: float
) -> Iterator[bytes]:
    """Yield file bytes ``[start, end]`` (inclusive) in chunks, moving ``reader``'s cursor."""
    fd = -1
    pos, stop_at = start, end + 1
    try:
        while pos < stop_at:
            piece = torrent.span.piece_at(pos)
            torrent.move_reader(reader, piece)
            if not torrent.wait_piece(piece, stall_timeout):
                raise StreamStalled(
                    f"piece {piece} of source {torrent.source_id} did not arrive in "
                    f"{stall_timeout:.0f}s"
                )
            piece_start, piece_stop = _piece_slice(torrent, piece)
            stop = min(piece_stop, stop_at)
            if not _inside_file(torrent, piece):
                data = torrent.read_through_session(piece, stall_timeout)
                if data is None:
                    raise StreamStalled(f"reading piece {piece} of {torrent.source_id} failed")
                base = piece * torrent.span.piece_length - torrent.span.offset
                if piece == torrent.span.first_piece and torrent.awaiting_index():
                    torrent.learn_head(data[-base:] if base < 0 else data)
                block = data[pos - base : stop - base]
                yield block
                pos += len(block)
                continue
            if fd < 0:
                fd = _open_when_created(torrent, stall_timeout)
            if piece not in torrent.on_disk:
                whole = _verified_piece(torrent, fd, piece, stall_timeout)
                if piece == torrent.span.first_piece and torrent.awaiting_index():
                    torrent.learn_head(whole)
                view = memoryview(whole)[pos - piece_start : stop - piece_start]
                for offset in range(0, len(view), CHUNK):
                    yield bytes(view[offset : offset + CHUNK])
                pos = stop
                continue
            if piece == torrent.span.first_piece and torrent.awaiting_index():
                torrent.learn_head(os.pread(fd, piece_stop, 0))  # resumed: already on disk
            while pos < stop:
                data = os.pread(fd, min(CHUNK, stop - pos), pos)
                if not data:
                    raise EngineError(f"short read at {pos} of {torrent.file_path}")
                yield data
                pos += len(data)
    finally:
        if fd >= 0:
            os.close(fd)


def _open_when_created(torrent: ActiveTorrent, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return os.open(torrent.file_path, os.O_RDONLY)
        except FileNotFoundError:
            if time.monotonic() > deadline:
                raise StreamStalled(f"{torrent.file_path} was never created") from None
            time.sleep(SETTLE_POLL)
