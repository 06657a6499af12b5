"""Movie detail shows each source's availability and reliability; a stream without a source
id never picks an unavailable source when an available one exists."""

from __future__ import annotations

import duckdb
from flask.testing import FlaskClient

from core.settings import Settings
from tests.helpers.catalog import cipher, fill_sample_marts, info_hash
from warehouse.publish import publish_catalog

DEAD_1080 = info_hash("155-1080p-x264").lower()
STALLING_720 = info_hash("155-720p-x264").lower()


def publish_with_outcomes(settings: Settings) -> None:
    """The sample catalogue, where The Dark Knight's 1080p lost its swarm and the 720p
    stalled twice (what the warehouse publishes after scoring the engine's outcomes)."""
    con = duckdb.connect()
    try:
        fill_sample_marts(con)
        con.execute(
            "UPDATE mart_sources SET seeds = 0, available = false, rank_web = NULL,"
            " rank_tv = NULL, unavailable_reason = 'no seeders' WHERE info_hash = ?",
            [DEAD_1080],
        )
        con.execute(
            "UPDATE mart_sources SET stalls_7d = 2, c_reliability = -20, rank_web = 1,"
            " rank_tv = 1, reliability_note = 'stalled twice this week' WHERE info_hash = ?",
            [STALLING_720],
        )
        publish_catalog(con, settings.catalog_path, cipher(), "run-outcomes")
    finally:
        con.close()


def test_detail_shows_availability_reason_and_reliability(
    client: FlaskClient, auth: dict[str, str], settings: Settings
) -> None:
    publish_with_outcomes(settings)
    response = client.get("/api/movies/155", headers=auth)
    assert response.status_code == 200
    first, second = response.get_json()["sources"]
    assert (first["quality"], first["rank"], first["available"]) == ("720p", 1, True)
    assert first["reliability_note"] == "stalled twice this week"
    assert first["components"]["reliability"] == -20.0
    assert first["unavailable_reason"] is None
    assert (second["quality"], second["rank"], second["available"]) == ("1080p", None, False)
    assert second["unavailable_reason"] == "no seeders"
    assert second["playable"] is True  # the device could decode it; there is no swarm


def test_stream_without_a_source_id_picks_an_available_source(
    client: FlaskClient, auth: dict[str, str], settings: Settings
) -> None:
    publish_with_outcomes(settings)
    for body in ({}, {"profile": "tv"}, {"profile": "web"}):
        response = client.post("/api/movies/155/stream", json=body, headers=auth)
        assert response.status_code == 200, response.get_json()
        source = response.get_json()["source"]
        assert source["quality"] == "720p" and source["available"] is True
    # naming the unavailable source still works (the user asked for it)
    detail = client.get("/api/movies/155", headers=auth).get_json()
    dead_id = detail["sources"][1]["source_id"]
    response = client.post("/api/movies/155/stream", json={"source_id": dead_id}, headers=auth)
    assert response.status_code == 200
    assert response.get_json()["source"]["unavailable_reason"] == "no seeders"
