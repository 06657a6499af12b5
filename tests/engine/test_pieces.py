"""The piece strategy: head preload then the index (located or a fixed tail), deadlines on
the first pieces at each reader and a short band ahead, seeks that reset old deadlines,
nothing wanted behind every reader except what libtorrent has in flight."""

from __future__ import annotations

from engine.files import FileSpan
from engine.pieces import (
    PRIO_LOW,
    PRIO_NEAR,
    PRIO_SKIP,
    PRIO_WINDOW,
    PiecePlanner,
    PlannerConfig,
)

PIECE = 1000


def planner(
    num_pieces: int = 100, offset: int = 0, size: int | None = None, **cfg: float
) -> PiecePlanner:
    span = FileSpan(
        offset, size if size is not None else num_pieces * PIECE - offset, PIECE, num_pieces
    )
    config = PlannerConfig(
        readahead_seconds=cfg.get("readahead", 5.0), head_bytes=2 * PIECE, tail_bytes=2 * PIECE,
        tail_fraction=0.0, min_window_pieces=4, max_window_bytes=50 * PIECE,
        bitrate=cfg.get("bitrate", PIECE), deadline_pieces=2, pipeline_seconds=0.25,
        steady_after_bytes=3 * PIECE, request_latency_seconds=0.5,
    )  # fmt: skip
    return PiecePlanner(span, config, [False] * num_pieces)


def test_open_preloads_the_head_with_tight_deadlines_and_nothing_else() -> None:
    p = planner()
    actions = p.open()
    assert actions.deadlines == [(0, 0), (1, 250)]
    assert actions.priorities is not None
    # nothing else may queue ahead of the first bytes at the peer
    assert [i for i, prio in enumerate(actions.priorities) if prio] == [0, 1]


def test_tail_preload_follows_the_first_head_piece() -> None:
    p = planner()
    p.open()
    assert not p.update(0).deadlines
    p.mark_have(0)
    actions = p.update(0)
    assert [piece for piece, _ in actions.deadlines] == [98, 99]
    assert actions.priorities is not None and actions.priorities[99] == PRIO_WINDOW


def test_a_reader_at_the_tail_brings_the_tail_preload_at_once() -> None:
    p = planner()
    p.open()
    p.set_cursor(1, 98)
    assert {98, 99} <= {piece for piece, _ in p.update(0).deadlines}


def test_first_pieces_at_the_reader_get_increasing_deadlines_and_a_band_follows() -> None:
    p = planner(bitrate=PIECE)
    p.open()
    p.set_cursor(1, 40)
    actions = p.update(download_rate=0)
    assert actions.deadlines == [(40, 0), (41, 1000)]  # deadline_pieces, 1 piece/s apart
    assert actions.priorities is not None
    assert [actions.priorities[i] for i in range(40, 45)] == [PRIO_WINDOW] * 2 + [PRIO_NEAR] * 2 + [
        PRIO_SKIP
    ]


def test_band_follows_the_measured_rate_and_the_peers_within_the_readahead() -> None:
    p = planner(bitrate=PIECE)
    assert p.window_pieces(0) == 4  # never fewer than the minimum
    assert p.window_pieces(40 * PIECE) == 10  # 0.25 s of what the link delivers
    assert p.window_pieces(1000 * PIECE) == 50  # never past max_window_bytes
    p.peers = 16
    assert p.window_pieces(0) == 5  # one piece per two peers, at most 5 s of 1 piece/s
    short = planner(bitrate=PIECE, readahead=1.0)
    assert short.window_pieces(2 * PIECE) == 4  # the minimum wins over a 2-piece ceiling
    short.peers = 100
    assert short.window_pieces(8 * PIECE) == 8  # 1 s of 8 pieces/s


def test_a_swarm_gets_work_for_its_peers_at_the_reader() -> None:
    p = planner(bitrate=PIECE, readahead=60.0)
    p.peers = 20
    p.set_cursor(1, 10)
    actions = p.update(0)
    assert actions.priorities is not None
    assert [i for i, prio in enumerate(actions.priorities) if prio] == list(range(10, 20))


def wanted(p: PiecePlanner, rate: float) -> list[int]:
    p.update(rate)
    prios = p._last_priorities or []
    return [i for i, prio in enumerate(prios) if prio >= PRIO_NEAR and i not in p.preload]


def read_sequentially(p: PiecePlanner, reader: int, start: int, end: int) -> None:
    for piece in range(start, end + 1):
        p.set_cursor(reader, piece)
        if piece < end:
            p.mark_have(piece)


def test_a_sequential_reader_grows_from_the_tight_to_the_steady_band() -> None:
    p = planner(bitrate=PIECE)
    rate = 8 * PIECE  # tight: 4 pieces (the minimum); steady: 2 + (1 + 8 * 0.5) = 7
    p.set_cursor(1, 10)
    assert wanted(p, rate) == list(range(10, 14))
    read_sequentially(p, 1, 10, 12)  # 2 pieces read: under steady_after_bytes
    assert wanted(p, rate) == list(range(12, 16))
    read_sequentially(p, 1, 12, 13)  # 3 pieces read since the seek
    assert p.steady_pieces(rate) == 7
    assert wanted(p, rate) == list(range(13, 20))


