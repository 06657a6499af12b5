"""Under upstream faults (20 % 5xx, bursts of 429 with Retry-After, a dead first YTS mirror)
a whole sync still completes and the catalog holds everything the fake served correctly."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from sandbox.catalogue import SyntheticCatalogue
from sandbox.fake_upstream import start_fake_upstream
from sandbox.faults import DEAD_MIRROR, RATE_LIMITED, SERVER_ERROR, FaultConfig

FAULTS = FaultConfig(
    error_rate=0.2,
    rate_limit_burst_every=25,
    rate_limit_burst_len=3,
    retry_after_s=1,
    dead_mirrors=frozenset({"yts"}),
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
        monkeypatch.setenv("MIAUFLIX_SECRET_KEY", "faults-test-secret-0123456789abcdefghijklmn")
        monkeypatch.setenv("MIAUFLIX_TMDB_RATE_LIMIT", "500")
        monkeypatch.setenv("MIAUFLIX_YTS_RATE_LIMIT", "500")
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
    con = sqlite3.connect(f"file:{data_dir / 'catalog.sqlite'}?mode=ro", uri=True)
    try:
        movies = {row[0] for row in con.execute("SELECT tmdb_id FROM movies")}
        sources = con.execute("SELECT count(*) FROM sources").fetchone()[0]
    finally:
        con.close()
    assert expected_movies and expected_hashes
    assert movies == expected_movies
    assert sources == len(expected_hashes)
