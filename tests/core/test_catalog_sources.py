"""Catalog lookups: read-only, ranked per profile, secrets opened with their row's aad."""

from __future__ import annotations

import sqlite3

import pytest

from core.catalog.contract import SecretUnreadable, SourceNotFound
from core.catalog.sources import Catalog
from core.crypto import FieldCipher
from core.settings import Settings
from tests.engine.conftest import CatalogSource, write_catalog

H1, H2, H3 = "a" * 40, "b" * 40, "c" * 40


@pytest.fixture
def catalog(settings: Settings, cipher: FieldCipher) -> Catalog:
    write_catalog(settings.catalog_path, cipher, [
        CatalogSource("s1", 7, None, H1, quality="720p", rank_web=2, rank_tv=1,
                      torrent_url="http://x/1.torrent"),
        CatalogSource("s2", 7, None, H2, quality="1080p", rank_web=1, rank_tv=2),
        CatalogSource("s3", 8, None, H3, quality="720p"),
    ])  # fmt: skip
    return Catalog(settings.catalog_path, cipher)


def test_best_source_depends_on_the_profile(catalog: Catalog) -> None:
    assert catalog.pick(7, profile="web").source_id == "s2"
    assert catalog.pick(7, profile="tv").source_id == "s1"


def test_quality_and_named_source_narrow_the_pick(catalog: Catalog) -> None:
    assert catalog.pick(7, quality="720P").source_id == "s1"
    assert catalog.pick(7, source_id="s1").source_id == "s1"
    with pytest.raises(SourceNotFound):
        catalog.pick(7, source_id="s3")  # another movie's source
    with pytest.raises(SourceNotFound):
        catalog.pick(7, quality="2160p")
    with pytest.raises(SourceNotFound):
        catalog.pick(999)


def test_secrets_decrypt_with_their_row(catalog: Catalog) -> None:
    secrets = catalog.secrets("s1")
    assert secrets.info_hash == H1
    assert secrets.torrent_url == "http://x/1.torrent"
    assert secrets.magnet.endswith(H1)
    assert catalog.secrets("s2").torrent_url is None


def test_a_secret_moved_to_another_row_fails_to_open(catalog: Catalog) -> None:
    conn = sqlite3.connect(catalog.path)
    blob = conn.execute("SELECT info_hash_enc FROM sources WHERE source_id='s1'").fetchone()[0]
    conn.execute("UPDATE sources SET info_hash_enc=? WHERE source_id='s2'", (blob,))
    conn.commit()
    conn.close()
    with pytest.raises(SecretUnreadable):
        catalog.secrets("s2")


def test_catalog_is_opened_read_only(catalog: Catalog) -> None:
    conn = catalog._connect()
    with pytest.raises(sqlite3.OperationalError):
        conn.execute("DELETE FROM sources")
    conn.close()


def test_missing_catalog_and_source_are_not_found(settings: Settings, cipher: FieldCipher) -> None:
    with pytest.raises(SourceNotFound):
        Catalog(settings.data_dir / "absent.sqlite", cipher).source("s1")
