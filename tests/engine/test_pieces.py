"""The piece strategy: head+tail preload, a deadline window ahead of readers, seeks that
reset (never cancel) old deadlines, nothing wanted behind every reader."""

from __future__ import annotations

from engine.files import FileSpan
from engine.pieces import PRIO_AHEAD, PRIO_SKIP, PRIO_WINDOW, PiecePlanner, PlannerConfig

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
        bitrate=cfg.get("bitrate", PIECE),
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


def test_window_ahead_of_reader_gets_increasing_deadlines() -> None:
    p = planner(bitrate=PIECE)  # 5 s readahead at 1 piece/s -> 5 pieces
    p.open()
    p.set_cursor(1, 40)
    actions = p.update(download_rate=0)
    window = [piece for piece, _ in actions.deadlines]
    assert window == [40, 41, 42, 43, 44]
    assert [ms for _, ms in actions.deadlines] == [0, 1000, 2000, 3000, 4000]


def test_window_is_seconds_of_playback_and_the_buffer_ahead_follows_the_rate() -> None:
    p = planner(bitrate=PIECE)
    assert p.window_pieces(0) == 5  # 5 s of playback
    assert planner(bitrate=PIECE / 10).window_pieces(0) == 4  # never fewer than the minimum
    assert p.window_pieces(1000 * PIECE) == 5  # deadlines do not pile up on a fast link
    assert p.ahead_pieces(0) == 10  # 2 more readahead periods at the bitrate
    assert p.ahead_pieces(4 * PIECE) == 40  # the measured rate widens the buffer
    assert p.ahead_pieces(1000 * PIECE) == 50  # up to max_window_bytes


def test_seek_resets_old_deadlines_and_keeps_their_pieces_wanted() -> None:
    p = planner()
    p.open()
    p.set_cursor(1, 10)
    p.update(0)
    p.set_cursor(1, 70)
    actions = p.update(0)
    assert sorted(actions.resets) == [10, 11, 12, 13, 14]
    assert [piece for piece, _ in actions.deadlines] == [70, 71, 72, 73, 74]
    assert actions.priorities is not None
    # in-flight requests of the old window survive: priority stays non-zero
    assert all(actions.priorities[i] > PRIO_SKIP for i in range(10, 15))
    # never requested and behind the reader: not wanted
    assert all(actions.priorities[i] == PRIO_SKIP for i in range(20, 70))
    # ahead of the window a middle priority, far ahead nothing (it would queue before seeks)
    assert actions.priorities[75] == PRIO_AHEAD and actions.priorities[95] == PRIO_SKIP
    # the head preload stays wanted
    assert actions.priorities[0] == PRIO_WINDOW


def test_arrived_pieces_leave_the_window_and_it_slides() -> None:
    p = planner()
    p.set_cursor(1, 0)
    p.update(0)
    p.mark_have(0)
    p.mark_have(1)
    p.set_cursor(1, 2)
    actions = p.update(0)
    assert [piece for piece, _ in actions.deadlines] == [5, 6]
    assert actions.resets == []


def test_two_readers_each_get_a_window() -> None:
    p = planner()
    p.set_cursor(1, 0)
    p.set_cursor(2, 90)
    actions = p.update(0)
    wanted = {piece for piece, _ in actions.deadlines}
    assert {0, 1, 2, 3, 4, 90, 91, 92, 93, 94} <= wanted


def test_dropping_a_reader_releases_its_window() -> None:
    p = planner()
    p.set_cursor(1, 30)
    p.update(0)
    p.drop_reader(1)
    actions = p.update(0)
    assert sorted(actions.resets) == [30, 31, 32, 33, 34]


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
    assert [i for i, prio in enumerate(actions.priorities) if prio] == [2, 3, 4, 5, 6]


def test_window_stops_at_the_last_piece() -> None:
    p = planner(num_pieces=20)
    p.set_cursor(1, 18)
    actions = p.update(0)
    assert [piece for piece, _ in actions.deadlines] == [18, 19]
