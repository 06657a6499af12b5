"""Watch progress of episodes and "up next" in continue watching."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from core.crypto import FieldCipher, load_or_create_master_key
from core.settings import Settings
from serve.extensions import app_db
from serve.tokens import issue_access_token
from tests.helpers.catalog import SampleMarts
from tests.helpers.shows import add_sample_shows
from tests.serve.conftest import assert_error

Auth = dict[str, str]
BB = 1396
MINUTES_48 = 48 * 60.0


@pytest.fixture
def shows(settings: Settings, published: SampleMarts) -> None:
    cipher = FieldCipher(
        load_or_create_master_key(settings.key_path, settings.secret_key.get_secret_value())
    )
    add_sample_shows(settings.catalog_path, cipher)


def _put(
    client: FlaskClient, auth: Auth, season: int, episode: int, position: float,
    duration: float = MINUTES_48, show: int = BB,
) -> TestResponse:  # fmt: skip
    return client.put(
        f"/api/progress/episode/{show}/{season}/{episode}",
        headers=auth,
        json={"position_s": position, "duration_s": duration},
    )


def _continue(client: FlaskClient, auth: Auth, query: str = "") -> list[dict[str, Any]]:
    response = client.get(f"/api/progress{query}", headers=auth)
    assert response.status_code == 200, response.get_data(as_text=True)
    items: list[dict[str, Any]] = response.get_json()["items"]
    return items


def _show(client: FlaskClient, auth: Auth, show: int = BB) -> dict[str, Any]:
    response = client.get(f"/api/progress/show/{show}", headers=auth)
    assert response.status_code == 200, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    return body


def test_episode_progress_is_saved_and_read_back(
    client: FlaskClient, auth: Auth, shows: None
) -> None:
    response = _put(client, auth, 1, 2, 600)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["kind"] == "episode" and body["tmdb_id"] == BB
    assert (body["season"], body["episode"]) == (1, 2)
    assert body["title"] == "Breaking Bad" and body["episode_name"] == "Cat's in the Bag..."
    assert body["resume_at_s"] == 595.0 and body["up_next"] is False
    assert client.get(f"/api/progress/episode/{BB}/1/2", headers=auth).get_json() == body
    assert _continue(client, auth) == [body]


def test_a_show_appears_once_by_its_latest_episode(
    client: FlaskClient, auth: Auth, shows: None, published: SampleMarts
) -> None:
    _put(client, auth, 1, 1, 100)
    client.put("/api/progress/movie/550", headers=auth,
               json={"position_s": 60, "duration_s": 7000})  # fmt: skip
    _put(client, auth, 1, 2, 200)
    items = _continue(client, auth)
    assert [(i["kind"], i["tmdb_id"], i.get("episode")) for i in items] == [
        ("episode", BB, 2), ("movie", 550, None)
    ]  # fmt: skip


def test_finishing_an_episode_offers_the_next_one(
    client: FlaskClient, auth: Auth, shows: None
) -> None:
    _put(client, auth, 1, 1, MINUTES_48)  # watched
    [item] = _continue(client, auth)
    assert item["up_next"] is True and (item["season"], item["episode"]) == (1, 2)
    assert item["position_s"] == 0.0 and item["resume_at_s"] == 0.0
    assert item["duration_s"] == 48 * 60  # the catalog's runtime
    assert item["episode_name"] == "Cat's in the Bag..."
    assert _show(client, auth)["up_next"] == item


def test_up_next_crosses_into_the_next_season(client: FlaskClient, auth: Auth, shows: None) -> None:
    _put(client, auth, 1, 3, MINUTES_48)
    [item] = _continue(client, auth)
    assert (item["season"], item["episode"]) == (2, 1) and item["up_next"] is True


def test_up_next_skips_episodes_already_watched(
    client: FlaskClient, auth: Auth, shows: None
) -> None:
    _put(client, auth, 1, 2, MINUTES_48)
    _put(client, auth, 1, 3, MINUTES_48)
    _put(client, auth, 1, 1, MINUTES_48)  # a re-watch of the pilot, finished last
    [item] = _continue(client, auth)
    assert (item["season"], item["episode"]) == (2, 1)


def test_a_started_next_episode_resumes_where_it_stopped(
    client: FlaskClient, auth: Auth, shows: None
) -> None:
    _put(client, auth, 1, 2, 300)
    _put(client, auth, 1, 1, MINUTES_48)  # finished after starting E02
    [item] = _continue(client, auth)
    assert (item["season"], item["episode"]) == (1, 2)
    assert item["up_next"] is True and item["resume_at_s"] == 295.0


def test_a_show_watched_to_the_end_leaves_continue_watching(
    client: FlaskClient, auth: Auth, shows: None
) -> None:
    _put(client, auth, 2, 2, MINUTES_48)
    assert _continue(client, auth) == []
    [kept] = _continue(client, auth, "?include=watched")
    assert kept["watched"] is True and (kept["season"], kept["episode"]) == (2, 2)
    assert _show(client, auth)["up_next"] is None


def test_specials_run_on_their_own(client: FlaskClient, auth: Auth, shows: None) -> None:
    _put(client, auth, 0, 1, 20 * 60.0, 20 * 60.0, show=550)
    assert _continue(client, auth) == []  # the only special: nothing after it


def test_show_progress_lists_every_episode_record(
    client: FlaskClient, auth: Auth, shows: None
) -> None:
    _put(client, auth, 2, 1, 100)
    _put(client, auth, 1, 1, MINUTES_48)
    body = _show(client, auth)
    assert [(i["season"], i["episode"], i["watched"]) for i in body["items"]] == [
        (1, 1, True), (2, 1, False)
    ]  # fmt: skip
    # the most recent record is the watched pilot: next is S01E02 (S02E01 stays listed)
    assert (body["up_next"]["season"], body["up_next"]["episode"]) == (1, 2)
    empty = _show(client, auth, 66732)
    assert empty == {"items": [], "up_next": None}


def test_deleting_an_episode_record_unmarks_it(
    client: FlaskClient, auth: Auth, shows: None
) -> None:
    _put(client, auth, 1, 1, MINUTES_48)
    assert client.delete(f"/api/progress/episode/{BB}/1/1", headers=auth).status_code == 204
    assert _show(client, auth)["items"] == []
    assert_error(client.delete(f"/api/progress/episode/{BB}/1/1", headers=auth), 404,
                 "progress_not_found")  # fmt: skip


@pytest.mark.parametrize(
    ("url", "status", "code"),
    [
        (f"/api/progress/episode/{BB}/1/9", 404, "episode_not_found"),
        (f"/api/progress/episode/{BB}/9/1", 404, "episode_not_found"),
        ("/api/progress/episode/999/1/1", 404, "episode_not_found"),
        ("/api/progress/episode/155/1/1", 404, "episode_not_found"),  # a movie id
        (f"/api/progress/episode/{BB}/1/0", 400, "invalid_parameter"),
        (f"/api/progress/episode/{BB}/-1/1", 400, "invalid_parameter"),
        (f"/api/progress/episode/{BB}/1/99999999999999", 400, "invalid_parameter"),
        ("/api/progress/episode/0/1/1", 400, "invalid_parameter"),
    ],
)
def test_episodes_outside_the_catalog_or_malformed_are_refused(
    client: FlaskClient, auth: Auth, shows: None, url: str, status: int, code: str
) -> None:
    response = client.put(url, headers=auth, json={"position_s": 1, "duration_s": 10})
    assert_error(response, status, code)
    assert _show(client, auth)["items"] == []


@pytest.mark.parametrize(
    "body",
    [{"position_s": -1, "duration_s": 10}, {"position_s": 1, "duration_s": 0},
     {"position_s": 20, "duration_s": 10}, {"position_s": "1", "duration_s": 10},
     {"position_s": 1}, {"position_s": 1, "duration_s": 10, "extra": 1}],
)  # fmt: skip
def test_invalid_episode_bodies_are_400(
    client: FlaskClient, auth: Auth, shows: None, body: dict[str, Any]
) -> None:
    response = client.put(f"/api/progress/episode/{BB}/1/1", headers=auth, json=body)
    assert_error(response, 400)


def test_a_user_never_sees_another_users_episodes(
    app: Flask, client: FlaskClient, auth: Auth, shows: None
) -> None:
    _put(client, auth, 1, 1, 100)
    with app.test_request_context():
        other = app_db().create_user("viewer@example.test", "unused-hash")
        token = issue_access_token(other, 60)["access_token"]
    viewer = {"Authorization": f"Bearer {token}"}
    assert _continue(client, viewer) == []
    assert _show(client, viewer)["items"] == []
    assert_error(client.get(f"/api/progress/episode/{BB}/1/1", headers=viewer), 404)
    assert_error(client.delete(f"/api/progress/episode/{BB}/1/1", headers=viewer), 404)
    assert len(_show(client, auth)["items"]) == 1


def test_episode_progress_needs_a_signed_in_user(client: FlaskClient, shows: None) -> None:
    assert_error(client.get(f"/api/progress/show/{BB}"), 401)
    assert_error(client.put(f"/api/progress/episode/{BB}/1/1",
                            json={"position_s": 1, "duration_s": 10}), 401)  # fmt: skip


def test_show_progress_of_an_unknown_show_is_404(
    client: FlaskClient, auth: Auth, shows: None
) -> None:
    assert_error(client.get("/api/progress/show/999", headers=auth), 404, "show_not_found")
