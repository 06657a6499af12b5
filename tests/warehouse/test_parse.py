"""Parsing of upstream bodies: real samples, and malformed, hostile and boundary inputs."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tests.warehouse.rawdata import tmdb_movie, yts_envelope, yts_torrent
from warehouse.parse import InvalidPayload, check_body
from warehouse.parse_tmdb import (
    parse_configuration,
    parse_genres,
    parse_list_page,
    parse_movie,
    split_list_key,
)
from warehouse.parse_yts import parse_yts

HASH = "ab" * 20
ARABIC_INDIC_IMDB = "tt" + "".join(chr(0x0661 + i) for i in range(7))  # Unicode digits


def _sample(samples_dir: Path, pattern: str) -> dict[str, Any]:
    (path,) = samples_dir.glob(pattern)
    return json.loads(path.read_text())


def _reason(call: Any, *args: Any) -> str:
    with pytest.raises(InvalidPayload) as caught:
        call(*args)
    return caught.value.reason


# --- whole bodies ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (None, "malformed JSON: empty body"),
        ("", "malformed JSON: empty body"),
        ("  \n\t", "malformed JSON: empty body"),
        ("<!DOCTYPE html><html>cloudflare</html>", "malformed JSON: HTML body instead of JSON"),
        ("  <html>", "malformed JSON: HTML body instead of JSON"),
        ("null", "malformed JSON: body is not a JSON object"),
        ("[1, 2]", "malformed JSON: body is not a JSON object"),
        ("42", "malformed JSON: body is not a JSON object"),
    ],
)
def test_unusable_bodies_are_rejected_with_a_readable_reason(body: str | None, reason: str) -> None:
    assert _reason(check_body, body) == reason


def test_tmdb_error_body_on_a_200_is_rejected_as_upstream_error() -> None:
    body = json.dumps({"success": False, "status_code": 7, "status_message": "Invalid API key"})
    assert _reason(parse_movie, body, "550") == (
        "upstream error body: status_code 7: Invalid API key"
    )


def test_truncated_json_is_malformed_json() -> None:
    reason = _reason(parse_movie, '{"id": 550, "title": "Fight', "550")
    assert reason.startswith("malformed JSON: ")


# --- TMDB movies ----------------------------------------------------------------------------


def test_every_sample_movie_parses_with_its_children(samples_dir: Path) -> None:
    exchange = _sample(samples_dir, "tmdb/get_3_movie_550_*")
    movie = parse_movie(json.dumps(exchange["body"]), "550")
    assert movie["id"] == 550
    assert movie["imdb_id"] == "tt0137523"
    assert movie["release_date"] == date(1999, 10, 15)
    assert movie["runtime"] == 139
    assert [g["id"] for g in movie["genres"]] == [18]
    assert {t["iso_639_1"] for t in movie["translations"]} == {"en", "es", "it", "lt"}
    assert all(t["tmdb_id"] == 550 for t in movie["translations"])
    kinds = [i["kind"] for i in movie["images"]]
    assert kinds.count("poster") == kinds.count("backdrop") == kinds.count("logo") == 5


def test_imdb_id_falls_back_to_external_ids() -> None:
    body = tmdb_movie(7, None, external_ids={"imdb_id": "tt0000007"})
    assert parse_movie(json.dumps(body), "7")["imdb_id"] == "tt0000007"


def test_blank_title_falls_back_to_original_title_but_none_at_all_is_rejected() -> None:
    assert parse_movie(json.dumps(tmdb_movie(7, None, title="")), "7")["original_title"]
    body = tmdb_movie(7, None, title="  ", original_title="")
    assert _reason(parse_movie, json.dumps(body), "7") == "missing key: title"


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"imdb_id": "nm0000001"}, "bad imdb_id: not tt + 7-10 digits"),
        ({"imdb_id": "tt123"}, "bad imdb_id: not tt + 7-10 digits"),
        ({"imdb_id": ARABIC_INDIC_IMDB}, "bad imdb_id: not tt + 7-10 digits"),
        ({"runtime": "abc"}, "wrong type: runtime: "),
        ({"runtime": -5}, "wrong type: runtime: "),
        ({"vote_average": 11}, "wrong type: vote_average: "),
        ({"release_date": "1999-13-45"}, "wrong type: release_date: "),
        ({"overview": "x" * 20_001}, "wrong type: overview: "),
        ({"genres": "Drama"}, "wrong type: genres: "),
        ({"images": {"posters": [{"width": 3}]}}, "missing key: images.posters.0.file_path"),
        ({"id": 0}, "wrong type: id: "),
        ({"id": "abc"}, "wrong type: id: "),
    ],
)
def test_bad_movie_fields_name_the_field(overrides: dict[str, Any], reason: str) -> None:
    body = {**tmdb_movie(7, "tt0000007"), **overrides}
    assert _reason(parse_movie, json.dumps(body), str(body["id"])).startswith(reason)


def test_nan_and_infinity_are_not_numbers() -> None:
    text = json.dumps(tmdb_movie(7, None)).replace('"popularity": 12.5', '"popularity": NaN')
    assert _reason(parse_movie, text, "7").startswith("wrong type: popularity")


def test_missing_id_is_a_missing_key() -> None:
    body = tmdb_movie(7, None)
    del body["id"]
    assert _reason(parse_movie, json.dumps(body), "7") == "missing key: id"


def test_a_body_for_another_movie_is_rejected() -> None:
    body = json.dumps(tmdb_movie(8, None))
    assert _reason(parse_movie, body, "7") == "id mismatch: asked for movie 7, got 8"


def test_blank_release_date_and_imdb_mean_unknown() -> None:
    movie = parse_movie(json.dumps(tmdb_movie(7, "", release_date="")), "7")
    assert movie["release_date"] is None
    assert movie["imdb_id"] is None


# --- TMDB lists, genres, configuration -------------------------------------------------------


def test_sample_list_page_gives_positions_1_to_20(samples_dir: Path) -> None:
    body = json.dumps(_sample(samples_dir, "tmdb/get_3_movie_top_rated_*")["body"])
    members, rejected = parse_list_page(body, "top_rated:1")
    assert rejected == []
    assert [m["position"] for m in members] == list(range(1, 21))
    assert members[0] == {"list_name": "top_rated", "page": 1, "position": 1, "tmdb_id": 278}


def test_bad_list_member_is_rejected_alone_and_positions_stay_true() -> None:
    body = {"page": 3, "results": [{"id": 1}, {"id": "x"}, {"title": "no id"}, {"id": 4}]}
    members, rejected = parse_list_page(json.dumps(body), "popular:3")
    assert [(m["position"], m["tmdb_id"]) for m in members] == [(41, 1), (44, 4)]
    assert [(r.record_key, r.reason.split(":")[0]) for r in rejected] == [
        ("popular:42", "wrong type"),
        ("popular:43", "missing key"),
    ]


@pytest.mark.parametrize(
    ("key", "body", "reason"),
    [
        ("popular:2", {"page": 3, "results": []}, "page mismatch: asked for page 2, got page 3"),
        ("popular:1", {"page": 0, "results": []}, "wrong type: page: "),
        ("popular:1", {"page": 501, "results": []}, "wrong type: page: "),
        ("popular:1", {"page": 1}, "missing key: results"),
        (":1", {"page": 1, "results": []}, "bad list key: ':1' has no list name"),
    ],
)
def test_unusable_list_pages(key: str, body: dict[str, Any], reason: str) -> None:
    assert _reason(parse_list_page, json.dumps(body), key).startswith(reason)


def test_split_list_key() -> None:
    assert split_list_key("trending:12") == ("trending", 12)
    assert split_list_key("popular") == ("popular", None)
    assert split_list_key("popular:x") == ("popular", None)


def test_genres_sample_and_a_bad_genre(samples_dir: Path) -> None:
    body = json.dumps(_sample(samples_dir, "tmdb/get_3_genre_movie_list__language-es.json")["body"])
    genres, rejected = parse_genres(body, "es")
    assert len(genres) == 19 and rejected == []
    body = json.dumps({"genres": [{"id": 1, "name": "A"}, {"id": 2}]})
    genres, rejected = parse_genres(body, "en")
    assert genres == [{"id": 1, "name": "A"}]
    assert rejected[0].record_key == "en#1" and rejected[0].reason == "missing key: name"


def test_configuration_sample_and_a_non_http_base_url(samples_dir: Path) -> None:
    body = _sample(samples_dir, "tmdb/get_3_configuration.json")["body"]
    config = parse_configuration(json.dumps(body))
    assert config["image_base_url"] == "https://image.tmdb.org/t/p/"
    assert json.loads(config["poster_sizes"])[-1] == "original"
    body["images"]["secure_base_url"] = "javascript:alert(1)"
    assert _reason(parse_configuration, json.dumps(body)) == "bad image base url"


# --- YTS ------------------------------------------------------------------------------------


def test_yts_sample_torrents_keep_upstream_names(samples_dir: Path) -> None:
    exchange = _sample(samples_dir, "yts/*tt0137523.json")
    torrents, rejected = parse_yts(json.dumps(exchange["body"]), "tt0137523")
    assert rejected == []
    assert [t["quality"] for t in torrents] == ["720p", "1080p"]
    first = torrents[0]
    assert first["imdb_id"] == "tt0137523" and first["yts_runtime_min"] == 139
    assert first["bit_depth"] == 8 and first["audio_channels"] == 2.0
    assert first["is_repack"] is True and first["position"] == 0


def test_yts_answer_without_movies_key_is_a_valid_empty_answer(samples_dir: Path) -> None:
    exchange = _sample(samples_dir, "yts/*tt4154756.json")
    assert "movies" not in exchange["body"]["data"]
    assert parse_yts(json.dumps(exchange["body"]), "tt4154756") == ([], [])


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"hash": "abc"}, "bad info_hash: not 40 hex characters"),
        ({"hash": "XYZ" + HASH[3:]}, "bad info_hash: not 40 hex characters"),
        ({"hash": HASH + "0"}, "bad info_hash: not 40 hex characters"),
        ({"hash": 12345}, "wrong type: hash: "),
        ({"quality": "4K"}, "unknown quality: "),
        ({"quality": None}, "unknown quality: "),
        ({"seeds": -1}, "seeds < 0"),
        ({"peers": -2}, "peers < 0"),
        ({"seeds": "many"}, "wrong type: seeds: "),
        ({"size_bytes": 0}, "size_bytes <= 0"),
        ({"size_bytes": -5}, "size_bytes <= 0"),
        ({"size_bytes": 10**12 + 1}, "size_bytes > 1 TB"),
        ({"size_bytes": 1.5}, "wrong type: size_bytes: "),
        ({"bit_depth": "ten"}, "wrong type: bit_depth: "),
        ({"audio_channels": "inf"}, "wrong type: audio_channels: "),
    ],
)
def test_each_kind_of_torrent_garbage_is_rejected_alone(
    overrides: dict[str, Any], reason: str
) -> None:
    good = yts_torrent("cd" * 20)
    envelope = yts_envelope("tt0000001", [good, yts_torrent(HASH, **overrides)])
    torrents, rejected = parse_yts(json.dumps(envelope), "tt0000001")
    assert [t["hash"] for t in torrents] == ["cd" * 20]
    assert len(rejected) == 1
    assert rejected[0].reason.startswith(reason)
    expected = {**yts_torrent(HASH), **overrides}
    assert json.loads(rejected[0].payload) == expected


def test_missing_torrent_keys_are_named() -> None:
    torrent = yts_torrent(HASH)
    del torrent["seeds"]
    _, rejected = parse_yts(json.dumps(yts_envelope("tt0000001", [torrent])), "tt0000001")
    assert rejected[0].reason == "missing key: seeds"
    assert rejected[0].record_key == HASH


def test_size_of_exactly_one_terabyte_is_accepted_and_one_byte_too() -> None:
    torrents = [yts_torrent(HASH, size_bytes=10**12), yts_torrent("cd" * 20, size_bytes=1)]
    good, rejected = parse_yts(json.dumps(yts_envelope("tt0000001", torrents)), "tt0000001")
    assert len(good) == 2 and rejected == []


@pytest.mark.parametrize(
    ("value", "expected"), [("1", True), ("0", False), ("", False), (1, True), (True, True)]
)
def test_is_repack_spellings(value: Any, expected: bool) -> None:
    envelope = yts_envelope("tt0000001", [yts_torrent(HASH, is_repack=value)])
    assert parse_yts(json.dumps(envelope), "tt0000001")[0][0]["is_repack"] is expected


def test_broken_yts_movie_entry_counts_as_one_rejected_record() -> None:
    envelope = yts_envelope("tt0000001", [yts_torrent(HASH)])
    envelope["data"]["movies"].append({"id": 9, "imdb_code": "tt12", "torrents": []})
    torrents, rejected = parse_yts(json.dumps(envelope), "tt0000001")
    assert len(torrents) == 1
    assert [(r.record_key, r.reason) for r in rejected] == [
        ("tt0000001#1", "bad imdb_id: not tt + 7-10 digits")
    ]


def test_yts_movie_for_another_imdb_id_is_rejected() -> None:
    envelope = yts_envelope("tt0000002", [yts_torrent(HASH)])
    torrents, rejected = parse_yts(json.dumps(envelope), "tt0000001")
    assert torrents == []
    assert rejected[0].reason == "imdb mismatch: asked for tt0000001, got tt0000002"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"status": "error", "status_message": "Limit exceeded"}, "upstream error body: error"),
        ({"status_message": "ok"}, "missing key: status"),
        ({"status": "ok", "data": {"movies": "none"}}, "wrong type: data"),
    ],
)
def test_unusable_yts_envelopes(body: dict[str, Any], reason: str) -> None:
    assert _reason(parse_yts, json.dumps(body), "tt0000001").startswith(reason)


def test_yts_data_as_empty_list_means_no_movies() -> None:
    assert parse_yts(json.dumps({"status": "ok", "data": []}), "tt0000001") == ([], [])


def test_blank_bit_depth_and_audio_mean_unknown_but_negative_ones_are_wrong() -> None:
    blank = yts_torrent(HASH, bit_depth="", audio_channels="", date_uploaded_unix="")
    negative = yts_torrent("cd" * 20, bit_depth=-1)
    body = json.dumps(yts_envelope("tt0000001", [blank, negative]))
    good, rejected = parse_yts(body, "tt0000001")
    assert (good[0]["bit_depth"], good[0]["audio_channels"]) == (None, None)
    assert good[0]["date_uploaded_unix"] is None
    assert rejected[0].reason.startswith("wrong type: bit_depth")
