"""Contract: for every recorded upstream sample, the fake answers the same request with the
same status, envelope and body shape (same keys recursively, compatible JSON types).

Sample ids (550, tt0137523, ...) need not exist in the fake, so ids are swapped for fake ids
of the same kind: an existing movie for a 200, a deleted one for the 404, a movie without
torrents for the YTS answer without ``movies``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from sandbox.catalogue import SyntheticCatalogue
from sandbox.fake_upstream import RunningUpstream, start_fake_upstream
from tests.conftest import SAMPLES_DIR

SAMPLE_FILES = sorted(p.relative_to(SAMPLES_DIR).as_posix() for p in SAMPLES_DIR.glob("*/*.json"))
PREFIX = {"tmdb": "/tmdb", "yts": "/yts", "trakt": "/trakt"}
# Keys the real services send as null for some records (null in the fake is then fine).
NULLABLE = {
    "belongs_to_collection", "imdb_id", "logo_path", "iso_639_1", "poster_path",
    "backdrop_path", "wikidata_id", "facebook_id", "instagram_id", "twitter_id", "adult",
    "freebase_mid", "freebase_id", "tvrage_id", "profile_path", "still_path",
}  # fmt: skip


@pytest.fixture(scope="module")
def catalogue() -> SyntheticCatalogue:
    return SyntheticCatalogue(400, seed=42)


@pytest.fixture(scope="module")
def upstream(catalogue: SyntheticCatalogue) -> Iterator[RunningUpstream]:
    with start_fake_upstream(catalogue) as running:
        yield running


def _complete_movie(cat: SyntheticCatalogue) -> int:
    """An id whose details have every optional part filled (collection, logos, imdb id)."""
    for tmdb_id in cat.tmdb_ids:
        body = cat.movie(tmdb_id)
        if (
            body
            and body["belongs_to_collection"]
            and body["imdb_id"]
            and all(body["images"].values())
            and body["production_companies"]
        ):
            return tmdb_id
    raise AssertionError("no complete movie in the catalogue")


def _long_running_show(cat: SyntheticCatalogue) -> int:
    """A show with an IMDb id and at least two seasons (the sample asks for season 2)."""
    for tv_id in cat.tv_ids:
        show = cat.tv_show(tv_id)
        if show and show["external_ids"]["imdb_id"] and show["number_of_seasons"] >= 2:
            return tv_id
    raise AssertionError("no long-running show in the catalogue")


def _imdb(cat: SyntheticCatalogue, with_torrents: bool) -> str:
    for imdb in map(cat.imdb_id_of, cat.tmdb_ids):
        if imdb and bool(cat.yts_torrents(imdb)) == with_torrents:
            return imdb
    raise AssertionError("no such movie in the catalogue")


def _fake_request(sample: dict[str, Any], cat: SyntheticCatalogue) -> tuple[str, dict[str, str]]:
    """The sample's path and query, with ids swapped for fake ones."""
    path, query = sample["path"], dict(sample["query"])
    if match := re.fullmatch(r"/3/tv/\d+(/season/\d+)?", path):
        path = f"/3/tv/{_long_running_show(cat)}{match.group(1) or ''}"
    if re.fullmatch(r"/3/movie/\d+", path):
        tmdb_id = _complete_movie(cat) if sample["status"] == 200 else cat.missing_ids[0]
        path = f"/3/movie/{tmdb_id}"
    if "start_date" in query:
        today = datetime.now(UTC).date()
        query["start_date"], query["end_date"] = str(today - timedelta(days=1)), str(today)
    if query.get("query_term", "").startswith("tt"):
        query["query_term"] = _imdb(cat, with_torrents="movies" in sample["body"]["data"])
    return PREFIX[sample["service"]] + path, query


def assert_same_shape(sample: Any, fake: Any, where: str = "body") -> None:
    """Every key of ``sample`` is in ``fake`` (and no other), with a compatible JSON type."""
    key = where.rsplit(".", 1)[-1].split("[", 1)[0]
    if sample is None:
        return
    if fake is None:
        assert key in NULLABLE, f"{where}: null in the fake, {type(sample).__name__} in sample"
        return
    if isinstance(sample, bool) or isinstance(fake, bool):
        assert type(fake) is type(sample), f"{where}: {fake!r} vs sample {sample!r}"
    elif isinstance(sample, int | float):
        assert isinstance(fake, int | float), f"{where}: {fake!r} is not a number"
    elif isinstance(sample, str):
        assert isinstance(fake, str), f"{where}: {fake!r} is not a string"
    elif isinstance(sample, dict):
        assert isinstance(fake, dict), f"{where}: {type(fake).__name__} is not an object"
        assert set(fake) == set(sample), (
            f"{where}: missing {sorted(set(sample) - set(fake))}, "
            f"extra {sorted(set(fake) - set(sample))}"
        )
        for name, value in sample.items():
            assert_same_shape(value, fake[name], f"{where}.{name}")
    elif isinstance(sample, list):
        assert isinstance(fake, list), f"{where}: {type(fake).__name__} is not a list"
        if sample:
            assert fake, f"{where}: empty in the fake, {len(sample)} items in the sample"
            for n, item in enumerate(fake[:5]):
                assert_same_shape(sample[0], item, f"{where}[{n}]")
    else:  # pragma: no cover - JSON has no other types
        raise AssertionError(f"{where}: unexpected sample value {sample!r}")


@pytest.mark.parametrize("name", SAMPLE_FILES)
def test_fake_answers_like_the_recorded_sample(
    name: str, samples_dir: Path, upstream: RunningUpstream, catalogue: SyntheticCatalogue
) -> None:
    sample = json.loads((samples_dir / name).read_text())
    path, query = _fake_request(sample, catalogue)
    with httpx.Client(base_url=upstream.base_url, timeout=10) as client:
        if sample["method"] == "POST":
            response = client.post(path, params=query, json={"client_id": "sandbox"})
        else:
            response = client.get(path, params=query)
    assert response.status_code == sample["status"], response.text[:300]
    assert (
        response.headers["content-type"].split(";")[0]
        == (sample["headers"]["content-type"].split(";")[0])
    )
    for header in sample["headers"]:
        if header.startswith(("x-pagination-", "x-ratelimit")):
            assert header in response.headers, header
    assert_same_shape(sample["body"], response.json())


def test_shape_check_catches_missing_extra_and_mistyped_keys() -> None:
    sample = {"a": 1, "b": [{"c": "x"}], "imdb_id": "tt1"}
    assert_same_shape(sample, {"a": 2.5, "b": [{"c": "y"}, {"c": "z"}], "imdb_id": None})
    for broken in (
        {"a": 1, "b": [{"c": "x"}]},
        {"a": 1, "b": [{"c": "x"}], "imdb_id": "tt1", "d": 0},
        {"a": "1", "b": [{"c": "x"}], "imdb_id": "tt1"},
        {"a": 1, "b": [{"c": 3}], "imdb_id": "tt1"},
        {"a": 1, "b": [], "imdb_id": "tt1"},
        {"a": True, "b": [{"c": "x"}], "imdb_id": "tt1"},
        {"a": None, "b": [{"c": "x"}], "imdb_id": "tt1"},
    ):
        with pytest.raises(AssertionError):
            assert_same_shape(sample, broken)
