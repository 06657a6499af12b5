"""Parsing TMDB TV and EZTV bodies: whole bodies refused with a reason, single bad records
rejected next to the good ones, EZTV's numbers-as-strings read as numbers."""

from __future__ import annotations

import json

import pytest

from tests.warehouse.rawdata import eztv_page
from tests.warehouse.tvdata import IMDB, season_body, show_body, torrent
from warehouse.parse import InvalidPayload
from warehouse.parse_tv import parse_eztv, parse_season, parse_show

GOOD = "ab" * 20


@pytest.mark.parametrize(
    ("payload", "key", "reason"),
    [
        ("<html>503</html>", f"{IMDB}:1", "malformed JSON: HTML body"),
        ("", f"{IMDB}:1", "malformed JSON: empty body"),
        ("[]", f"{IMDB}:1", "malformed JSON: body is not a JSON object"),
        (json.dumps(eztv_page(IMDB, [], page=2)), f"{IMDB}:1", "page mismatch"),
        (json.dumps(eztv_page(IMDB, [])), "1220:1", "bad EZTV key"),
        (json.dumps(eztv_page(IMDB, [])), f"{IMDB}:x", "bad EZTV key"),
        ('{"torrents": "many"}', f"{IMDB}:1", "wrong type: torrents"),
    ],
)
def test_unusable_eztv_pages_are_refused_whole(payload: str, key: str, reason: str) -> None:
    with pytest.raises(InvalidPayload) as refused:
        parse_eztv(payload, key)
    assert refused.value.reason.startswith(reason)


def test_eztv_numbers_sent_as_strings_are_read_and_bad_ones_rejected_alone() -> None:
    page = eztv_page(
        IMDB,
        [
            torrent(GOOD, "Show S01E02 720p HDTV x264-GRP", seeds="12", size_bytes="4096"),
            torrent("cd" * 20, "Show S01E03 720p HDTV x264-GRP", seeds="12abc"),
            torrent("ef" * 20, "Show S01E04 720p HDTV x264-GRP", size_bytes="1e99"),
            torrent("01" * 20, "Show S01E05 720p HDTV x264-GRP", season="-1"),
        ],
    )
    good, bad = parse_eztv(json.dumps(page), f"{IMDB}:1")
    assert [(t["hash"], t["seeds"], t["size_bytes"], t["season"]) for t in good] == [
        (GOOD, 12, 4096, 1)
    ]
    assert good[0]["imdb_id"] == IMDB and good[0]["position"] == 0
    assert sorted(r.record_key or "" for r in bad) == sorted(["cd" * 20, "ef" * 20, "01" * 20])


def test_a_page_without_torrents_is_a_valid_empty_answer() -> None:
    assert parse_eztv(json.dumps(eztv_page(IMDB, None, page=3)), f"{IMDB}:3") == ([], [])


def test_seasons_refuse_a_mismatch_and_reject_bad_episodes_one_by_one() -> None:
    with pytest.raises(InvalidPayload, match="season mismatch"):
        parse_season(json.dumps(season_body(2, 1)), "1220:1")
    with pytest.raises(InvalidPayload, match="bad season key"):
        parse_season(json.dumps(season_body(1, 1)), "1220")
    body = season_body(1, 3)
    body["episodes"][1]["runtime"] = -5
    body["episodes"][2]["season_number"] = 2
    good, bad = parse_season(json.dumps(body), "1220:1")
    assert [e["episode_number"] for e in good] == [1]
    assert good[0]["show_id"] == 1220 and good[0]["season_number"] == 1
    assert len(bad) == 2 and bad[1].reason.startswith("season mismatch")


def test_show_details_refuse_another_id_and_a_nameless_show() -> None:
    with pytest.raises(InvalidPayload, match="id mismatch"):
        parse_show(json.dumps(show_body(5)), "6")
    with pytest.raises(InvalidPayload, match="missing key: name"):
        parse_show(json.dumps(show_body(5, name="", original_name=None)), "5")
    show = parse_show(json.dumps(show_body(5, episode_run_time=[0, 42])), "5")
    assert show["episode_runtime_min"] == 42 and show["tvdb_id"] == 80660
