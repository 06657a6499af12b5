"""Release names: the fast path agrees with guessit wherever it answers, names that cannot be
placed are refused with a reason, and each name is parsed once (the cache)."""

from __future__ import annotations

import duckdb
import pytest

from sandbox.catalogue import SyntheticCatalogue
from warehouse.release_names import (
    CACHE_TABLE,
    Release,
    Unparseable,
    clean_title,
    fast_parse,
    guessit_parse,
    parse_names,
    parse_release,
)


def _fake_names(shows: int = 12) -> list[str]:
    catalogue = SyntheticCatalogue(120, seed=3)
    names: list[str] = []
    for show_id in catalogue.tv_ids[:shows]:
        imdb = catalogue.show_imdb_id(show_id)
        if imdb:
            names += [clean_title(t["title"]) for t in catalogue.eztv_torrents(imdb)]
    return names


def test_the_fast_path_gives_guessits_answer_for_every_layout_the_fake_produces() -> None:
    names = _fake_names()
    fast = [(n, fast_parse(n)) for n in names]
    accepted = [(n, f) for n, f in fast if f is not None]
    assert len(accepted) > len(names) // 2  # it carries most of the load
    for name, parsed in accepted[::3]:  # guessit costs ~10 ms a name
        assert parsed == guessit_parse(name), name


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "Lonely.Pelican.S03E07.PROPER.1080p.WEB-DL.x265-NTb",
            Release(3, 7, False, 1080, "1080p", "web", "x265", "NTb", True),
        ),
        (
            "Lonely Pelican S02 COMPLETE 720p HDTV x264-GalaxyTV",
            Release(2, None, True, 720, "720p", "hdtv", "x264", "GalaxyTV", False),
        ),
        (
            "Lonely.Pelican.Season.4.2160p.BluRay.HEVC-RARBG",
            Release(4, None, True, 2160, "2160p", "bluray", "x265", "RARBG", False),
        ),
        (
            "Lonely Pelican S01E02 REPACK 480p WEBRip x264-mSD",
            Release(1, 2, False, 480, "480p", "webrip", "x264", "mSD", True),
        ),
        (  # no resolution: an SD capture; a year in the title; through guessit
            "Lonely Pelican 2019 S01E02 HDTV x264-LOL",
            Release(1, 2, False, 480, "480p", "hdtv", "x264", "LOL", False),
        ),
        (
            "Lonely.Pelican.S01E02.1080p.WEB.H264-GGEZ EZTV",
            Release(1, 2, False, 1080, "1080p", "web", "x264", "GGEZ", False),
        ),
    ],
)
def test_release_names_are_parsed_into_our_vocabulary(name: str, expected: Release) -> None:
    assert parse_release(name) == expected


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("Lonely Pelican Behind the Scenes", "no season"),
        ("Lonely Pelican S01-S03 720p HDTV x264-GRP", "several seasons"),
        ("   ", "empty"),
        (" EZTV", "no season"),
        ("S01E01 " + "x" * 600, "longer than 500 characters"),
        ("Lonely Pelican S01E01 360p HDTV x264-GRP", "resolution 360p"),
        ("\x00\x01\x02", "no season"),
    ],
)
def test_names_that_cannot_be_placed_are_refused_with_a_reason(name: str, reason: str) -> None:
    with pytest.raises(Unparseable) as refused:
        parse_release(name)
    assert refused.value.reason == f"unparseable release name: {reason}"


def test_each_name_is_parsed_once_and_then_read_from_the_cache() -> None:
    con = duckdb.connect()
    good, junk = "Show.S01E02.720p.HDTV.x264-GRP", "Show Trailer"
    first = parse_names(con, [good, junk, good])
    assert first.height == 2
    by_name = {row["release_name"]: row for row in first.iter_rows(named=True)}
    assert by_name[good]["episode"] == 2 and by_name[good]["reason"] is None
    assert by_name[junk]["reason"] == "unparseable release name: no season"
    # A cached answer is used as it is (here: altered by hand to prove it is not reparsed).
    con.execute(f"UPDATE {CACHE_TABLE} SET episode = 9 WHERE release_name = ?", [good])
    again = parse_names(con, [good])
    assert again.row(0, named=True)["episode"] == 9
    assert con.execute(f"SELECT count(*) FROM {CACHE_TABLE}").fetchone() == (2,)
