"""One handle, several streamed files: the shared handle gives libtorrent the element-wise
maximum of the files' priority vectors, keeps a deadline while any file holds it, pauses
only when every file asks to, and forgets a file's wants when it leaves."""

from __future__ import annotations

from engine.shared_handle import SharedHandle
from tests.engine.fake_torrent import FakeHandle


def test_one_file_sets_its_vector_as_it_is() -> None:
    handle = FakeHandle(6)
    view = SharedHandle(handle).view()
    view.prioritize_pieces([7, 7, 1, 0, 0, 0])
    assert handle.priorities == [7, 7, 1, 0, 0, 0]


def test_two_files_get_the_elementwise_maximum_of_their_windows() -> None:
    handle = FakeHandle(6)
    shared = SharedHandle(handle)
    first, second = shared.view(), shared.view()
    first.prioritize_pieces([7, 7, 1, 0, 0, 0])
    second.prioritize_pieces([0, 1, 0, 0, 7, 6])
    assert handle.priorities == [7, 7, 1, 0, 7, 6]
    first.prioritize_pieces([0, 0, 7, 7, 0, 0])  # the first reader moved on
    assert handle.priorities == [0, 1, 7, 7, 7, 6]


def test_a_file_that_leaves_takes_its_window_and_deadlines_with_it() -> None:
    handle = FakeHandle(6)
    shared = SharedHandle(handle)
    first, second = shared.view(), shared.view()
    first.prioritize_pieces([7, 7, 0, 0, 0, 0])
    first.set_piece_deadline(0, 0)
    second.prioritize_pieces([0, 0, 0, 0, 7, 7])
    second.set_piece_deadline(4, 0)
    first.detach()
    assert handle.priorities == [0, 0, 0, 0, 7, 7]
    assert handle.deadlines == {4: 0}
    assert shared.views() == 1


def test_a_deadline_stays_while_another_file_holds_it() -> None:
    handle = FakeHandle(6)
    shared = SharedHandle(handle)
    first, second = shared.view(), shared.view()
    first.set_piece_deadline(3, 0)  # a piece on the boundary of two files
    second.set_piece_deadline(3, 100)
    first.reset_piece_deadline(3)
    assert 3 in handle.deadlines
    second.reset_piece_deadline(3)
    assert 3 not in handle.deadlines
    first.reset_piece_deadline(5)  # a reset of a piece nobody holds still reaches the handle
    assert 5 not in handle.deadlines


def test_the_handle_pauses_only_when_every_file_is_idle() -> None:
    handle = FakeHandle(6)
    shared = SharedHandle(handle)
    first, second = shared.view(), shared.view()
    first.pause()
    assert not handle.paused
    second.pause()
    assert handle.paused
    first.resume()
    assert not handle.paused


def test_the_handle_pauses_when_the_last_active_file_leaves_and_the_rest_are_idle() -> None:
    handle = FakeHandle(6)
    shared = SharedHandle(handle)
    first, second = shared.view(), shared.view()
    first.pause()
    second.detach()
    assert handle.paused and handle.pauses == 1


def test_the_last_file_leaving_does_not_pause_a_handle_nobody_streams() -> None:
    handle = FakeHandle(6)
    shared = SharedHandle(handle)
    shared.view().detach()
    assert not handle.paused


def test_a_new_file_wakes_a_paused_handle() -> None:
    handle = FakeHandle(6)
    shared = SharedHandle(handle)
    shared.view().pause()
    assert handle.paused
    shared.view()
    assert not handle.paused and handle.resumes == 1


def test_a_shorter_vector_leaves_the_others_tail_as_it_is() -> None:
    handle = FakeHandle(6)
    shared = SharedHandle(handle)
    first, second = shared.view(), shared.view()
    first.prioritize_pieces([1, 2, 3])
    second.prioritize_pieces([3, 2])
    assert handle.priorities == [3, 2, 3]
