"""TMDB request building and defensive parsing of list pages (hostile values included)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from flows.tmdb import (
    details_request,
    genre_request,
    imdb_from_details,
    list_page_request,
    movie_ids_from_page,
    pages_to_fetch,
    total_pages,
)


def test_details_request_key_matches_the_documented_canonical_form() -> None:
    request = details_request(550, "en")
    assert request.key == (
        "GET /3/movie/550?append_to_response=external_ids,images,translations&language=en"
    )
    assert request.entity_key == "550"


def test_list_and_genre_requests_carry_their_entity_keys() -> None:
    assert list_page_request("popular", 3, "en").entity_key == "popular:3"
    assert list_page_request("trending", 1, "en").path == "/3/trending/movie/week"
    assert list_page_request("top_rated", 2, "es").key == (
        "GET /3/movie/top_rated?language=es&page=2"
    )
    assert genre_request("es").key == "GET /3/genre/movie/list?language=es"


def test_unknown_list_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown TMDB list"):
        list_page_request("now_playing; rm", 1, "en")


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        ({"results": [{"id": 550}, {"id": 13}]}, [550, 13]),
        ({"results": [{"id": "550"}, {"id": 1.5}, {"id": True}, {"id": -3}, {"id": 0}]}, []),
        ({"results": [{"id": 2**63}, {"id": None}, {}, "x", 7, [1]]}, []),
        ({"results": [{"id": 2**63 - 1}]}, [2**63 - 1]),
        ({"results": "not a list"}, []),
        ({"results": None}, []),
        ({}, []),
        ([{"id": 1}], []),
        (None, []),
        ("page", []),
    ],
)
def test_movie_ids_from_page_skips_anything_malformed(page: Any, expected: list[int]) -> None:
    assert movie_ids_from_page(page) == expected


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        ({"total_pages": 3}, 3),
        ({"total_pages": 0}, 0),
        ({"total_pages": -1}, None),
        ({"total_pages": "3"}, None),
        ({"total_pages": 3.0}, None),
        ({"total_pages": True}, None),
        ({}, None),
        (None, None),
    ],
)
def test_total_pages_only_trusts_sane_integers(page: Any, expected: int | None) -> None:
    assert total_pages(page) == expected


@pytest.mark.parametrize(
    ("first_page", "configured", "expected"),
    [
        ({"total_pages": 3}, 5, [2, 3]),
        ({"total_pages": 1}, 5, []),
        ({"total_pages": 0}, 5, []),
        ({"total_pages": 40}, 5, [2, 3, 4, 5]),
        ({"total_pages": 10**9}, 500, list(range(2, 501))),
        ({"total_pages": 10**9}, 10**6, list(range(2, 501))),  # TMDB's page ceiling
        (None, 3, [2, 3]),  # page 1 failed: total unknown, try the configured pages
        ({"total_pages": "many"}, 2, [2]),
    ],
)
def test_pages_to_fetch_stops_at_total_pages_and_the_ceiling(
    first_page: Any, configured: int, expected: list[int]
) -> None:
    assert list(pages_to_fetch(first_page, configured)) == expected


def test_recorded_top_rated_page_parses(samples_dir: Path) -> None:
    sample = json.loads(
        (samples_dir / "tmdb" / "get_3_movie_top_rated__language-en_page-1.json").read_text()
    )
    ids = movie_ids_from_page(sample["body"])
    assert len(ids) == len(sample["body"]["results"]) == 20
    assert ids[0] == 278
    assert total_pages(sample["body"]) == sample["body"]["total_pages"]


@pytest.mark.parametrize(
    ("details", "expected"),
    [
        ({"imdb_id": "tt0137523"}, "tt0137523"),
        ({"imdb_id": None, "external_ids": {"imdb_id": "tt0137523"}}, "tt0137523"),
        ({"imdb_id": "", "external_ids": {"imdb_id": "tt0137523"}}, "tt0137523"),
        ({"imdb_id": "tt1&limit=50"}, None),
        ({"imdb_id": 137523}, None),
        ({"imdb_id": None, "external_ids": "tt0137523"}, None),
        ({"imdb_id": None, "external_ids": {"imdb_id": ["tt0137523"]}}, None),
        ({}, None),
    ],
)
def test_imdb_id_is_read_from_details_defensively(
    details: dict[str, Any], expected: str | None
) -> None:
    assert imdb_from_details(details) == expected
