"""/api/shows, /api/shows/<id>, /api/shows/<id>/seasons/<n>, /api/tv-genres and the episode
stream endpoint, against a published catalog holding movies and the sample shows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from core.crypto import FieldCipher, load_or_create_master_key
from core.settings import Settings, load_settings
from core.stream_keys import StreamKeySigner
from serve.app import create_app
from serve.extensions import app_db, stream_signer
from serve.tokens import issue_access_token
from tests.helpers.catalog import SampleMarts
from tests.helpers.shows import ShowSource, add_sample_shows
from tests.serve.conftest import assert_error

Auth = dict[str, str]
PACK = "Breaking.Bad.S01.1080p.BluRay.x264-GRP"
SINGLE_720 = "Breaking.Bad.S01E01.720p.WEB-DL.x264-GRP"
UHD = "Breaking.Bad.S01E01.2160p.WEB-DL.x265-GRP"


@pytest.fixture
def shows(settings: Settings, published: SampleMarts) -> dict[str, ShowSource]:
    cipher = FieldCipher(
        load_or_create_master_key(settings.key_path, settings.secret_key.get_secret_value())
    )
    return {s.release_name: s for s in add_sample_shows(settings.catalog_path, cipher)}


def _get(client: FlaskClient, auth: Auth, url: str) -> Any:
    response = client.get(url, headers=auth)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


# --- list -------------------------------------------------------------------------------------
def test_shows_are_paged_by_popularity(client: FlaskClient, auth: Auth, shows: object) -> None:
    body = _get(client, auth, "/api/shows?per_page=2")
    assert [s["tmdb_id"] for s in body["results"]] == [1396, 66732]
    assert body["total_results"] == 3 and body["total_pages"] == 2
    first = body["results"][0]
    assert first["name"] == "Breaking Bad" and first["number_of_seasons"] == 2
    assert first["has_sources"] is True
    assert first["genres"] == [{"id": 18, "name": "Drama"}, {"id": 80, "name": "Crime"}]
    assert first["poster_url"].endswith("/w342/ggFHVNu6YYI5L9pCfOacjizRGt.jpg")
    page2 = _get(client, auth, "/api/shows?per_page=2&page=2")
    assert [s["tmdb_id"] for s in page2["results"]] == [550]
    assert page2["results"][0]["has_sources"] is False


def test_shows_filter_by_list_genre_and_search(
    client: FlaskClient, auth: Auth, shows: object
) -> None:
    trending = _get(client, auth, "/api/shows?list=trending")["results"]
    assert [s["tmdb_id"] for s in trending] == [66732]
    crime = _get(client, auth, "/api/shows?genre=80")["results"]
    assert [s["tmdb_id"] for s in crime] == [1396]
    assert [s["tmdb_id"] for s in _get(client, auth, "/api/shows?q=STRANGER")["results"]] == [66732]
    assert _get(client, auth, "/api/shows?q=%25")["results"] == []  # LIKE wildcards literal
    assert _get(client, auth, "/api/shows?q=(es)")["results"][0]["tmdb_id"] == 1396
    spanish = _get(client, auth, "/api/shows?language=es-ES&list=top_rated")["results"]
    assert spanish[0]["name"] == "Breaking Bad (ES)"
    assert spanish[0]["genres"][1] == {"id": 80, "name": "Crimen"}


def test_show_and_movie_ids_never_mix(client: FlaskClient, auth: Auth, shows: object) -> None:
    show = _get(client, auth, "/api/shows/550")
    assert show["name"] == "Overlap Street"
    assert _get(client, auth, "/api/movies/550")["title"] == "Fight Club"
    assert all(s["tmdb_id"] != 155 for s in _get(client, auth, "/api/shows")["results"])


@pytest.mark.parametrize(
    "query",
    ["page=0", "page=x", "per_page=101", "list=best", "genre=-1", "genre=99999999999999",
     "q=" + "a" * 101, "q=%01", "language=english", "sort=random"],
)  # fmt: skip
def test_bad_list_parameters_are_400(
    client: FlaskClient, auth: Auth, shows: object, query: str
) -> None:
    assert_error(client.get(f"/api/shows?{query}", headers=auth), 400, "invalid_parameter")


# --- details ------------------------------------------------------------------------------------
def test_show_details_carry_seasons_translations_and_images(
    client: FlaskClient, auth: Auth, shows: object
) -> None:
    show = _get(client, auth, "/api/shows/1396")
    assert show["imdb_id"] == "tt0001396" and show["tvdb_id"] == 81396
    assert [s["season_number"] for s in show["seasons"]] == [1, 2]
    assert show["seasons"][0] == {
        "season_number": 1, "name": "Season 1", "overview": "Season 1 of Breaking Bad.",
        "air_date": "2009-01-20", "episode_count": 3, "poster_url": None,
    }  # fmt: skip
    assert show["translations"][0]["language"] == "es"
    assert show["images"]["poster"]["w500"].endswith("/w500/ggFHVNu6YYI5L9pCfOacjizRGt.jpg")
    assert show["images"]["backdrop"] is not None
    assert {"name": "popular", "position": 1} in show["lists"]
    specials_last = _get(client, auth, "/api/shows/550")["seasons"]
    assert [s["season_number"] for s in specials_last] == [1, 0]


def test_show_details_are_localised(client: FlaskClient, auth: Auth, shows: object) -> None:
    show = _get(client, auth, "/api/shows/1396?language=es")
    assert show["name"] == "Breaking Bad (ES)" and show["language"] == "es"
    assert show["overview"] == "Un profesor de química..."
    assert _get(client, auth, "/api/shows/66732?language=es")["name"] == "Stranger Things"


@pytest.mark.parametrize(
    ("url", "status", "code"),
    [
        ("/api/shows/999", 404, "show_not_found"),
        ("/api/shows/155", 404, "show_not_found"),  # a movie id only
        ("/api/shows/0", 400, "invalid_parameter"),
        ("/api/shows/abc", 400, "invalid_parameter"),
        ("/api/shows/99999999999999999999", 400, "invalid_parameter"),
        ("/api/shows/1396/seasons/7", 404, "season_not_found"),
        ("/api/shows/999/seasons/1", 404, "show_not_found"),
        ("/api/shows/1396/seasons/-1", 400, "invalid_parameter"),
        ("/api/shows/1396/seasons/1x", 400, "invalid_parameter"),
        ("/api/shows/1396/seasons/1?profile=toaster", 400, "invalid_parameter"),
    ],
)
def test_unknown_or_malformed_shows_and_seasons_are_refused(
    client: FlaskClient, auth: Auth, shows: object, url: str, status: int, code: str
) -> None:
    assert_error(client.get(url, headers=auth), status, code)


def test_catalogue_routes_need_a_signed_in_user(client: FlaskClient, shows: object) -> None:
    for url in ("/api/shows", "/api/shows/1396", "/api/shows/1396/seasons/1", "/api/tv-genres"):
        assert_error(client.get(url), 401)


def test_shows_without_a_catalog_are_503(client: FlaskClient, auth: Auth) -> None:
    assert_error(client.get("/api/shows", headers=auth), 503, "catalog_unavailable")


# --- seasons ------------------------------------------------------------------------------------
def test_a_season_lists_episodes_with_ranked_sources(
    client: FlaskClient, auth: Auth, shows: dict[str, ShowSource]
) -> None:
    season = _get(client, auth, "/api/shows/1396/seasons/1")
    assert season["show_name"] == "Breaking Bad" and season["profile"] == "web"
    assert [e["episode_number"] for e in season["episodes"]] == [1, 2, 3]
    pilot = season["episodes"][0]
    assert pilot["name"] == "Pilot" and pilot["runtime_min"] == 58
    assert pilot["air_date"] == "2009-01-20"
    assert pilot["still"].endswith("/w300/still-1396-1-1.jpg")
    assert [s["source_id"] for s in pilot["sources"]] == [
        shows[PACK].source_id, shows[SINGLE_720].source_id, shows[UHD].source_id
    ]  # fmt: skip
    best = pilot["sources"][0]
    assert best["is_pack"] is True and best["release_name"] == PACK
    assert best["rank"] == 1 and best["playable"] is True and best["available"] is True
    assert set(best["components"]) == {"resolution", "health"}
    uhd = pilot["sources"][2]
    assert uhd["rank"] is None and uhd["playable"] is False  # the web cannot decode x265
    dead = season["episodes"][2]["sources"][-1]
    assert dead["available"] is False and dead["unavailable_reason"] == "no seeders"
    body = str(season)
    for source in shows.values():  # no secret in the answer
        assert source.info_hash not in body and source.info_hash.lower() not in body
        assert source.magnet not in body


def test_the_tv_profile_ranks_sources_for_the_tv(
    client: FlaskClient, auth: Auth, shows: dict[str, ShowSource]
) -> None:
    pilot = _get(client, auth, "/api/shows/1396/seasons/1?profile=tv")["episodes"][0]
    assert pilot["sources"][0]["source_id"] == shows[UHD].source_id


def test_an_episode_without_sources_lists_none(
    client: FlaskClient, auth: Auth, shows: object
) -> None:
    season = _get(client, auth, "/api/shows/1396/seasons/2")
    assert season["episodes"][1]["sources"] == []


# --- genres -------------------------------------------------------------------------------------
def test_tv_genres_are_counted_and_localised(
    client: FlaskClient, auth: Auth, shows: object
) -> None:
    body = _get(client, auth, "/api/tv-genres?language=es")
    assert body["language"] == "es"
    assert {"id": 80, "name": "Crimen", "show_count": 1} in body["results"]
    assert {"id": 18, "name": "Drama", "show_count": 2} in body["results"]
    movie_genres = _get(client, auth, "/api/genres")["results"]
    assert all(g["id"] != 10765 for g in movie_genres)


# --- streams ------------------------------------------------------------------------------------
STREAM = "/api/shows/1396/seasons/1/episodes/{e}/stream"


def test_an_episode_stream_key_names_the_episode(
    app: Flask, client: FlaskClient, auth: Auth, shows: dict[str, ShowSource]
) -> None:
    response = client.post(STREAM.format(e=2), headers=auth)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["source"]["source_id"] == shows[PACK].source_id
    assert body["source"]["is_pack"] is True
    assert (body["source"]["season_number"], body["source"]["episode_number"]) == (1, 2)
    assert body["source"]["tmdb_id"] == 1396
    assert "file_hint" not in body["source"]
    key = body["stream_url"].rsplit("/", 1)[1]
    with app.app_context():
        signer: StreamKeySigner = stream_signer()
        claims = signer.verify(key)
    assert claims.episode == (1, 2) and claims.source_id == shows[PACK].source_id
    assert claims.session  # revocable with the sign-in session


def test_an_episode_stream_honours_source_quality_and_profile(
    client: FlaskClient, auth: Auth, shows: dict[str, ShowSource]
) -> None:
    named = client.post(STREAM.format(e=1), headers=auth,
                        json={"source_id": shows[SINGLE_720].source_id})  # fmt: skip
    assert named.get_json()["source"]["source_id"] == shows[SINGLE_720].source_id
    by_quality = client.post(STREAM.format(e=1), headers=auth, json={"quality": "2160p"})
    assert by_quality.get_json()["source"]["source_id"] == shows[UHD].source_id
    tv = client.post(STREAM.format(e=1), headers=auth, json={"profile": "tv"})
    assert tv.get_json()["source"]["source_id"] == shows[UHD].source_id


@pytest.mark.parametrize(
    ("url", "body", "status", "code"),
    [
        (STREAM.format(e=1), {"source_id": "nope"}, 404, "source_not_found"),
        ("/api/shows/1396/seasons/2/episodes/2/stream", None, 404, "source_not_found"),
        ("/api/shows/1396/seasons/1/episodes/0/stream", None, 400, "invalid_parameter"),
        ("/api/shows/1396/seasons/1/episodes/99999/stream", None, 400, "invalid_parameter"),
        ("/api/shows/0/seasons/1/episodes/1/stream", None, 400, "invalid_parameter"),
        (STREAM.format(e=1), {"quality": "1080p", "source_id": "x"}, 400, None),
        (STREAM.format(e=1), {"source_id": "../../etc"}, 400, None),
        (STREAM.format(e=1), {"profile": "toaster"}, 400, None),
        (STREAM.format(e=1), {"surprise": 1}, 400, None),
    ],
)
def test_bad_episode_stream_requests_are_refused(
    client: FlaskClient, auth: Auth, shows: object,
    url: str, body: dict[str, Any] | None, status: int, code: str | None,
) -> None:  # fmt: skip
    assert_error(client.post(url, headers=auth, json=body), status, code)


def test_a_movie_source_cannot_be_streamed_as_an_episode(
    client: FlaskClient, auth: Auth, shows: object, published: SampleMarts
) -> None:
    movie = client.get("/api/movies/550", headers=auth).get_json()["sources"][0]["source_id"]
    response = client.post(STREAM.format(e=1), headers=auth, json={"source_id": movie})
    assert_error(response, 404, "source_not_found")


def test_episode_streams_need_a_signed_in_user(client: FlaskClient, shows: object) -> None:
    assert_error(client.post(STREAM.format(e=1)), 401)


def test_show_routes_share_the_catalogue_rate_limit(
    settings: Settings, app_db_template: Path, shows: object
) -> None:
    tight = load_settings(**{**settings.model_dump(), "rate_limit_catalog": "3/minute"})
    (tight.data_dir / "app.sqlite").write_bytes(app_db_template.read_bytes())
    application = create_app(tight)
    client = application.test_client()
    with application.test_request_context():
        admin = app_db().user_by_email(tight.admin_email)
        assert admin is not None
        headers = {"Authorization": f"Bearer {issue_access_token(admin, 5)['access_token']}"}
    for path in ("/api/movies", "/api/shows", "/api/shows/1396/seasons/1"):
        assert client.get(path, headers=headers).status_code == 200
    limited = client.get("/api/tv-genres", headers=headers)
    assert_error(limited, 429, "rate_limited")
    assert int(limited.headers["Retry-After"]) >= 1
