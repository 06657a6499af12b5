"""/api/lists and /api/genres."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.helpers.catalog import GENRES, LISTS, SampleMarts
from tests.serve.conftest import assert_error


def test_lists_report_every_known_list_with_its_size(
    client: FlaskClient, auth: dict[str, str], published: SampleMarts
) -> None:
    body = client.get("/api/lists", headers=auth).get_json()
    assert body == {"results": [{"name": name, "count": len(ids)} for name, ids in LISTS.items()]}


def test_genres_default_to_english_sorted_by_name_with_counts(
    client: FlaskClient, auth: dict[str, str], published: SampleMarts
) -> None:
    body = client.get("/api/genres", headers=auth).get_json()
    assert body["language"] == "en"
    names = [genre["name"] for genre in body["results"]]
    assert names == sorted((en for en, _ in GENRES.values()), key=str.casefold)
    counts = {genre["id"]: genre["movie_count"] for genre in body["results"]}
    assert counts[18] == 4 and counts[80] == 3 and counts[10749] == 1


def test_genres_in_spanish_fall_back_to_english_when_untranslated(
    client: FlaskClient, auth: dict[str, str], published: SampleMarts
) -> None:
    body = client.get("/api/genres?language=es", headers=auth).get_json()
    names = {genre["id"]: genre["name"] for genre in body["results"]}
    assert names[28] == "Acción"
    assert names[10749] == "Romance"


def test_genres_in_an_unknown_language_are_english(
    client: FlaskClient, auth: dict[str, str], published: SampleMarts
) -> None:
    body = client.get("/api/genres?language=xx", headers=auth).get_json()
    assert {genre["name"] for genre in body["results"]} == {en for en, _ in GENRES.values()}


@pytest.mark.parametrize("language", ["e", "eng", "en-", "es-ESP", "../", "en;--"])
def test_genres_reject_malformed_language(
    client: FlaskClient, auth: dict[str, str], published: SampleMarts, language: str
) -> None:
    response = client.get("/api/genres", query_string={"language": language}, headers=auth)
    assert "language" in assert_error(response, 400, "invalid_parameter")
