"""/api/movies: paging, filters, sorting, search, languages, details and ranked sources."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.helpers.catalog import GENRES, LISTS, SampleMarts
from tests.serve.conftest import assert_error


def _get(client: FlaskClient, auth: dict[str, str], url: str) -> Any:
    response = client.get(url, headers=auth)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _ids(body: dict[str, Any]) -> list[int]:
    return [movie["tmdb_id"] for movie in body["results"]]


def test_default_listing_is_by_popularity_with_paging_metadata(
    client: FlaskClient, auth: dict[str, str], published: SampleMarts
) -> None:
    body = _get(client, auth, "/api/movies")
    assert body["page"] == 1 and body["per_page"] == 20
    assert body["total_results"] == len(published.movies)
    assert body["total_pages"] == 1
    assert _ids(body) == [299536, 155, 278, 238, 550, 194, 1184918]


def test_pages_cover_the_catalogue_exactly_once(
    client: FlaskClient, auth: dict[str, str], published: SampleMarts
) -> None:
    seen: list[int] = []
    first = _get(client, auth, "/api/movies?per_page=2")
    assert first["total_pages"] == 4
    for page in range(1, 5):
        seen += _ids(_get(client, auth, f"/api/movies?per_page=2&page={page}"))
    assert sorted(seen) == sorted(published.movies)
    beyond = _get(client, auth, "/api/movies?per_page=2&page=5")
    assert beyond["results"] == [] and beyond["total_results"] == len(published.movies)


@pytest.mark.parametrize("per_page", [1, 100])
def test_per_page_bounds_are_accepted(
    client: FlaskClient, auth: dict[str, str], published: SampleMarts, per_page: int
) -> None:
    body = _get(client, auth, f"/api/movies?per_page={per_page}")
    assert len(body["results"]) == min(per_page, len(published.movies))


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=abc", "page"),
        ("page=1.5", "page"),
        ("page=99999999999999999999999", "page"),
        ("per_page=0", "per_page"),
        ("per_page=101", "per_page"),
        ("per_page=1000", "per_page"),
        ("sort=drop%20table%20movies", "sort"),
        ("sort=popularity;DELETE", "sort"),
        ("list=favourites", "list"),
        ("list=trakt-", "list"),
        ("list=trakt-UPPER", "list"),
        ("list=trakt-a%27%20OR%201=1", "list"),
        ("list=trakt-" + "a" * 59, "list"),
        ("genre=abc", "genre"),
        ("genre=0", "genre"),
        ("language=english", "language"),
        ("language=e'", "language"),
        ("q=" + "x" * 101, "q"),
        ("q=a%00b", "q"),
    ],
)
def test_bad_parameters_are_a_400_naming_the_parameter(
    client: FlaskClient, auth: dict[str, str], published: SampleMarts, query: str, param: str
) -> None:
    message = assert_error(
        client.get(f"/api/movies?{query}", headers=auth), 400, "invalid_parameter"
    )
    assert message.startswith(param)


def test_a_well_formed_curated_list_name_nobody_published_is_an_empty_page(
    client: FlaskClient, auth: dict[str, str], published: SampleMarts
) -> None:
    body = _get(client, auth, "/api/movies?list=trakt-nobody-made-this")
    assert body["results"] == [] and body["total_results"] == 0


@pytest.mark.parametrize("name", sorted(LISTS))
def test_list_filter_orders_by_list_position(
    client: FlaskClient, auth: dict[str, str], published: SampleMarts, name: str
) -> None:
    body = _get(client, auth, f"/api/movies?list={name}")
    assert _ids(body) == list(LISTS[name])
    assert body["total_results"] == len(LISTS[name])


def test_list_filter_with_explicit_sort_uses_the_sort(
    client: FlaskClient, auth: dict[str, str], published: SampleMarts
) -> None:
    body = _get(client, auth, "/api/movies?list=top_rated&sort=title")
    titles = [movie["title"] for movie in body["results"]]
    assert titles == sorted(titles, key=str.casefold)


def test_genre_filter_returns_only_movies_of_that_genre(
    client: FlaskClient, auth: dict[str, str], published: SampleMarts
) -> None:
    body = _get(client, auth, "/api/movies?genre=80")
    assert sorted(_ids(body)) == [155, 238, 278]
    for movie in body["results"]:
        assert 80 in [genre["id"] for genre in movie["genres"]]
    assert _get(client, auth, "/api/movies?genre=99999")["results"] == []


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("vote_average", [278, 238, 155, 550, 299536, 194, 1184918]),
        ("release_date", [1184918, 299536, 155, 194, 550, 278, 238]),
        ("popularity", [299536, 155, 278, 238, 550, 194, 1184918]),
    ],
)
def test_sorts(
    client: FlaskClient, auth: dict[str, str], published: SampleMarts, sort: str, expected: list
) -> None:
    assert _ids(_get(client, auth, f"/api/movies?sort={sort}")) == expected


def test_title_sort_uses_the_requested_language(
    client: FlaskClient, auth: dict[str, str], published: SampleMarts
) -> None:
    english = [m["title"] for m in _get(client, auth, "/api/movies?sort=title")["results"]]
    spanish = [
        m["title"] for m in _get(client, auth, "/api/movies?sort=title&language=es")["results"]
    ]
    assert english == sorted(english, key=str.casefold)
    assert spanish == sorted(spanish, key=str.casefold)
    assert "Cadena perpetua" in spanish and "Cadena perpetua" not in english


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("dark", [155]),
        ("DARK KNIGHT", [155]),
        ("caballero", [155]),  # a translated title
        ("AMÉLIE", [194]),  # non-ASCII case folding
        ("fabelhafte", [194]),
        ("100%", [1184918]),  # % is literal, not a wildcard
        ("%", [1184918]),
        ("_", [1184918]),  # _ is literal too
        ("ocean's", [1184918]),  # a quote is just a character
        ("'", [1184918, 194]),
        ("' OR '1'='1", []),
        ("\\", []),
        ("zzzz-nothing", []),
    ],
)
def test_title_search(
    client: FlaskClient, auth: dict[str, str], published: SampleMarts, q: str, expected: list
) -> None:
    from urllib.parse import quote

    body = _get(client, auth, f"/api/movies?q={quote(q)}")
    assert sorted(_ids(body)) == sorted(expected)
    assert body["total_results"] == len(expected)


def test_search_combines_with_list_and_genre(
    client: FlaskClient, auth: dict[str, str], published: SampleMarts
) -> None:
    assert _ids(_get(client, auth, "/api/movies?list=popular&genre=18&q=the")) == [155, 278]


def test_summary_fields(client: FlaskClient, auth: dict[str, str], published: SampleMarts) -> None:
    movies = {m["tmdb_id"]: m for m in _get(client, auth, "/api/movies")["results"]}
    fight_club = movies[550]
    assert fight_club["title"] == "Fight Club"
    assert fight_club["year"] == 1999
    assert fight_club["poster_url"] == (
        "https://image.tmdb.org/t/p/w342/pB8BM7pdSp6B6Ih7QZ4DrQ3PmJK.jpg"
    )
    assert fight_club["genres"] == [{"id": 18, "name": "Drama"}]
    assert fight_club["has_sources"] is True
    assert fight_club["best_quality"] == "1080p"  # 2160p x265 is not playable on the web
    assert movies[1184918]["has_sources"] is False
    assert movies[1184918]["best_quality"] is None
    assert movies[1184918]["poster_url"] is None
    assert movies[238]["best_quality"] == "3D"  # only unplayable sources: still reported


def test_language_localises_titles_and_genres_with_english_fallback(
    client: FlaskClient, auth: dict[str, str], published: SampleMarts
) -> None:
    movies = {m["tmdb_id"]: m for m in _get(client, auth, "/api/movies?language=es")["results"]}
    assert movies[155]["title"] == "El caballero oscuro"
    assert movies[238]["title"] == "The Godfather"  # no Spanish translation
    assert {g["name"] for g in movies[155]["genres"]} == {"Acción", "Crimen", "Drama"}
    assert [g["name"] for g in movies[194]["genres"]] == ["Comedia", GENRES[10749][0]]


def test_region_picks_the_regional_translation(
    client: FlaskClient, auth: dict[str, str], published: SampleMarts
) -> None:
    assert _get(client, auth, "/api/movies/550?language=es-MX")["title"] == "El club de la pelea"
    assert _get(client, auth, "/api/movies/550?language=es_es")["title"] == "El club de la lucha"
    # An empty translated title falls back to the movie's own title.
    assert _get(client, auth, "/api/movies/550?language=en-US")["title"] == "Fight Club"


def test_details_carry_images_translations_lists_and_genres(
    client: FlaskClient, auth: dict[str, str], published: SampleMarts
) -> None:
    body = _get(client, auth, "/api/movies/550?language=es")
    assert body["tmdb_id"] == 550 and body["imdb_id"] == "tt0137523"
    assert body["overview"] == "Un joven sin ilusiones..."
    assert body["genres"] == [{"id": 18, "name": "Drama"}]
    assert set(body["images"]["poster"]) == {"w185", "w342", "w500", "original"}
    assert body["images"]["backdrop"]["w1280"].endswith("/w1280/b9HyPoxwxjxkWEUL5ErZdhApQe2.jpg")
    assert {image["kind"] for image in body["images"]["gallery"]} == {"poster", "backdrop"}
    assert {(t["language"], t["region"]) for t in body["translations"]} == {
        ("en", "US"),
        ("es", "ES"),
        ("es", "MX"),
    }
    assert body["lists"] == [
        {"name": "popular", "position": 3},
        {"name": "top_rated", "position": 4},
    ]
    no_backdrop = _get(client, auth, "/api/movies/278")
    assert no_backdrop["images"]["backdrop"] is None


@pytest.mark.parametrize(
    ("profile", "expected"),
    [
        ("web", [("1080p", 1, True), ("720p", 2, True), ("2160p", None, False)]),
        ("tv", [("2160p", 1, True), ("1080p", 2, True), ("720p", 3, True)]),
    ],
)
def test_sources_are_ranked_per_profile_playable_first(
    client: FlaskClient, auth: dict[str, str], published: SampleMarts, profile: str, expected: list
) -> None:
    body = _get(client, auth, f"/api/movies/550?profile={profile}")
    assert body["profile"] == profile
    got = [(s["quality"], s["rank"], s["playable"]) for s in body["sources"]]
    assert got == expected


def test_default_profile_is_web(
    client: FlaskClient, auth: dict[str, str], published: SampleMarts
) -> None:
    assert _get(client, auth, "/api/movies/299536")["sources"][0]["quality"] == "1080p"


def test_source_fields_and_components(
    client: FlaskClient, auth: dict[str, str], published: SampleMarts
) -> None:
    source = _get(client, auth, "/api/movies/550")["sources"][1]
    expected = next(s for s in published.sources_for(550) if s.quality == "720p")
    assert set(source) == {
        "source_id", "quality", "resolution", "codec", "source_type", "bit_depth",
        "audio_channels", "size_bytes", "seeds", "peers", "uploaded_at", "is_repack", "is_3d",
        "bitrate_mbps", "score", "rank", "playable", "available", "unavailable_reason",
        "reliability_note", "components",
    }  # fmt: skip
    assert source["is_repack"] is True and source["is_3d"] is False
    assert source["codec"] == "x264" and source["source_type"] == "web"
    assert source["size_bytes"] == expected.size_bytes
    assert source["uploaded_at"] == "2020-05-17T12:30:00Z"
    assert source["score"] == expected.score_web
    assert source["components"] == expected.components
    assert len(source["source_id"]) == 24


def test_movie_with_only_unplayable_sources_lists_them_as_unplayable(
    client: FlaskClient, auth: dict[str, str], published: SampleMarts
) -> None:
    for profile in ("web", "tv"):
        sources = _get(client, auth, f"/api/movies/238?profile={profile}")["sources"]
        assert [(s["playable"], s["rank"], s["score"]) for s in sources] == [(False, None, None)]


def test_no_secret_ever_appears_in_any_movie_response(
    client: FlaskClient, auth: dict[str, str], published: SampleMarts
) -> None:
    texts = [client.get("/api/movies?per_page=100", headers=auth).get_data(as_text=True)]
    for tmdb_id in published.movies:
        for profile in ("web", "tv"):
            response = client.get(f"/api/movies/{tmdb_id}?profile={profile}", headers=auth)
            texts.append(response.get_data(as_text=True))
    blob = "\n".join(texts)
    assert published.sources and len(published.secrets()) > 20
    for secret in published.secrets():
        assert secret not in blob
        assert json.dumps(secret)[1:-1] not in blob
    for word in ("magnet", "info_hash", "torrent_url", "btih", "_enc", "hmac"):
        assert word not in blob.lower()


@pytest.mark.parametrize(
    "tmdb_id",
    ["abc", "0", "-5", "1.5", "1e3", str(2**31 + 1), "9" * 40, "%20", "550;DROP"],
)
def test_non_integer_or_out_of_range_ids_are_a_400(
    client: FlaskClient, auth: dict[str, str], published: SampleMarts, tmdb_id: str
) -> None:
    message = assert_error(
        client.get(f"/api/movies/{tmdb_id}", headers=auth), 400, "invalid_parameter"
    )
    assert "tmdb_id" in message


def test_boundary_id_that_is_valid_but_unknown_is_a_404(
    client: FlaskClient, auth: dict[str, str], published: SampleMarts
) -> None:
    assert_error(client.get(f"/api/movies/{2**31}", headers=auth), 404, "movie_not_found")
    assert_error(client.get("/api/movies/1", headers=auth), 404, "movie_not_found")


def test_bad_profile_is_a_400(
    client: FlaskClient, auth: dict[str, str], published: SampleMarts
) -> None:
    assert "profile" in assert_error(
        client.get("/api/movies/550?profile=rank_web", headers=auth), 400, "invalid_parameter"
    )
