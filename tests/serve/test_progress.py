"""Watch progress: stored per user, newest first, watched at 90 %, resume a little before
the saved position, strict input, private to its user, CSRF on cookie writes, rate limited."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from core.settings import Settings, load_settings
from serve.app import create_app
from serve.extensions import app_db
from serve.progress import MAX_DURATION_S, RESUME_BACKOFF_S
from serve.tokens import CSRF_HEADER, issue_access_token
from tests.helpers.catalog import SampleMarts
from tests.serve.conftest import assert_error

FIGHT_CLUB, DARK_KNIGHT, SHAWSHANK, NO_POSTER = 550, 155, 278, 1184918
HUGE_ID = "1" * 23


def _put(
    client: FlaskClient, headers: dict[str, str], tmdb_id: int | str, position: Any, duration: Any
) -> TestResponse:
    return client.put(
        f"/api/progress/movie/{tmdb_id}",
        json={"position_s": position, "duration_s": duration},
        headers=headers,
    )


def _put_raw(client: FlaskClient, headers: dict[str, str], text: str) -> TestResponse:
    return client.put(
        f"/api/progress/movie/{FIGHT_CLUB}",
        data=text,
        headers={**headers, "Content-Type": "application/json"},
    )


def _items(client: FlaskClient, headers: dict[str, str], query: str = "") -> list[dict[str, Any]]:
    response = client.get(f"/api/progress{query}", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    items: list[dict[str, Any]] = response.get_json()["items"]
    return items


def _token_for(app: Flask, email: str) -> dict[str, str]:
    """A second, plain user (no KDF: the token is issued directly)."""
    with app.test_request_context():
        user = app_db().create_user(email, "not-a-real-hash")
        token = issue_access_token(user, 60)["access_token"]
    return {"Authorization": f"Bearer {token}"}


def test_saved_progress_is_answered_and_read_back(
    client: FlaskClient, auth: dict[str, str], published: SampleMarts
) -> None:
    response = _put(client, auth, FIGHT_CLUB, 600, 8340.5)
    assert response.status_code == 200
    body = response.get_json()
    assert body == {
        "kind": "movie",
        "tmdb_id": FIGHT_CLUB,
        "title": "Fight Club",
        "poster": "https://image.tmdb.org/t/p/w342/pB8BM7pdSp6B6Ih7QZ4DrQ3PmJK.jpg",
        "position_s": 600.0,
        "duration_s": 8340.5,
        "progress": round(600 / 8340.5, 4),
        "resume_at_s": 600.0 - RESUME_BACKOFF_S,
        "updated_at": body["updated_at"],
        "watched": False,
        "watched_at": None,
        "season": None,  # episode fields: null for a movie
        "episode": None,
        "episode_name": None,
        "up_next": False,
    }
    assert body["updated_at"].endswith("Z")
    assert response.headers["Cache-Control"] == "no-store"  # per-user: never in a shared cache
    assert client.get(f"/api/progress/movie/{FIGHT_CLUB}", headers=auth).get_json() == body
    assert _items(client, auth) == [body]


def test_a_second_save_overwrites_the_first(
    client: FlaskClient, auth: dict[str, str], published: SampleMarts
) -> None:
    _put(client, auth, FIGHT_CLUB, 100, 6000)
    _put(client, auth, FIGHT_CLUB, 250.25, 6000)
    assert [(i["tmdb_id"], i["position_s"]) for i in _items(client, auth)] == [(FIGHT_CLUB, 250.25)]


def test_continue_watching_is_newest_first_and_paged_by_limit(
    client: FlaskClient, auth: dict[str, str], published: SampleMarts
) -> None:
    for tmdb_id in (FIGHT_CLUB, DARK_KNIGHT, SHAWSHANK):
        assert _put(client, auth, tmdb_id, 60, 6000).status_code == 200
    _put(client, auth, FIGHT_CLUB, 120, 6000)  # touched again: newest
    assert [i["tmdb_id"] for i in _items(client, auth)] == [FIGHT_CLUB, SHAWSHANK, DARK_KNIGHT]
    assert [i["tmdb_id"] for i in _items(client, auth, "?limit=2")] == [FIGHT_CLUB, SHAWSHANK]
    for bad in ("0", "101", "abc", "-1", HUGE_ID):
        response = client.get(f"/api/progress?limit={bad}", headers=auth)
        assert "limit" in assert_error(response, 400, "invalid_parameter")
    assert_error(client.get("/api/progress?include=all", headers=auth), 400, "invalid_parameter")


def test_titles_and_posters_follow_the_catalog_and_language(
    client: FlaskClient, auth: dict[str, str], published: SampleMarts
) -> None:
    _put(client, auth, NO_POSTER, 10, 100)
    _put(client, auth, FIGHT_CLUB, 10, 100)
    items = _items(client, auth, "?language=es")
    assert [(i["tmdb_id"], i["title"]) for i in items] == [
        (FIGHT_CLUB, "El club de la lucha"),
        (NO_POSTER, "Ocean's 100% Heist_"),
    ]
    assert items[1]["poster"] is None


def test_reaching_ninety_percent_marks_watched_and_leaves_continue_watching(
    client: FlaskClient, auth: dict[str, str], published: SampleMarts
) -> None:
    almost = _put(client, auth, FIGHT_CLUB, 5399.9, 6000).get_json()
    assert almost["watched"] is False and almost["watched_at"] is None
    done = _put(client, auth, FIGHT_CLUB, 5400, 6000).get_json()
    assert done["watched"] is True
    assert done["watched_at"] == done["updated_at"]
    assert done["progress"] == 0.9
    assert done["resume_at_s"] == 0.0  # a watched title starts over
    assert _items(client, auth) == []
    # The record is kept: readable by id and listed on request.
    assert client.get(f"/api/progress/movie/{FIGHT_CLUB}", headers=auth).get_json() == done
    assert _items(client, auth, "?include=watched") == [done]
    # Saving again past the threshold keeps the first finish time.
    later = _put(client, auth, FIGHT_CLUB, 5990, 6000).get_json()
    assert later["watched"] is True and later["watched_at"] == done["watched_at"]


def test_rewatching_a_watched_title_puts_it_back_in_progress(
    client: FlaskClient, auth: dict[str, str], published: SampleMarts
) -> None:
    done = _put(client, auth, FIGHT_CLUB, 6000, 6000).get_json()
    again = _put(client, auth, FIGHT_CLUB, 30, 6000).get_json()
    assert again["watched"] is False
    assert again["watched_at"] == done["watched_at"]  # the last finish is remembered
    assert [i["tmdb_id"] for i in _items(client, auth)] == [FIGHT_CLUB]


@pytest.mark.parametrize(
    ("position", "resume"),
    [(0, 0.0), (3, 0.0), (RESUME_BACKOFF_S, 0.0), (100, 100 - RESUME_BACKOFF_S), (61.5, 56.5)],
)
def test_resume_is_a_few_seconds_before_the_position_and_never_negative(
    client: FlaskClient,
    auth: dict[str, str],
    published: SampleMarts,
    position: float,
    resume: float,
) -> None:
    assert _put(client, auth, FIGHT_CLUB, position, 6000).get_json()["resume_at_s"] == resume


def test_a_position_just_past_the_end_is_clamped_to_the_duration(
    client: FlaskClient, auth: dict[str, str], published: SampleMarts
) -> None:
    body = _put(client, auth, FIGHT_CLUB, 6000.8, 6000).get_json()
    assert body["position_s"] == 6000.0 and body["progress"] == 1.0 and body["watched"] is True


def test_deleting_progress_forgets_it(
    client: FlaskClient, auth: dict[str, str], published: SampleMarts
) -> None:
    _put(client, auth, FIGHT_CLUB, 60, 6000)
    response = client.delete(f"/api/progress/movie/{FIGHT_CLUB}", headers=auth)
    assert response.status_code == 204 and response.get_data() == b""
    assert_error(
        client.get(f"/api/progress/movie/{FIGHT_CLUB}", headers=auth), 404, "progress_not_found"
    )
    assert _items(client, auth) == []
    assert_error(
        client.delete(f"/api/progress/movie/{FIGHT_CLUB}", headers=auth), 404, "progress_not_found"
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"position_s": -1, "duration_s": 6000}, "position_s"),
        ({"position_s": -0.001, "duration_s": 6000}, "position_s"),
        ({"position_s": 10, "duration_s": -6000}, "duration_s"),
        ({"position_s": 0, "duration_s": 0}, "duration_s"),
        ({"position_s": 10, "duration_s": MAX_DURATION_S + 1}, "duration_s"),
        ({"position_s": 10**30, "duration_s": 6000}, "position_s"),
        ({"position_s": 6002, "duration_s": 6000}, "past duration_s"),
        ({"position_s": "10", "duration_s": 6000}, "position_s"),
        ({"position_s": 10, "duration_s": "6000"}, "duration_s"),
        ({"position_s": True, "duration_s": 6000}, "position_s"),
        ({"position_s": None, "duration_s": 6000}, "position_s"),
        ({"position_s": [1], "duration_s": 6000}, "position_s"),
        ({"duration_s": 6000}, "position_s"),
        ({"position_s": 10}, "duration_s"),
        ({}, "position_s"),
        ({"position_s": 10, "duration_s": 6000, "watched": True}, "watched"),
    ],
)
def test_invalid_bodies_are_400_naming_the_field(
    client: FlaskClient,
    auth: dict[str, str],
    published: SampleMarts,
    body: dict[str, Any],
    field: str,
) -> None:
    response = client.put(f"/api/progress/movie/{FIGHT_CLUB}", json=body, headers=auth)
    assert field in assert_error(response, 400, "validation_error")
    assert _items(client, auth, "?include=watched") == []


@pytest.mark.parametrize(
    "text",
    [
        '{"position_s": NaN, "duration_s": 6000}',
        '{"position_s": 10, "duration_s": NaN}',
        '{"position_s": Infinity, "duration_s": 6000}',
        '{"position_s": 10, "duration_s": Infinity}',
        '{"position_s": -Infinity, "duration_s": 6000}',
        '{"position_s": 1e400, "duration_s": 6000}',
    ],
)
def test_non_finite_numbers_are_refused(
    client: FlaskClient, auth: dict[str, str], published: SampleMarts, text: str
) -> None:
    assert "finite" in assert_error(_put_raw(client, auth, text), 400, "validation_error")


def test_bodies_that_are_not_json_objects_are_refused(
    client: FlaskClient, auth: dict[str, str], published: SampleMarts
) -> None:
    assert_error(_put_raw(client, auth, "[1, 2]"), 400, "validation_error")
    assert_error(_put_raw(client, auth, "{"), 400, "malformed_json")
    assert_error(_put_raw(client, auth, ""), 400, "malformed_json")
    response = client.put(
        f"/api/progress/movie/{FIGHT_CLUB}", data="position_s=1&duration_s=2", headers=auth
    )
    assert_error(response, 415, "unsupported_media_type")


@pytest.mark.parametrize("tmdb_id", [HUGE_ID, "0", "-1", "abc", "1.5", str(2**31 + 1)])
def test_malformed_or_huge_ids_are_400_on_every_method(
    client: FlaskClient, auth: dict[str, str], published: SampleMarts, tmdb_id: str
) -> None:
    path = f"/api/progress/movie/{tmdb_id}"
    body = {"position_s": 1, "duration_s": 10}
    for response in (
        client.put(path, json=body, headers=auth),
        client.get(path, headers=auth),
        client.delete(path, headers=auth),
    ):
        assert "tmdb_id" in assert_error(response, 400, "invalid_parameter")


def test_a_title_not_in_the_catalog_is_404_and_not_stored(
    client: FlaskClient, auth: dict[str, str], published: SampleMarts
) -> None:
    assert_error(_put(client, auth, 999_999, 10, 100), 404, "movie_not_found")
    assert_error(client.get("/api/progress/movie/999999", headers=auth), 404, "progress_not_found")
    assert _items(client, auth, "?include=watched") == []


def test_titles_that_left_the_catalog_are_skipped_but_kept(
    app: Flask, client: FlaskClient, auth: dict[str, str], published: SampleMarts
) -> None:
    _put(client, auth, FIGHT_CLUB, 10, 100)
    with app.app_context():
        app_db().connection().execute(
            "UPDATE watch_progress SET tmdb_id = 424242 WHERE tmdb_id = ?", (FIGHT_CLUB,)
        )
    assert _items(client, auth) == []
    gone = client.get("/api/progress/movie/424242", headers=auth).get_json()
    assert gone["title"] is None and gone["poster"] is None and gone["position_s"] == 10.0
    assert client.delete("/api/progress/movie/424242", headers=auth).status_code == 204


def test_a_user_never_sees_or_changes_another_users_progress(
    app: Flask, client: FlaskClient, auth: dict[str, str], published: SampleMarts
) -> None:
    mine = _put(client, auth, FIGHT_CLUB, 600, 6000).get_json()
    other = _token_for(app, "viewer@example.test")
    assert _items(client, other, "?include=watched") == []
    path = f"/api/progress/movie/{FIGHT_CLUB}"
    assert_error(client.get(path, headers=other), 404, "progress_not_found")
    assert_error(client.delete(path, headers=other), 404, "progress_not_found")
    theirs = _put(client, other, FIGHT_CLUB, 5999, 6000).get_json()
    assert theirs["watched"] is True
    assert client.get(path, headers=auth).get_json() == mine
    assert _items(client, auth) == [mine]


def test_deleting_a_user_deletes_their_progress(
    app: Flask, client: FlaskClient, auth: dict[str, str], published: SampleMarts
) -> None:
    other = _token_for(app, "leaver@example.test")
    _put(client, other, FIGHT_CLUB, 60, 6000)
    with app.app_context():
        db = app_db()
        user = db.user_by_email("leaver@example.test")
        assert user is not None
        db.delete_user(user.id)
        rows = db.connection().execute("SELECT COUNT(*) FROM watch_progress").fetchone()[0]
    assert rows == 0


def test_anonymous_requests_are_401(client: FlaskClient, published: SampleMarts) -> None:
    path = f"/api/progress/movie/{FIGHT_CLUB}"
    for response in (
        client.get("/api/progress"),
        client.get(path),
        client.put(path, json={"position_s": 1, "duration_s": 10}),
        client.delete(path),
    ):
        assert_error(response, 401)


def test_cookie_sessions_need_the_csrf_header_to_write(
    client: FlaskClient, settings: Settings, published: SampleMarts
) -> None:
    login = client.post(
        "/api/auth/login",
        json={
            "email": settings.admin_email,
            "password": settings.admin_password.get_secret_value(),
            "mode": "cookie",
        },
    )
    csrf = login.get_json()["csrf_token"]
    path = f"/api/progress/movie/{FIGHT_CLUB}"
    body = {"position_s": 1, "duration_s": 10}
    assert_error(client.put(path, json=body), 403, "csrf_token_missing")
    assert_error(client.put(path, json=body, headers={CSRF_HEADER: "forged"}), 403, "csrf_failed")
    assert client.put(path, json=body, headers={CSRF_HEADER: csrf}).status_code == 200
    assert client.get("/api/progress").status_code == 200  # reads need no header
    assert_error(client.delete(path), 403, "csrf_token_missing")
    assert client.delete(path, headers={CSRF_HEADER: csrf}).status_code == 204


def test_progress_requests_are_rate_limited_in_the_error_shape(
    settings: Settings, app_db_template: Path, published: SampleMarts
) -> None:
    tight = load_settings(**{**settings.model_dump(), "rate_limit_progress": "3/minute"})
    tight.app_db_path.write_bytes(app_db_template.read_bytes())
    application = create_app(tight)
    client = application.test_client()
    with application.test_request_context():
        admin = app_db().user_by_email(tight.admin_email)
        assert admin is not None
        headers = {"Authorization": f"Bearer {issue_access_token(admin, 5)['access_token']}"}
    assert _put(client, headers, FIGHT_CLUB, 1, 10).status_code == 200
    assert _put(client, headers, FIGHT_CLUB, 2, 10).status_code == 200
    assert client.get("/api/progress", headers=headers).status_code == 200
    response = _put(client, headers, FIGHT_CLUB, 3, 10)
    assert "rate limit" in assert_error(response, 429, "rate_limited")
    assert int(response.headers["Retry-After"]) >= 1
    # The catalogue keeps its own budget.
    assert client.get("/api/movies", headers=headers).status_code == 200


def test_the_default_limit_allows_a_player_saving_every_few_seconds(settings: Settings) -> None:
    count, _, period = settings.rate_limit_progress.partition("/")
    assert period == "minute" and int(count) >= 60  # one save a second, with room to spare
