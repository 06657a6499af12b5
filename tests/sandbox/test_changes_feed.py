"""The fake TMDB's changes feeds: the recorded sample's shape, both feeds, the change knob."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest

from sandbox.catalogue import SyntheticCatalogue
from sandbox.errors import CatalogueError
from sandbox.fake_upstream import UpstreamConfig, start_fake_upstream

SAMPLE = "tmdb/get_3_movie_changes__language-en_page-1.json"


@pytest.fixture
def client() -> Iterator[tuple[httpx.Client, SyntheticCatalogue]]:
    catalogue = SyntheticCatalogue(300, seed=4)
    with (
        start_fake_upstream(UpstreamConfig(catalogue=catalogue)) as running,
        httpx.Client(base_url=running.base_url + "/tmdb") as http,
    ):
        yield http, catalogue


def _shape(value: object) -> object:
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(value[0])] if value else []
    return type(value).__name__


def test_both_feeds_answer_with_the_recorded_shape(
    client: tuple[httpx.Client, SyntheticCatalogue], samples_dir: Path
) -> None:
    http, _ = client
    sample = json.loads((samples_dir / SAMPLE).read_text())["body"]
    window = {"start_date": "2026-03-01", "end_date": "2026-03-02", "page": 1}
    for path in ("/3/movie/changes", "/3/tv/changes"):
        body = http.get(path, params=window).json()
        assert set(body) == set(sample)
        assert _shape(body["results"][0])["id"] == "int"  # type: ignore[index]
        assert body["total_results"] >= len(body["results"]) > 0


def test_tv_changes_is_not_taken_for_a_show_id(
    client: tuple[httpx.Client, SyntheticCatalogue],
) -> None:
    http, catalogue = client
    body = http.get(
        "/3/tv/changes", params={"start_date": "2026-03-01", "end_date": "2026-03-01"}
    ).json()
    assert {item["id"] for item in body["results"]} <= set(catalogue.tv_ids)
    too_long = {"start_date": "2026-03-01", "end_date": "2026-03-20"}
    assert http.get("/3/tv/changes", params=too_long).status_code == 422


def test_touched_titles_are_named_on_their_day_and_carry_a_new_revision(
    client: tuple[httpx.Client, SyntheticCatalogue],
) -> None:
    http, catalogue = client
    catalogue.change_rate = 0.0
    movie = catalogue.tmdb_ids[3]
    before = http.get(f"/3/movie/{movie}").json()
    catalogue.touch([movie], on=date(2026, 3, 5))
    day = {"start_date": "2026-03-05", "end_date": "2026-03-05"}
    assert [r["id"] for r in http.get("/3/movie/changes", params=day).json()["results"]] == [movie]
    other = {"start_date": "2026-03-06", "end_date": "2026-03-06"}
    assert http.get("/3/movie/changes", params=other).json()["results"] == []
    after = http.get(f"/3/movie/{movie}").json()
    assert after["vote_count"] == before["vote_count"] + 1
    assert after["overview"].endswith("(revision 1)")
    with pytest.raises(CatalogueError, match="kind"):
        catalogue.touch([movie], kind="person")
