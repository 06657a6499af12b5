"""An ActiveTorrent shared by threads: reads through libtorrent's disk thread when several
callers want one piece (the stream of a pack's second episode and the read of that
episode's index both read the piece it shares with the first: the CI failure where E02
never played), side reads whose deadlines a seek reset, idle pauses racing a new reader,
and a closed torrent that must stop steering the handle."""

from __future__ import annotations

import threading

from engine.torrents import ActiveTorrent
from tests.engine.conftest import wait_until
from tests.engine.fake_torrent import FakeHandle, active_torrent, torrent_meta

PIECE = 16384


def _pack() -> tuple[FakeHandle, ActiveTorrent]:
    meta = torrent_meta([("Pack/E01.mp4", PIECE + 100), ("Pack/E02.mp4", 3 * PIECE)], PIECE)
    data = bytes(range(256)) * (meta.total_size // 256 + 1)
    handle = FakeHandle(meta.num_pieces, info_hash=meta.info_hash, data=data, defer_reads=True)
    return handle, active_torrent(meta, handle, meta.files[1])


def test_callers_reading_one_piece_at_once_share_one_read_and_all_get_its_bytes() -> None:
    handle, torrent = _pack()
    shared = 1  # E01's tail and E02's head
    results: dict[str, bytes | None] = {}

    def read(name: str) -> None:
        results[name] = torrent.read_through_session(shared, 5.0)

    first = threading.Thread(target=read, args=("stream",))
    first.start()
    assert wait_until(lambda: handle.reads == [shared], timeout=10)
    second = threading.Thread(target=read, args=("index",))
    second.start()
    # the second caller waits on the read in flight instead of asking (and consuming) anew
    assert wait_until(lambda: torrent._read_waiters.get(shared) == 2, timeout=10)
    assert handle.reads == [shared]
    handle.answer(shared)
    first.join(10)
    second.join(10)
    expected = handle.data[shared * PIECE : (shared + 1) * PIECE]
    assert results == {"stream": expected, "index": expected}


def test_an_answer_that_arrived_is_not_discarded_by_a_caller_that_comes_after_it() -> None:
    handle, torrent = _pack()
    piece = 2
    results: list[bytes | None] = []
    waiting = threading.Thread(
        target=lambda: results.append(torrent.read_through_session(piece, 5.0))
    )
    with torrent._cond:
        waiting.start()
        # the waiter cannot take the answer while the lock is held here
    assert wait_until(lambda: handle.reads == [piece], timeout=10)
    with torrent._cond:
        handle.answer(piece)  # stored; the waiter has not woken yet
        late = torrent.read_through_session(piece, 5.0)
    waiting.join(10)
    expected = handle.data[piece * PIECE : (piece + 1) * PIECE]
    assert late == expected
    assert results == [expected]
    assert handle.reads == [piece]  # one read served both


def test_a_late_answer_nobody_waits_for_is_not_taken_for_a_fresh_read() -> None:
    handle, torrent = _pack()
    piece = 2
    assert torrent.read_through_session(piece, 0.05) is None
    torrent.on_piece_read(piece, b"", "read failed")  # the timed-out read's answer, late
    got: list[bytes | None] = []
    reader = threading.Thread(target=lambda: got.append(torrent.read_through_session(piece, 5.0)))
    reader.start()
    # the stale error was not kept, and a new read was asked
    assert wait_until(lambda: len(handle.reads) == 2, timeout=10)
    handle.answer(piece)
    reader.join(10)
    assert got == [handle.data[piece * PIECE : (piece + 1) * PIECE]]


def test_answers_for_a_piece_nobody_reads_are_not_kept() -> None:
    handle, torrent = _pack()
    for piece in range(torrent.meta.num_pieces):  # a pack's other file read them
        handle.answer(piece)
    assert torrent._reads == {}


def test_a_side_read_sets_its_deadline_again_after_the_stream_reset_it() -> None:
    handle, torrent = _pack()
    assert torrent.fetch_pieces([3]) == [3]
    assert 3 in handle.deadlines
    handle.reset_piece_deadline(3)  # the stream seeked: its old band's deadlines go
    assert torrent.fetch_pieces([3]) == [3]  # the side read's wait loop asks again
    assert 3 in handle.deadlines


def test_an_idle_pause_never_lands_on_a_torrent_someone_reads() -> None:
    handle, torrent = _pack()
    reader = torrent.add_reader("u", 0)
    assert not torrent.pause_if_idle(0)  # a reader: not idle, whatever the clock says
    torrent.remove_reader(reader)
    assert not torrent.pause_if_idle(3600)  # touched just now
    assert torrent.pause_if_idle(0) and torrent.paused and handle.pauses == 1
    assert not torrent.pause_if_idle(0)  # already paused: once
    torrent.add_reader("u", 0)
    assert not torrent.paused and handle.resumes == 1


def test_a_closed_torrent_no_longer_sends_priorities_or_deadlines() -> None:
    handle, torrent = _pack()
    torrent.close()  # its handle now streams another file of the pack
    handle.priorities, handle.deadlines = [9], {}
    torrent.on_piece(2)
    torrent.sync_have([True] * torrent.meta.num_pieces)
    assert (handle.priorities, handle.deadlines) == ([9], {})