def test_a_seek_drops_the_reader_back_to_the_tight_band() -> None:
    for target in (60, 5, 21):  # far ahead, behind, just past the steady band
        p = planner(bitrate=PIECE)
        p.set_cursor(1, 10)
        read_sequentially(p, 1, 10, 13)
        assert len(wanted(p, 8 * PIECE)) == 7
        p.set_cursor(1, target)
        assert wanted(p, 8 * PIECE)[-4:] == list(range(target, target + 4))
        assert not any(target + 4 <= i < target + 7 for i in wanted(p, 8 * PIECE))


def test_steady_band_with_big_pieces_always_wants_the_next_piece() -> None:
    span = FileSpan(0, 100 * PIECE, PIECE, 100)
    config = PlannerConfig(
        readahead_seconds=10.0, min_window_pieces=1, deadline_pieces=1, pipeline_seconds=0.1,
        bitrate=PIECE / 4, steady_after_bytes=PIECE, request_latency_seconds=0.1,
    )  # fmt: skip
    p = PiecePlanner(span, config, [False] * 100)
    rate = PIECE  # a piece takes a second: 0.1 s of the rate is a tenth of one
    assert p.window_pieces(rate) == 1  # after a seek: the deadline piece alone
    # sequential: the next piece while this one downloads, and the latency's share
    assert p.steady_pieces(rate) == 3
    p.set_cursor(1, 30)
    assert wanted(p, rate) == [30]
    read_sequentially(p, 1, 30, 31)  # one boundary: a short read after a seek, maybe
    assert wanted(p, rate) == [31]
    read_sequentially(p, 1, 31, 32)
    assert wanted(p, rate) == [32, 33, 34]


def test_steady_band_has_a_piece_per_peer_within_the_readahead() -> None:
    p = planner(bitrate=PIECE, readahead=60.0)
    p.peers = 12
    assert p.steady_pieces(PIECE) == 12
    p.peers = 500
    assert p.steady_pieces(PIECE) == 50  # max_window_bytes
    short = planner(bitrate=PIECE, readahead=1.0)
    short.peers = 12
    assert short.steady_pieces(2 * PIECE) == 4  # 1 s of 2 pieces/s, the minimum wins
    assert short.steady_pieces(0) >= short.window_pieces(0)


STEADY_RATE = 8 * PIECE  # steady: 7 pieces, a piece every 125 ms at this rate


def _steady_reader() -> PiecePlanner:
    """Reader 1 has read pieces 10-12 in order at STEADY_RATE: its steady band is planned."""
    p = planner(bitrate=PIECE)
    p.set_cursor(1, 10)
    assert [piece for piece, _ in p.update(STEADY_RATE).deadlines] == [10, 11]  # tight: 2
    read_sequentially(p, 1, 10, 13)
    p.update(STEADY_RATE)
    return p


def test_a_steady_band_is_under_deadlines_nearest_first() -> None:
    p = _steady_reader()
    assert sorted(p.deadlined) == list(range(13, 20))
    ms = [p.deadlined[i] for i in range(13, 20)]
    assert ms == sorted(ms) and ms[0] == 0 and ms[-1] > ms[1] > 0
    assert p._last_priorities is not None
    assert [p._last_priorities[i] for i in range(13, 21)] == [PRIO_WINDOW] * 7 + [PRIO_SKIP]


def test_a_sliding_steady_band_adds_deadlines_at_its_far_end_only() -> None:
    p = _steady_reader()
    p.mark_have(13)
    p.set_cursor(1, 14)
    actions = p.update(STEADY_RATE)
    assert [piece for piece, _ in actions.deadlines] == [20]  # the others keep theirs
    assert actions.deadlines[0][1] == 6 * 125
    assert actions.resets == []


def test_a_seek_from_the_steady_band_resets_its_deadlines() -> None:
    p = _steady_reader()
    p.set_cursor(1, 60)
    actions = p.update(STEADY_RATE)
    assert sorted(actions.resets) == list(range(13, 20))
    assert [piece for piece, _ in actions.deadlines] == [60, 61]  # the tight band's


def test_without_steady_deadlines_only_the_first_pieces_have_deadlines() -> None:
    span = FileSpan(0, 100 * PIECE, PIECE, 100)
    config = PlannerConfig(
        min_window_pieces=4, bitrate=PIECE, deadline_pieces=2, steady_after_bytes=3 * PIECE,
        request_latency_seconds=0.5, steady_deadlines=False,
    )  # fmt: skip
    p = PiecePlanner(span, config, [False] * 100)
    p.set_cursor(1, 10)
    read_sequentially(p, 1, 10, 13)
    p.update(8 * PIECE)
    assert sorted(p.deadlined) == [13, 14]
    assert p._last_priorities is not None
    assert [p._last_priorities[i] for i in range(13, 21)] == [PRIO_WINDOW] * 2 + [PRIO_NEAR] * 5 + [
        PRIO_SKIP
    ]


