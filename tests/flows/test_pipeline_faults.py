"""Under upstream faults (20 % 5xx, bursts of 429 with Retry-After, a dead first mirror of YTS
and of EZTV) a whole sync still completes and the catalog holds everything the fake served
correctly: every movie and its YTS torrents, every show, season and episode and every EZTV
torrent whose release name can be placed."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from sandbox.catalogue import SyntheticCatalogue
from sandbox.fake_upstream import start_fake_upstream
from sandbox.faults import DEAD_MIRROR, RATE_LIMITED, SERVER_ERROR, FaultConfig
from sandbox.tv_records import layout
from warehouse.release_names import Unparseable, parse_release

FAULTS = FaultConfig(
    error_rate=0.2,
    rate_limit_burst_every=25,
    rate_limit_burst_len=3,
    retry_after_s=1,
    dead_mirrors=frozenset({"yts", "eztv"}),
    seed=11,
)


def test_a_faulty_upstream_loses_nothing_it_served_correctly(
    prefect_harness: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.pipeline import sync_flow

    catalogue = SyntheticCatalogue(40, seed=5)
    data_dir = tmp_path / "data"
    with start_fake_upstream(catalogue, faults=FAULTS) as upstream:
        monkeypatch.setenv("MIAUFLIX_DATA_DIR", str(data_dir))
        monkeypatch.setenv("MIAUFLIX_TMDB_URL", upstream.tmdb_url)
        monkeypatch.setenv("MIAUFLIX_YTS_URLS", ",".join(upstream.yts_urls))  # dead one first
        monkeypatch.setenv("MIAUFLIX_EZTV_URLS", ",".join(upstream.eztv_urls))
        monkeypatch.setenv("MIAUFLIX_SECRET_KEY", "faults-test-secret-0123456789abcdefghijklmn")
        monkeypatch.setenv("MIAUFLIX_TMDB_RATE_LIMIT", "500")
        monkeypatch.setenv("MIAUFLIX_YTS_RATE_LIMIT", "500")
        monkeypatch.setenv("MIAUFLIX_EZTV_RATE_LIMIT", "500")
        # 0.2 ** 9: a request failing every attempt is vanishingly unlikely.
        monkeypatch.setenv("MIAUFLIX_HTTP_RETRIES", "8")
        result = sync_flow(scope="all")
        injected = dict(upstream.stats.faults)

    assert result["status"] == "succeeded"
    for kind in (SERVER_ERROR, RATE_LIMITED, DEAD_MIRROR):
        assert injected.get(kind, 0) > 0, f"no {kind} fault was injected: {injected}"
    expected_movies = set(catalogue.tmdb_ids)
    expected_hashes = {
        torrent["hash"].lower()
        for tmdb_id in expected_movies
        if (imdb := catalogue.imdb_id_of(tmdb_id))
        for torrent in catalogue.yts_torrents(imdb)
    }
    expected_shows = set(catalogue.tv_ids)
    expected_episodes = sum(sum(layout(catalogue.seed, s)[1]) for s in expected_shows)
    expected_show_hashes = {
        torrent["hash"]
        for show_id in expected_shows
        if (imdb := catalogue.show_imdb_id(show_id))
        for torrent in catalogue.eztv_torrents(imdb)
        if _placeable(torrent)
    }
    con = sqlite3.connect(f"file:{data_dir / 'catalog.sqlite'}?mode=ro", uri=True)
    try:
        movies = {row[0] for row in con.execute("SELECT tmdb_id FROM movies")}
        sources = con.execute("SELECT count(*) FROM sources").fetchone()[0]
        shows = {row[0] for row in con.execute("SELECT tmdb_id FROM shows")}
        episodes = con.execute("SELECT count(*) FROM episodes").fetchone()[0]
        show_sources = con.execute("SELECT count(*) FROM show_sources").fetchone()[0]
    finally:
        con.close()
    assert expected_movies and expected_hashes and expected_show_hashes
    assert movies == expected_movies
    assert sources == len(expected_hashes)
    assert shows == expected_shows
    assert episodes == expected_episodes
    assert show_sources == len(expected_show_hashes)


def _placeable(torrent: dict[str, str]) -> bool:
    """The name parses and agrees with EZTV's own season/episode fields."""
    try:
        release = parse_release(torrent["title"])
    except Unparseable:
        return False
    episode = release.episode or 0
    return (release.season, episode) == (int(torrent["season"]), int(torrent["episode"]))
