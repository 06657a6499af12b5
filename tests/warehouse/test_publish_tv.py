"""Publish writes the schema-3 TV tables in the same catalog as the movies: shows, seasons,
episodes, show sources with secrets sealed to their ``show_sources`` row, and per-episode
ranked sources pointing at those rows."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from core.catalog.contract import SCHEMA_VERSION, info_hash_hmac, secret_aad, source_id_for
from core.crypto import CryptoError
from tests.helpers.catalog import cipher
from tests.warehouse.rawdata import RawWriter
from tests.warehouse.tvdata import land_show, torrent
from warehouse.publish import publish_catalog
from warehouse.transform import transform

PACK, SINGLE = "ab" * 20, "cd" * 20


@pytest.fixture
def catalog(sampled: RawWriter, tmp_path: Path) -> Path:
    return _published(
        sampled,
        tmp_path,
        [
            torrent(
                PACK,
                "The Show S01 COMPLETE 1080p WEB-DL x264-GRP",
                "tt7777777",
                size_bytes="3000000000",  # 3 episodes of 45 min: ~3 Mbit/s
            ),
            torrent(SINGLE, "The Show S01E02 720p HDTV x264-GRP", "tt7777777"),
        ],
    )


def _published(sampled: RawWriter, tmp_path: Path, torrents: list[dict[str, Any]]) -> Path:
    """Show 4321 with ``torrents`` landed, transformed and published; the catalog's path."""
    land_show(sampled, torrents, show_id=4321, imdb="tt7777777")
    sampled.flush()
    transform(sampled.con, "run-1")
    path = tmp_path / "catalog.sqlite"
    publish_catalog(sampled.con, path, cipher(), "run-1")
    return path


def _con(path: Path) -> sqlite3.Connection:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    con.row_factory = sqlite3.Row
    return con


def test_shows_seasons_and_episodes_are_published_beside_the_movies(catalog: Path) -> None:
    con = _con(catalog)
    assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert con.execute("SELECT count(*) FROM movies").fetchone()[0] > 0
    shows = {r["tmdb_id"]: r for r in con.execute("SELECT * FROM shows")}
    assert set(shows) == {1220, 4321}  # the recorded sample and the synthetic show
    assert shows[4321]["source_count"] == 2 and shows[4321]["imdb_id"] == "tt7777777"
    assert "the show" in shows[4321]["search_text"] or "show 4321" in shows[4321]["search_text"]
    seasons = con.execute(
        "SELECT season_number, episode_count FROM seasons WHERE show_id = 4321 ORDER BY 1"
    ).fetchall()
    assert [tuple(r) for r in seasons] == [(1, 3), (2, 2)]
    episodes = con.execute(
        "SELECT episode_number, air_date, source_count FROM episodes"
        " WHERE show_id = 4321 AND season_number = 1 ORDER BY 1"
    ).fetchall()
    assert [tuple(r) for r in episodes] == [
        (1, "2007-03-01", 1),
        (2, "2007-03-02", 2),
        (3, "2007-03-03", 1),
    ]
    sample_episodes = con.execute("SELECT count(*) FROM episodes WHERE show_id = 1220").fetchone()
    assert sample_episodes[0] == 13  # the recorded season 2


def test_show_source_secrets_are_sealed_to_their_show_sources_row(catalog: Path) -> None:
    con = _con(catalog)
    field = cipher()
    data = catalog.read_bytes()
    for info_hash in (PACK, SINGLE):
        assert info_hash.encode() not in data
        sid = source_id_for(field, info_hash)
        row = con.execute("SELECT * FROM show_sources WHERE source_id = ?", (sid,)).fetchone()
        assert row["info_hash_hmac"] == info_hash_hmac(field, info_hash)
        aad = secret_aad("info_hash", sid, table="show_sources")
        assert field.decrypt_str(row["info_hash_enc"], aad) == info_hash
        magnet = field.decrypt_str(row["magnet_enc"], secret_aad("magnet", sid, "show_sources"))
        assert magnet.startswith(f"magnet:?xt=urn:btih:{info_hash}&dn=The%20Show")
        with pytest.raises(CryptoError):  # a movie-source label does not open it
            field.decrypt_str(row["info_hash_enc"], secret_aad("info_hash", sid))
    pack = con.execute(
        "SELECT is_pack, episode_number, release_name FROM show_sources WHERE source_id = ?",
        (source_id_for(field, PACK),),
    ).fetchone()
    assert tuple(pack) == (1, None, "The Show S01 COMPLETE 1080p WEB-DL x264-GRP")


def test_episode_sources_rank_each_episode_and_point_at_show_sources(catalog: Path) -> None:
    con = _con(catalog)
    field = cipher()
    rows = con.execute(
        "SELECT episode_number, source_id, file_hint, components, rank_tv FROM episode_sources"
        " WHERE show_id = 4321 ORDER BY episode_number, rank_tv"
    ).fetchall()
    pack_id, single_id = source_id_for(field, PACK), source_id_for(field, SINGLE)
    assert [(r[0], r[1], r[4]) for r in rows] == [
        (1, pack_id, 1),
        (2, pack_id, 1),  # 1080p WEB-DL pack beats a 720p HDTV single
        (2, single_id, 2),
        (3, pack_id, 1),
    ]
    assert all(r["file_hint"] is None for r in rows)
    components = json.loads(rows[0]["components"])
    assert components["pack"] == -4.0 and components["source"] == 6.0
    assert set(components) == {
        "resolution", "codec", "source", "bit_depth", "audio", "bitrate", "health", "repack",
        "3d", "age", "reliability", "pack",
    }  # fmt: skip
    orphans = con.execute(
        "SELECT count(*) FROM episode_sources WHERE source_id NOT IN"
        " (SELECT source_id FROM show_sources)"
    ).fetchone()
    assert orphans[0] == 0


def test_publish_copies_the_last_episode_of_a_run_and_null_for_singles_and_packs(
    sampled: RawWriter, tmp_path: Path
) -> None:
    run, single, pack = "ef" * 20, "12" * 20, "34" * 20
    path = _published(
        sampled,
        tmp_path,
        [
            torrent(run, "The Show S01E02E03 720p WEB-DL x264-GRP", "tt7777777"),
            torrent(single, "The Show S01E01 720p WEB-DL x264-GRP", "tt7777777"),
            torrent(pack, "The Show S02 COMPLETE 720p WEB-DL x264-GRP", "tt7777777"),
        ],
    )
    field = cipher()
    con = _con(path)
    held = {
        row["source_id"]: (row["episode_number"], row["last_episode_number"], row["is_pack"])
        for row in con.execute(
            "SELECT source_id, episode_number, last_episode_number, is_pack FROM show_sources"
            " WHERE show_id = 4321"
        )
    }
    assert held == {
        source_id_for(field, run): (2, 3, 0),
        source_id_for(field, single): (1, None, 0),
        source_id_for(field, pack): (None, None, 1),
    }
    declared = {row["name"]: row["type"] for row in con.execute("PRAGMA table_info(show_sources)")}
    assert declared["last_episode_number"] == "INTEGER"