def test_dropping_a_reader_forgets_its_sequential_run() -> None:
    p = planner(bitrate=PIECE)
    p.set_cursor(1, 10)
    read_sequentially(p, 1, 10, 13)
    p.drop_reader(1)
    assert p.runs == {}
    p.set_cursor(1, 14)
    assert wanted(p, 8 * PIECE) == list(range(14, 18))


def test_seek_resets_old_deadlines_and_wants_only_what_is_in_flight_behind() -> None:
    p = planner()
    p.open()
    p.set_cursor(1, 10)
    p.update(0)
    p.set_in_flight({10, 12})
    p.set_cursor(1, 70)
    actions = p.update(0)
    assert sorted(actions.resets) == [10, 11]
    assert [piece for piece, _ in actions.deadlines] == [70, 71]
    assert actions.priorities is not None
    # blocks already requested: finish them (libtorrent cannot cancel a sent request)
    assert actions.priorities[10] == PRIO_LOW and actions.priorities[12] == PRIO_LOW
    # never requested and away from the reader: not wanted (it would queue before seeks)
    assert actions.priorities[11] == PRIO_SKIP
    assert all(actions.priorities[i] == PRIO_SKIP for i in range(13, 70))
    assert all(actions.priorities[i] == PRIO_SKIP for i in range(74, 98))
    # the head preload stays wanted
    assert actions.priorities[0] == PRIO_WINDOW


def test_in_flight_ignores_pieces_already_here_or_outside_the_torrent() -> None:
    p = planner()
    p.mark_have(5)
    p.set_in_flight({5, 6, -1, 100, 10_000})
    assert p.in_flight == {6}


def test_arrived_pieces_leave_the_window_and_it_slides() -> None:
    p = planner()
    p.set_cursor(1, 0)
    p.update(0)
    p.mark_have(0)
    p.mark_have(1)
    p.set_cursor(1, 2)
    actions = p.update(0)
    assert [piece for piece, _ in actions.deadlines] == [2, 3]
    assert actions.resets == []


def test_two_readers_each_get_a_window() -> None:
    p = planner()
    p.set_cursor(1, 0)
    p.set_cursor(2, 90)
    actions = p.update(0)
    wanted = {piece for piece, _ in actions.deadlines}
    assert wanted == {0, 1, 90, 91}


def test_dropping_a_reader_releases_its_window() -> None:
    p = planner()
    p.set_cursor(1, 30)
    p.update(0)
    p.drop_reader(1)
    actions = p.update(0)
    assert sorted(actions.resets) == [30, 31]
    assert actions.priorities is not None and not any(actions.priorities[30:40])


def test_no_change_means_no_actions() -> None:
    p = planner()
    p.set_cursor(1, 30)
    p.update(0)
    assert not p.update(0)


def test_pieces_outside_the_file_are_never_wanted() -> None:
    p = planner(num_pieces=10, offset=2500, size=4000)  # pieces 2..6
    p.open()
    p.set_cursor(1, 0)  # clamped to the file's first piece
    assert p.cursors[1] == 2
    actions = p.update(0)
    assert actions.priorities is not None
    # the band from the clamped cursor; the tail (6) waits for the first piece
    assert [i for i, prio in enumerate(actions.priorities) if prio] == [2, 3, 4, 5]
    p.mark_have(2)
    actions = p.update(0)
    assert actions.priorities is not None
    assert [i for i, prio in enumerate(actions.priorities) if prio] == [2, 3, 4, 5, 6]


def test_window_stops_at_the_last_piece() -> None:
    p = planner(num_pieces=20)
    p.set_cursor(1, 18)
    actions = p.update(0)
    assert [piece for piece, _ in actions.deadlines] == [18, 19]


def test_an_awaited_index_holds_the_tail_until_it_is_located() -> None:
    p = planner()
    p.open(await_index=True)
    p.mark_have(0)
    assert not p.update(0).deadlines  # the first piece is here, the index is not located yet
    assert p.set_index(95 * PIECE + 10, 100 * PIECE)
    assert [piece for piece, _ in p.update(0).deadlines] == [95, 96, 97, 98, 99]


def test_a_faststart_index_past_the_head_is_preloaded_too() -> None:
    p = planner()
    p.open(await_index=True)
    p.mark_have(0)
    assert p.set_index(500, 3 * PIECE + 1)  # moov right after ftyp, longer than the head
    assert [piece for piece, _ in p.update(0).deadlines] == [2, 3]  # 0 and 1 are the head


def test_an_index_that_does_not_fit_falls_back_to_the_fixed_tail() -> None:
    for start, end in ((-1, 10), (50, 50), (10, 100 * PIECE + 1), (0, 2 * 1024 * 1024 * 1024)):
        p = planner()
        p.open(await_index=True)
        p.mark_have(0)
        assert not p.set_index(start, end)
        assert [piece for piece, _ in p.update(0).deadlines] == [98, 99]


def test_index_unknown_releases_the_fixed_tail() -> None:
    p = planner()
    p.open(await_index=True)
    p.mark_have(0)
    p.index_unknown()
    assert [piece for piece, _ in p.update(0).deadlines] == [98, 99]
