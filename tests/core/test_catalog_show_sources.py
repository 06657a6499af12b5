"""Show sources in the catalog: ranked per episode and profile, secrets sealed to their row
in ``show_sources`` (never interchangeable with a movie source's)."""

from __future__ import annotations

import sqlite3

import pytest

from core.catalog.contract import SecretUnreadable, SourceNotFound, source_id_for
from core.catalog.reseal import reseal_catalog
from core.catalog.sources import Catalog
from core.crypto import FieldCipher
from core.settings import Settings
from tests.engine.conftest import CatalogSource, write_catalog
from tests.helpers.shows import ShowSource, add_sample_shows


@pytest.fixture
def shows(settings: Settings, cipher: FieldCipher) -> tuple[Catalog, list[ShowSource]]:
    write_catalog(settings.catalog_path, cipher, [CatalogSource("movie-1", 1396, None, "d" * 40)])
    sources = add_sample_shows(settings.catalog_path, cipher)
    return Catalog(settings.catalog_path, cipher), sources


def _named(sources: list[ShowSource], release: str) -> ShowSource:
    return next(s for s in sources if s.release_name == release)


def test_episode_sources_are_ranked_per_profile(shows: tuple[Catalog, list[ShowSource]]) -> None:
    catalog, sources = shows
    pack = _named(sources, "Breaking.Bad.S01.1080p.BluRay.x264-GRP")
    uhd = _named(sources, "Breaking.Bad.S01E01.2160p.WEB-DL.x265-GRP")
    web = catalog.episode_sources(1396, 1, 1, "web")
    assert [s.source_id for s in web][:2] == [pack.source_id, _named(
        sources, "Breaking.Bad.S01E01.720p.WEB-DL.x264-GRP").source_id]  # fmt: skip
    assert web[-1].source_id == uhd.source_id and web[-1].rank_web is None
    assert catalog.pick_episode(1396, 1, 1, profile="tv").source_id == uhd.source_id
    assert web[0].is_pack and web[0].season_number == 1 and web[0].episode_number == 1
    assert web[0].tmdb_id == 1396


def test_a_pack_plays_each_of_its_episodes(shows: tuple[Catalog, list[ShowSource]]) -> None:
    catalog, sources = shows
    pack = _named(sources, "Breaking.Bad.S01.1080p.BluRay.x264-GRP")
    for episode in (1, 2, 3):
        assert catalog.pick_episode(1396, 1, episode).source_id == pack.source_id
    assert catalog.file_hint(pack.source_id, 1, 1) == (
        "Breaking.Bad.S01.1080p/Breaking.Bad.S01E01.1080p.mkv"
    )
    assert catalog.file_hint(pack.source_id, 1, 2) is None  # the engine matches S01E02


def test_a_named_source_must_play_that_episode(shows: tuple[Catalog, list[ShowSource]]) -> None:
    catalog, sources = shows
    single = _named(sources, "Breaking.Bad.S01E01.720p.WEB-DL.x264-GRP")
    assert (
        catalog.pick_episode(1396, 1, 1, source_id=single.source_id)
        == catalog.episode_sources(1396, 1, 1)[1]
    )
    with pytest.raises(SourceNotFound):
        catalog.pick_episode(1396, 1, 2, source_id=single.source_id)
    with pytest.raises(SourceNotFound):
        catalog.pick_episode(1396, 1, 1, source_id="movie-1")  # a movie's source
    with pytest.raises(SourceNotFound):
        catalog.pick_episode(1396, 2, 2)  # no source at all
    assert catalog.pick_episode(1396, 1, 1, quality="720P").quality == "720p"
    with pytest.raises(ValueError):
        catalog.episode_sources(1396, 1, 1, "toaster")


def test_show_secrets_open_with_the_show_sources_label(
    shows: tuple[Catalog, list[ShowSource]],
) -> None:
    catalog, sources = shows
    single = _named(sources, "Breaking.Bad.S01E01.720p.WEB-DL.x264-GRP")
    secrets = catalog.secrets(single.source_id)
    assert secrets.info_hash == single.info_hash.lower()
    assert secrets.magnet == single.magnet
    assert secrets.torrent_url == "https://eztv.example/torrent/bb101"
    assert catalog.secrets("movie-1").info_hash == "d" * 40  # movies still open


def test_a_show_secret_sealed_as_a_movie_secret_does_not_open(
    shows: tuple[Catalog, list[ShowSource]], cipher: FieldCipher
) -> None:
    catalog, sources = shows
    sid = sources[0].source_id
    conn = sqlite3.connect(catalog.path)
    forged = cipher.encrypt("e" * 40, f"sources.info_hash:{sid}")  # the movie table's label
    conn.execute("UPDATE show_sources SET info_hash_enc = ? WHERE source_id = ?", (forged, sid))
    conn.commit()
    conn.close()
    with pytest.raises(SecretUnreadable):
        catalog.secrets(sid)


def test_key_rotation_reseals_show_sources_and_their_episode_links(
    shows: tuple[Catalog, list[ShowSource]], cipher: FieldCipher
) -> None:
    catalog, sources = shows
    rotated = FieldCipher(b"another-master-key-0123456789-abcdefghijklmnopqrstuv")
    assert reseal_catalog(catalog.path, cipher, rotated) == 1 + len(sources)  # movie + shows
    after = Catalog(catalog.path, rotated)
    pack = _named(sources, "Breaking.Bad.S01.1080p.BluRay.x264-GRP")
    new_id = source_id_for(rotated, pack.info_hash)
    assert new_id != pack.source_id
    assert after.pick_episode(1396, 1, 2).source_id == new_id  # episode_sources followed
    assert after.secrets(new_id).info_hash == pack.info_hash.lower()
    assert after.file_hint(new_id, 1, 1) is not None
    with pytest.raises(SourceNotFound):
        after.secrets(pack.source_id)  # the old id is gone
    with pytest.raises(SecretUnreadable):
        Catalog(catalog.path, cipher).secrets(new_id)  # the old key opens nothing


def test_key_rotation_of_a_catalog_without_show_tables(
    settings: Settings, cipher: FieldCipher
) -> None:
    write_catalog(settings.catalog_path, cipher, [CatalogSource("movie-1", 1, None, "d" * 40)])
    conn = sqlite3.connect(settings.catalog_path)
    conn.executescript("DROP TABLE episode_sources; DROP TABLE show_sources;")
    conn.close()
    rotated = FieldCipher(b"another-master-key-0123456789-abcdefghijklmnopqrstuv")
    assert reseal_catalog(settings.catalog_path, cipher, rotated) == 1
