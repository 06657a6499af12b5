"""The fake EZTV API and TV lists: envelope and paging as the real API, realistic release
names over the synthetic catalogue, and the same fault knobs as YTS (a dead EZTV mirror)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest

from sandbox.catalogue import SyntheticCatalogue
from sandbox.errors import CatalogueError
from sandbox.fake_upstream import RunningUpstream, UpstreamConfig, start_fake_upstream
from sandbox.faults import FaultConfig
from sandbox.tv_records import layout

TORRENT_KEYS = {
    "id", "hash", "filename", "episode_url", "torrent_url", "magnet_url", "title", "imdb_id",
    "season", "episode", "small_screenshot", "large_screenshot", "seeds", "peers",
    "date_released_unix", "size_bytes",
}  # fmt: skip


@pytest.fixture(scope="module")
def catalogue() -> SyntheticCatalogue:
    return SyntheticCatalogue(200, seed=9)


@pytest.fixture(scope="module")
def upstream(catalogue: SyntheticCatalogue) -> Iterator[RunningUpstream]:
    with start_fake_upstream(UpstreamConfig(catalogue=catalogue, eztv_mirrors=2)) as running:
        yield running


@pytest.fixture(scope="module")
def client(upstream: RunningUpstream) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=upstream.base_url, timeout=10) as http:
        yield http


def _show_imdb(cat: SyntheticCatalogue) -> str:
    return next(i for s in cat.tv_ids if (i := cat.show_imdb_id(s)))


def test_get_torrents_answers_with_eztvs_envelope_and_field_types(
    catalogue: SyntheticCatalogue, client: httpx.Client
) -> None:
    imdb = _show_imdb(catalogue)
    body = client.get("/eztv/api/get-torrents", params={"imdb_id": imdb[2:]}).json()
    assert set(body) == {"imdb_id", "torrents_count", "limit", "page", "torrents"}
    assert (body["imdb_id"], body["limit"], body["page"]) == (imdb[2:], 30, 1)
    first = body["torrents"][0]
    assert set(first) == TORRENT_KEYS
    assert all(isinstance(first[k], str) for k in ("season", "episode", "size_bytes", "imdb_id"))
    assert isinstance(first["seeds"], int) and isinstance(first["date_released_unix"], int)
    assert re.fullmatch(r"[0-9a-f]{40}", first["hash"])
    assert first["magnet_url"].startswith(f"magnet:?xt=urn:btih:{first['hash']}&dn=")
    assert first["title"].endswith(" EZTV")


def test_pages_cover_every_torrent_exactly_once(
    catalogue: SyntheticCatalogue, client: httpx.Client
) -> None:
    imdb = _show_imdb(catalogue)
    seen: list[str] = []
    page = 1
    while True:
        params = {"imdb_id": imdb, "limit": 7, "page": page}  # "tt" is accepted too
        body = client.get("/eztv/api/get-torrents", params=params).json()
        if "torrents" not in body:
            break
        seen += [t["hash"] for t in body["torrents"]]
        page += 1
    assert len(seen) == len(set(seen)) == body["torrents_count"]
    assert seen == [t["hash"] for t in catalogue.eztv_torrents(imdb)]


@pytest.mark.parametrize(
    ("params", "limit", "page"),
    [
        ({"limit": "500"}, 100, 1),
        ({"limit": "0"}, 1, 1),
        ({"limit": "-3", "page": "x"}, 30, 1),
        ({"limit": "9" * 20, "page": "0"}, 30, 1),
        ({"page": "999999999"}, 30, 10**6),
    ],
)
def test_out_of_range_paging_is_clamped_like_eztv_does(
    catalogue: SyntheticCatalogue,
    client: httpx.Client,
    params: dict[str, str],
    limit: int,
    page: int,
) -> None:
    imdb = _show_imdb(catalogue)[2:]
    body = client.get("/eztv/api/get-torrents", params={"imdb_id": imdb, **params}).json()
    assert (body["limit"], body["page"]) == (limit, page)


@pytest.mark.parametrize(
    "imdb", ["", "tt", "abc", "1' OR 1=1 --", "9" * 30, "\u0661\u0662\u0663", "0000001"]
)
def test_unknown_or_malformed_imdb_ids_give_an_empty_listing(
    client: httpx.Client, imdb: str
) -> None:
    response = client.get("/eztv/api/get-torrents", params={"imdb_id": imdb})
    body = response.json()
    assert response.status_code == 200
    assert body["torrents_count"] == 0 and "torrents" not in body


def test_release_names_look_like_the_scenes(catalogue: SyntheticCatalogue) -> None:
    titles = [
        t["title"]
        for show in catalogue.tv_ids
        if (imdb := catalogue.show_imdb_id(show))
        for t in catalogue.eztv_torrents(imdb)
    ]
    text = "\n".join(titles)
    for marker in (
        r"S\d\dE\d\d", r"S\d\d.COMPLETE", r"Season.\d", "480p", "720p", "1080p", "2160p",
        "x264", "x265", "HEVC", "HDTV", "WEB-DL", "WEBRip", "BluRay", "PROPER", "REPACK",
        r"-[A-Za-z]+ EZTV$",
    ):  # fmt: skip
        assert re.search(marker, text, re.MULTILINE), marker
    groups = Counter(t.rsplit("-", 1)[-1] for t in titles if "-" in t)
    assert len(groups) >= 5
    junk = [t for t in titles if not re.search(r"S\d\d|Season", t)]
    assert 0 < len(junk) < len(titles) * 0.05  # a little junk, as on the real site


def test_singles_name_existing_episodes_and_packs_finished_seasons(
    catalogue: SyntheticCatalogue,
) -> None:
    for show in catalogue.tv_ids[:10]:
        imdb = catalogue.show_imdb_id(show)
        if not imdb:
            continue
        _first, seasons, _runtime = layout(catalogue.seed, show)
        for t in catalogue.eztv_torrents(imdb):
            season, episode = int(t["season"]), int(t["episode"])
            assert 1 <= season <= len(seasons)
            if episode == 0:
                assert season < len(seasons)
            else:
                assert 1 <= episode <= seasons[season - 1]


def test_a_dead_eztv_mirror_fails_while_the_other_answers(
    catalogue: SyntheticCatalogue, upstream: RunningUpstream, client: httpx.Client
) -> None:
    imdb = _show_imdb(catalogue)[2:]
    dead, alive = upstream.eztv_urls
    upstream.set_faults(FaultConfig(dead_mirrors=frozenset({"eztv"})))
    try:
        assert client.get(f"{dead}/api/get-torrents", params={"imdb_id": imdb}).status_code == 503
        answer = client.get(f"{alive}/api/get-torrents", params={"imdb_id": imdb})
        assert answer.status_code == 200 and answer.json()["torrents_count"] > 0
    finally:
        upstream.set_faults(FaultConfig())


def test_tv_lists_page_through_the_shows_in_their_order(
    catalogue: SyntheticCatalogue, client: httpx.Client
) -> None:
    popular = client.get("/tmdb/3/tv/popular", params={"page": 1}).json()
    assert popular == catalogue.tv_list_page("popular", 1)
    values = [r["popularity"] for r in popular["results"]]
    assert values == sorted(values, reverse=True)
    assert popular["total_results"] == len(catalogue.tv_ids)
    top = client.get("/tmdb/3/tv/top_rated").json()["results"]
    assert [r["vote_average"] for r in top] == sorted(
        (r["vote_average"] for r in top), reverse=True
    )
    trending = client.get("/tmdb/3/trending/tv/week").json()["results"]
    assert {r["media_type"] for r in trending} == {"tv"}
    for result in popular["results"][:3]:
        details = client.get(f"/tmdb/3/tv/{result['id']}").json()
        assert details["popularity"] == result["popularity"]  # lists agree with details
    assert client.get("/tmdb/3/tv/popular", params={"page": "0"}).status_code == 400
    assert client.get("/tmdb/3/trending/tv/month").status_code == 404


@pytest.mark.parametrize("shows", [4, 20_001, True, "10"])
def test_show_count_is_validated(shows: object) -> None:
    with pytest.raises(CatalogueError):
        SyntheticCatalogue(10, shows=shows)  # type: ignore[arg-type]
