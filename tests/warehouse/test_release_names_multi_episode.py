"""Multi-episode release names: every spelling of a run of consecutive episodes of one season
is read as (first, last); runs that are backwards, gapped, too long, across seasons or that
name episode 0 are refused with a reason; the fast path agrees with guessit; a cache written
by the previous parser version is migrated and its refusals reparsed."""

from __future__ import annotations

import duckdb
import pytest

from warehouse.release_names import (
    CACHE_TABLE,
    MAX_EPISODES,
    PARSER_VERSION,
    Release,
    Unparseable,
    fast_parse,
    guessit_parse,
    parse_names,
    parse_release,
)

DOUBLE_720 = Release(1, 1, False, 720, "720p", "hdtv", "x264", "GRP", False, 2)


@pytest.mark.parametrize(
    "name",
    [
        "Lonely.Pelican.S01E01E02.720p.HDTV.x264-GRP",
        "Lonely Pelican S01E01-E02 720p HDTV x264-GRP",
        "Lonely.Pelican.S01E01-02.720p.HDTV.x264-GRP",
        "Lonely Pelican S01E01-S01E02 720p HDTV x264-GRP",
        "Lonely Pelican 1x01-1x02 720p HDTV x264-GRP",
        "lonely.pelican.s01e01e02.720p.hdtv.x264-GRP EZTV",
    ],
)
def test_every_spelling_of_a_double_episode_reads_as_one_run(name: str) -> None:
    assert parse_release(name) == DOUBLE_720
    assert parse_release(name).episodes == (1, 2)


@pytest.mark.parametrize(
    ("name", "first", "last"),
    [
        ("Lonely Pelican S02E05-E08 1080p WEB-DL x264-GRP", 5, 8),
        ("Lonely Pelican S02E05E06E07 1080p WEB-DL x264-GRP", 5, 7),
        ("Lonely Pelican 2x05-2x07 1080p WEB-DL x264-GRP", 5, 7),
        ("Lonely Pelican S02E998-E999 1080p WEB-DL x264-GRP", 998, 999),
        ("Lonely Pelican S02E9998-E9999 1080p WEB-DL x264-GRP", 9998, 9999),
        ("Lonely Pelican S02E01-E50 1080p WEB-DL x264-GRP", 1, MAX_EPISODES),
    ],
)
def test_longer_runs_and_three_digit_episodes_read_as_first_and_last(
    name: str, first: int, last: int
) -> None:
    parsed = parse_release(name)
    assert (parsed.season, parsed.episode, parsed.last_episode) == (2, first, last)
    assert parsed.episodes == tuple(range(first, last + 1)) and not parsed.is_pack


def test_a_single_episode_has_no_last_episode_and_a_pack_no_episodes() -> None:
    single = parse_release("Lonely Pelican S01E999 720p HDTV x264-GRP")
    pack = parse_release("Lonely Pelican S01 COMPLETE 720p HDTV x264-GRP")
    assert (single.episode, single.last_episode, single.episodes) == (999, None, (999,))
    assert (pack.episode, pack.last_episode, pack.episodes) == (None, None, ())


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("Lonely Pelican S01E24-S02E01 720p HDTV x264-GRP", "several seasons"),
        ("Lonely Pelican S01E05-E03 720p HDTV x264-GRP", "episodes 5, 3 are not one run"),
        ("Lonely Pelican S01E01E03 720p HDTV x264-GRP", "episodes 1, 3 are not one run"),
        ("Lonely Pelican 1x03-1x01 720p HDTV x264-GRP", "episodes 3, 1 are not one run"),
        ("Lonely Pelican S01E01-E200 720p HDTV x264-GRP", "a run of 200 episodes"),
        ("Lonely Pelican S01E01-E51 720p HDTV x264-GRP", "a run of 51 episodes"),
        ("Lonely Pelican S01E00 720p HDTV x264-GRP", "episode 0"),
        ("Lonely Pelican S01E00-E01 720p HDTV x264-GRP", "episode 0"),
        ("Lonely Pelican 1x24-2x01 720p HDTV x264-GRP", "several seasons"),
    ],
)
def test_runs_that_cannot_be_placed_are_refused_with_a_reason(name: str, reason: str) -> None:
    with pytest.raises(Unparseable) as refused:
        parse_release(name)
    assert refused.value.reason == f"unparseable release name: {reason}"


@pytest.mark.parametrize(
    "name",
    [
        "Lonely.Pelican.S01E01E02.720p.HDTV.x264-GRP",
        "Lonely Pelican S03E09-E10 PROPER 1080p WEB-DL x265-NTb",
        "Lonely.Pelican.S03E09-10.2160p.BluRay.HEVC-RARBG",
    ],
)
def test_the_fast_path_reads_a_double_episode_as_guessit_does(name: str) -> None:
    fast = fast_parse(name)
    assert fast is not None and fast.last_episode == fast.episodes[0] + 1
    assert fast == guessit_parse(name)


@pytest.mark.parametrize(
    "name",
    [
        "Lonely Pelican S01E01E03 720p HDTV x264-GRP",  # gapped
        "Lonely Pelican S01E03-E01 720p HDTV x264-GRP",  # backwards
        "Lonely Pelican S01E01-E04 720p HDTV x264-GRP",  # longer than a double
        "Lonely Pelican S01E02-E02 720p HDTV x264-GRP",  # empty
    ],
)
def test_the_fast_path_leaves_every_other_run_to_guessit(name: str) -> None:
    assert fast_parse(name) is None


def test_a_version_1_cache_is_migrated_and_its_refused_doubles_reparsed() -> None:
    con = duckdb.connect()
    con.execute(
        f"CREATE TABLE {CACHE_TABLE} (release_name VARCHAR NOT NULL, parser_version INTEGER "
        "NOT NULL, season INTEGER, episode INTEGER, is_pack BOOLEAN, resolution INTEGER, "
        "quality VARCHAR, source_type VARCHAR, video_codec VARCHAR, release_group VARCHAR, "
        "is_repack BOOLEAN, reason VARCHAR, PRIMARY KEY (release_name, parser_version))"
    )
    name = "Lonely.Pelican.S01E01E02.720p.HDTV.x264-GRP"
    con.execute(
        f"INSERT INTO {CACHE_TABLE} (release_name, parser_version, reason) VALUES (?, 1, ?)",
        [name, "unparseable release name: several seasons or episodes"],
    )
    row = parse_names(con, [name]).row(0, named=True)
    assert (row["episode"], row["last_episode"], row["reason"]) == (1, 2, None)
    again = parse_names(con, [name]).row(0, named=True)  # now from the cache
    assert (again["episode"], again["last_episode"]) == (1, 2)
    versions = con.execute(f"SELECT parser_version FROM {CACHE_TABLE} ORDER BY 1").fetchall()
    assert versions == [(1,), (PARSER_VERSION,)]
