"""/api/shows/<id>/seasons/<n>: each episode source says which episodes its release holds
(``[e]`` for one episode, first..last for a run such as S01E02E03, null for a season pack);
a run the catalog cannot mean is answered as its first episode; a catalog published before
the column existed is refused until the next sync."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from flask.testing import FlaskClient

from core.crypto import FieldCipher, load_or_create_master_key
from core.settings import Settings
from serve.show_answers import SeasonDetails
from tests.helpers.catalog import SampleMarts
from tests.helpers.shows import ShowSource, add_sample_shows, add_show_source
from tests.serve.conftest import assert_error

Auth = dict[str, str]
PACK = "Breaking.Bad.S01.1080p.BluRay.x264-GRP"
SINGLE = "Breaking.Bad.S01E01.720p.WEB-DL.x264-GRP"
RUN = "Breaking.Bad.S01E02E03.1080p.WEB-DL.x264-GRP"


def _cipher(settings: Settings) -> FieldCipher:
    return FieldCipher(
        load_or_create_master_key(settings.key_path, settings.secret_key.get_secret_value())
    )


@pytest.fixture
def shows(settings: Settings, published: SampleMarts) -> dict[str, ShowSource]:
    cipher = _cipher(settings)
    sources = {s.release_name: s for s in add_sample_shows(settings.catalog_path, cipher)}
    run = ShowSource(1396, 1, {2: (2, 2), 3: (2, 2)}, RUN, last_episode=3)
    conn = sqlite3.connect(settings.catalog_path)
    try:
        add_show_source(conn, cipher, run)
        conn.commit()
    finally:
        conn.close()
    return {**sources, RUN: run}


def _season(client: FlaskClient, auth: Auth, url: str) -> Any:
    response = client.get(url, headers=auth)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def _held(season: Any, episode: int) -> dict[str, Any]:
    """source id -> ``episodes`` of the sources listed under ``episode``."""
    (listed,) = [e for e in season["episodes"] if e["episode_number"] == episode]
    return {s["source_id"]: s["episodes"] for s in listed["sources"]}


@pytest.mark.parametrize("profile", ["web", "tv"])
def test_each_episode_source_says_which_episodes_its_release_holds(
    client: FlaskClient, auth: Auth, shows: dict[str, ShowSource], profile: str
) -> None:
    season = _season(client, auth, f"/api/shows/1396/seasons/1?profile={profile}")
    SeasonDetails.model_validate(season)  # the documented shape, no undocumented field
    pack, single, run = shows[PACK].source_id, shows[SINGLE].source_id, shows[RUN].source_id
    first = _held(season, 1)
    assert first[single] == [1]
    assert first[pack] is None
    assert run not in first
    for episode in (2, 3):  # listed under each episode it holds, with the whole run
        assert _held(season, episode)[run] == [2, 3]
        assert _held(season, episode)[pack] is None
    (single_s2,) = _held(_season(client, auth, "/api/shows/1396/seasons/2"), 1).values()
    assert single_s2 == [1]


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        (1, None, [1]),
        (1, 2, [1, 2]),
        (1, 50, list(range(1, 51))),  # the longest run the release-name parser accepts
        (1, 51, [1]),
        (1, 1, [1]),
        (1, 0, [1]),
        (1, -3, [1]),
        (1, 2**63 - 1, [1]),
        (1, "two", [1]),
        (1, 2.5, [1]),
        (None, 3, [1]),  # no episode of its own: the episode it plays
        ("one", 2, [1]),
    ],
)
def test_a_run_the_catalog_cannot_mean_is_answered_as_its_first_episode(
    client: FlaskClient,
    auth: Auth,
    settings: Settings,
    shows: dict[str, ShowSource],
    first: object,
    last: object,
    expected: list[int],
) -> None:
    odd = ShowSource(1396, 2, {1: (None, None)}, "Breaking.Bad.S02E01.Odd.720p.WEB-DL-GRP")
    conn = sqlite3.connect(settings.catalog_path)
    try:
        add_show_source(conn, _cipher(settings), odd)
        conn.execute(
            "UPDATE show_sources SET episode_number = ?, last_episode_number = ?"
            " WHERE source_id = ?",
            (first, last, odd.source_id),
        )
        conn.commit()
    finally:
        conn.close()
    season = _season(client, auth, "/api/shows/1396/seasons/2")
    assert _held(season, 1)[odd.source_id] == expected


def test_a_catalog_published_before_runs_is_refused_until_the_next_sync(
    client: FlaskClient, auth: Auth, settings: Settings, shows: dict[str, ShowSource]
) -> None:
    conn = sqlite3.connect(settings.catalog_path)
    try:  # what a schema-3 Miauflix published: no last_episode_number, stamped 3
        conn.execute("ALTER TABLE show_sources DROP COLUMN last_episode_number")
        conn.execute("UPDATE catalog_version SET schema_version = 3")
        conn.execute("PRAGMA user_version=3")
        conn.commit()
    finally:
        conn.close()
    response = client.get("/api/shows/1396/seasons/1", headers=auth)
    assert "miauflix sync" in assert_error(response, 503, "catalog_unavailable")
