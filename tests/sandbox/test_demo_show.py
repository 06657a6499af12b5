"""The demo show: season 1 of a popular synthetic show as a real, scene-named season pack that
the fake EZTV lists as the show's only torrent, with its ``.torrent`` served on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from engine import lt
from sandbox.catalogue import SyntheticCatalogue
from sandbox.demo_show import MAX_EPISODES, DemoShow, add_demo_show, pick_demo_show
from sandbox.errors import CatalogueError
from sandbox.fake_upstream import RunningUpstream, UpstreamConfig, start_fake_upstream
from sandbox.swarm import SeededTorrent
from sandbox.tv_records import layout
from warehouse.release_names import parse_release


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[SyntheticCatalogue, DemoShow, Path]:
    catalogue = SyntheticCatalogue(30, seed=42)
    media = tmp_path_factory.mktemp("media")
    handed: list[SeededTorrent] = []
    show = add_demo_show(
        catalogue,
        media,
        ["http://127.0.0.1:9/announce"],
        handed.append,
        url_for=lambda upper: f"/yts/torrent/download/{upper}",
    )
    assert [t.path for t in handed] == [media / show.pack_name]
    return catalogue, show, media


@pytest.fixture(scope="module")
def upstream(
    seeded: tuple[SyntheticCatalogue, DemoShow, Path],
) -> Iterator[RunningUpstream]:
    with start_fake_upstream(UpstreamConfig(catalogue=seeded[0])) as running:
        yield running


def test_the_demo_show_is_popular_with_an_imdb_id_and_a_short_first_season() -> None:
    catalogue = SyntheticCatalogue(30, seed=42)
    show = pick_demo_show(catalogue)
    first_page = [int(r["id"]) for r in catalogue.tv_list_page("popular", 1)["results"]]
    assert show.tv_id in first_page
    assert catalogue.show_imdb_id(show.tv_id)
    assert show.episodes == layout(42, show.tv_id)[1][0] <= MAX_EPISODES


def test_pack_and_episode_files_carry_scene_names_the_warehouse_parses() -> None:
    show = DemoShow(1, "Sleeping Camel", 6)
    pack = parse_release(show.pack_name)
    assert (pack.season, pack.episode, pack.is_pack, pack.quality) == (1, None, True, "720p")
    for episode in (1, 6):
        single = parse_release(show.episode_file(episode).removesuffix(".mp4"))
        assert (single.season, single.episode, single.is_pack) == (1, episode, False)


def test_the_pack_holds_one_file_per_episode_of_season_one(
    seeded: tuple[SyntheticCatalogue, DemoShow, Path],
) -> None:
    _catalogue, show, media = seeded
    files = sorted(p.name for p in (media / show.pack_name).iterdir())
    assert files == [show.episode_file(n) for n in range(1, show.episodes + 1)]
    assert all((media / show.pack_name / name).stat().st_size > 10_000 for name in files)


def test_fake_eztv_lists_only_the_pack_and_serves_its_torrent(
    seeded: tuple[SyntheticCatalogue, DemoShow, Path], upstream: RunningUpstream
) -> None:
    catalogue, show, _media = seeded
    imdb = catalogue.show_imdb_id(show.tv_id)
    assert imdb is not None
    with httpx.Client(base_url=upstream.base_url, timeout=10) as http:
        body = http.get("/eztv/api/get-torrents", params={"imdb_id": imdb[2:]}).json()
        assert body["torrents_count"] == 1
        (record,) = body["torrents"]
        assert (record["season"], record["episode"], record["imdb_id"]) == ("1", "0", imdb[2:])
        assert record["title"] == f"{show.pack_name} EZTV"
        blob = http.get(record["torrent_url"])
    assert blob.status_code == 200
    assert lt.info_hash_v1(blob.content) == record["hash"]
    assert int(record["size_bytes"]) > 0 and record["seeds"] == 1


def test_injected_eztv_torrents_replace_only_that_shows_listing() -> None:
    catalogue = SyntheticCatalogue(30, seed=42)
    target, other = [i for i in catalogue.tv_ids if catalogue.show_imdb_id(i)][:2]
    other_imdb, target_imdb = catalogue.show_imdb_id(other), catalogue.show_imdb_id(target)
    assert other_imdb and target_imdb
    before = catalogue.eztv_torrents(other_imdb)
    records = [{"hash": "a" * 40, "date_released_unix": 1}, {"hash": "b" * 40}]
    catalogue.add_eztv_torrents(target, records, {"a" * 40: b"d8:announce0:e"})
    records[0]["hash"] = "mutated by the caller"
    listed = catalogue.eztv_torrents(target_imdb)
    assert [t["hash"] for t in listed] == ["a" * 40, "b" * 40]  # newest first
    listed[0]["hash"] = "mutated by a reader"
    assert catalogue.eztv_torrents(target_imdb)[0]["hash"] == "a" * 40
    assert catalogue.eztv_torrents(other_imdb) == before
    assert catalogue.torrent_file("A" * 40) == b"d8:announce0:e"


@pytest.mark.parametrize(
    ("tv_id", "record"),
    [
        (-1, {"hash": "a" * 40}),  # no such show
        (10**12, {"hash": "a" * 40}),
        (None, {}),  # a record without a hash
        (None, {"hash": 123}),
        (None, {"hash": None}),
    ],
)
def test_injecting_for_an_unknown_show_or_without_a_hash_is_refused(
    tv_id: int | None, record: dict[str, object]
) -> None:
    catalogue = SyntheticCatalogue(30, seed=42)
    show = next(i for i in catalogue.tv_ids if catalogue.show_imdb_id(i))
    with pytest.raises(CatalogueError):
        catalogue.add_eztv_torrents(show if tv_id is None else tv_id, [record])
    imdb = catalogue.show_imdb_id(show)
    assert imdb and catalogue.eztv_torrents(imdb)  # the synthetic listing is untouched
