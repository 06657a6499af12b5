"""Episode numbers read from the paths of files inside season packs."""

from __future__ import annotations

import pytest

from core.episodes import MAX_PATH, episodes_in, holds_episode, pick_episode_path


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("Show.S01E03.720p.WEB-DL.x264-GRP.mkv", {(1, 3)}),
        ("show s1e3.mkv", {(1, 3)}),
        ("Show.S01.E03.PROPER.mkv", {(1, 3)}),
        ("Show S01 E03 x265.mkv", {(1, 3)}),
        ("Show.S10E12.2160p.mkv", {(10, 12)}),
        ("Show.S01E03E04.mkv", {(1, 3), (1, 4)}),
        ("Show.S01E03-E05.mkv", {(1, 3), (1, 4), (1, 5)}),
        ("Show.S01E03-04.mkv", {(1, 3), (1, 4)}),
        ("Show.1x03.HDTV.mkv", {(1, 3)}),
        ("Show/Season 1/Episode 3.mkv", {(1, 3)}),
        ("Show/Season 2/03 - Title.mkv", {(2, 3)}),
        ("Show.S02/Ep.05.mkv", {(2, 5)}),
        ("Show/Series 4/E07.mkv", {(4, 7)}),
        ("Show.S01E03/video.mkv", {(1, 3)}),
        ("Show\\Season 3\\Episode 9.mkv", {(3, 9)}),
    ],
)
def test_the_episode_is_read_from_name_or_folders(
    path: str, expected: set[tuple[int, int]]
) -> None:
    assert episodes_in(path) == expected


@pytest.mark.parametrize(
    "path",
    [
        "Show.x264.1920x1080.mkv",  # a codec and a frame size are not 1x03
        "Show/Extras/Behind the scenes.mkv",
        "Show/Episode 3.mkv",  # no season anywhere: never guessed
        "Show/Season 1/sample.mkv",
        "",
        "/",
        "S01E00.mkv",  # episode 0 does not exist
        "Show.S01E99999.mkv",  # beyond any real numbering
    ],
)
def test_paths_without_a_readable_episode_hold_none(path: str) -> None:
    assert episodes_in(path) == set()


def test_an_absurd_range_keeps_only_its_first_episode() -> None:
    assert episodes_in("Show.S01E01-E99.mkv") == {(1, 1)}


def test_a_resolution_after_the_episode_is_not_another_episode() -> None:
    assert episodes_in("Show.S01E03.1080p.mkv") == {(1, 3)}
    assert episodes_in("Show.S01E03 720p.mkv") == {(1, 3)}


def test_holds_episode_checks_season_and_episode() -> None:
    assert holds_episode("Pack/Show.S02E05.mkv", 2, 5)
    assert not holds_episode("Pack/Show.S02E05.mkv", 1, 5)
    assert not holds_episode("Pack/Show.S02E05.mkv", 2, 6)


def test_a_single_episode_file_is_preferred_to_a_double_that_holds_it() -> None:
    paths = ["Pack/Show.S01E03E04.mkv", "Pack/Show.S01E04.mkv", "Pack/Show.S01E05.mkv"]
    assert pick_episode_path(paths, 1, 4) == ["Pack/Show.S01E04.mkv", "Pack/Show.S01E03E04.mkv"]
    assert pick_episode_path(paths, 1, 9) == []


@pytest.mark.parametrize(
    "name",
    ["s1e1" + "---" * 300 + "11111", "S01E01" + "- " * 450 + "999999", "S01E01" + ".e1" * 300,
     "S01E01" + "-1" * 450 + "x", "Season 1/" + "e" * 1000 + "1"],
)  # fmt: skip
def test_hostile_names_are_read_without_runaway_backtracking(name: str) -> None:
    for _ in range(50):  # a runaway pattern would take seconds per call here
        found = episodes_in(name + ".mkv")
    assert found <= {(1, n) for n in range(1, 52)}


def test_paths_longer_than_any_release_hold_nothing() -> None:
    assert episodes_in("S01E01" + "x" * MAX_PATH + ".mkv") == set()
    assert episodes_in("-" * 50_000 + ".mkv") == set()
