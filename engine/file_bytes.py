"""Byte ranges of one file of a torrent, read as soon as their pieces are verified.

For small reads beside the stream (a subtitle file, a film's index, the text samples of a
time window): the pieces get a deadline and stay wanted through re-plans until they
arrive (:meth:`engine.torrents.ActiveTorrent.fetch_pieces`), then are read through
libtorrent (a file the stream does not want may live in libtorrent's part file, not at its
path), each piece once. Blocking: run it in a worker thread from an async server.
"""

from __future__ import annotations

import time

from engine.errors import EngineError, StreamStalled
from engine.files import FileSpan
from engine.lt import FileEntry
from engine.torrents import ActiveTorrent


def read_spans(
    torrent: ActiveTorrent, entry: FileEntry, spans: list[tuple[int, int]], *, timeout: float
) -> list[bytes]:
    """The bytes of each ``(start, length)`` of file ``entry`` (clipped to the file), once
    the pieces holding them are downloaded and verified (fetched with a deadline); raises
    :class:`StreamStalled` when they do not arrive in ``timeout`` seconds."""
    span = FileSpan.of(torrent.meta, entry)
    clipped = [(max(start, 0), max(min(start + length, entry.size) - max(start, 0), 0))
               for start, length in spans]  # fmt: skip
    pieces = sorted({p for start, length in clipped for p in span.pieces_for(start, length)})
    deadline = time.monotonic() + timeout
    missing = torrent.fetch_pieces(pieces)
    while missing:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise StreamStalled(
                f"{len(missing)} pieces of {entry.path} (source {torrent.source_id}) did not "
                f"arrive in {timeout:.0f}s"
            )
        torrent.wait_piece(missing[0], min(remaining, 1.0))
        missing = torrent.fetch_pieces(missing)  # keeps them wanted and the torrent awake
    data: dict[int, bytes] = {}
    for piece in pieces:
        read = torrent.read_through_session(piece, max(deadline - time.monotonic(), 1.0))
        if read is None:
            raise StreamStalled(f"reading piece {piece} of {entry.path} failed")
        data[piece] = read
    out: list[bytes] = []
    for start, length in clipped:
        chunks = []
        for piece in span.pieces_for(start, length):
            base = piece * span.piece_length - span.offset  # file position of byte 0
            chunks.append(data[piece][max(start - base, 0) : max(start + length - base, 0)])
        body = b"".join(chunks)
        if len(body) != length:
            raise EngineError(f"read {len(body)} of {length} bytes of {entry.path} at {start}")
        out.append(body)
    return out


def head_span(torrent: ActiveTorrent, entry: FileEntry, wanted: int) -> tuple[int, int]:
    """``(0, length)``: the file's first ``wanted`` bytes, rounded up to a piece end (the
    pieces are read whole anyway)."""
    span = FileSpan.of(torrent.meta, entry)
    return 0, span.piece_end(span.piece_at(max(min(wanted, entry.size), 1) - 1))
