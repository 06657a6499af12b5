"""The fake upstream over real HTTP on loopback: TMDB, YTS (mirrors) and Trakt routes."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from sandbox.catalogue import SyntheticCatalogue
from sandbox.errors import UpstreamStartError
from sandbox.fake_upstream import RunningUpstream, UpstreamConfig, start_fake_upstream
from sandbox.yts_records import torrent_record

NOT_FOUND = {
    "success": False,
    "status_code": 34,
    "status_message": "The resource you requested could not be found.",
}
INVALID_PAGE = {
    "success": False,
    "status_code": 22,
    "status_message": "Invalid page: Pages start at 1 and max at 500. They are expected to be "
    "an integer.",
}
DETAILS = {"append_to_response": "translations,images,external_ids", "language": "en"}


@pytest.fixture(scope="module")
def catalogue() -> SyntheticCatalogue:
    cat = SyntheticCatalogue(300, seed=21)
    demo = cat.demo_imdb_ids(1)[0]
    cat.add_torrents(demo, [torrent_record("ef" * 20)], files={"ef" * 20: b"d4:infodee"})
    return cat


@pytest.fixture(scope="module")
def upstream(catalogue: SyntheticCatalogue) -> Iterator[RunningUpstream]:
    with start_fake_upstream(UpstreamConfig(catalogue=catalogue, yts_mirrors=3)) as running:
        yield running


@pytest.fixture(scope="module")
def client(upstream: RunningUpstream) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=upstream.base_url, timeout=10) as c:
        yield c


def _imdb_with_torrents(cat: SyntheticCatalogue) -> str:
    return next(i for i in map(cat.imdb_id_of, cat.tmdb_ids) if i and cat.yts_torrents(i))


# --- running ---------------------------------------------------------------------------------
def test_urls_point_at_the_service_prefixes(upstream: RunningUpstream) -> None:
    assert upstream.base_url.startswith("http://127.0.0.1:")
    assert upstream.tmdb_url == upstream.base_url + "/tmdb"
    assert upstream.trakt_url == upstream.base_url + "/trakt"
    assert upstream.yts_urls == [
        upstream.base_url + "/yts",
        upstream.base_url + "/yts-mirror2",
        upstream.base_url + "/yts-mirror3",
    ]


def test_stop_releases_the_port_and_refuses_connections() -> None:
    running = start_fake_upstream(SyntheticCatalogue(10))
    port = int(running.base_url.rsplit(":", 1)[1])
    assert httpx.get(f"{running.tmdb_url}/3/configuration").status_code == 200
    running.stop()
    running.stop()  # idempotent
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{running.tmdb_url}/3/configuration", timeout=2)
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))


def test_a_taken_port_is_reported_with_host_and_port(upstream: RunningUpstream) -> None:
    port = int(upstream.base_url.rsplit(":", 1)[1])
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        with pytest.raises(UpstreamStartError, match=f"127.0.0.1:{taken}"):
            start_fake_upstream(SyntheticCatalogue(10), port=taken)
    assert port != taken


def test_the_h11_implementation_serves_the_same_bodies(
    catalogue: SyntheticCatalogue, client: httpx.Client
) -> None:
    tmdb_id = catalogue.tmdb_ids[1]
    with start_fake_upstream(catalogue, http="h11") as slow:
        other = httpx.get(f"{slow.tmdb_url}/3/movie/{tmdb_id}", params=DETAILS)
    assert other.json() == client.get(f"/tmdb/3/movie/{tmdb_id}", params=DETAILS).json()


def test_command_line_help_lists_the_knobs() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "sandbox.fake_upstream", "--help"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    for flag in ("--movies", "--seed", "--port", "--error-rate", "--dead-mirror"):
        assert flag in out


@pytest.mark.parametrize(("text", "rate"), [("0", 0.0), ("0.02", 0.02), ("1", 1.0)])
def test_change_rate_flag_takes_a_share_from_zero_to_one(text: str, rate: float) -> None:
    from sandbox.fake_upstream import _parse_args

    assert _parse_args(["--change-rate", text]).change_rate == rate


@pytest.mark.parametrize("text", ["-0.01", "1.01", "nan", "inf", "abc", ""])
def test_change_rate_flag_refuses_what_is_not_a_share(text: str) -> None:
    from sandbox.fake_upstream import _parse_args

    with pytest.raises(SystemExit):
        _parse_args(["--change-rate", text])


# --- TMDB ------------------------------------------------------------------------------------
def test_configuration_and_genres(client: httpx.Client) -> None:
    config = client.get("/tmdb/3/configuration").json()
    assert config["images"]["secure_base_url"] == "https://image.tmdb.org/t/p/"
    es = client.get("/tmdb/3/genre/movie/list", params={"language": "es"})
    assert es.headers["content-type"] == "application/json;charset=utf-8"
    assert {"id": 878, "name": "Ciencia ficción"} in es.json()["genres"]
    tv = client.get("/tmdb/3/genre/tv/list", params={"language": "en"}).json()
    assert {"id": 10759, "name": "Action & Adventure"} in tv["genres"]


def test_details_honour_append_to_response(
    catalogue: SyntheticCatalogue, client: httpx.Client
) -> None:
    tmdb_id = catalogue.tmdb_ids[0]
    bare = client.get(f"/tmdb/3/movie/{tmdb_id}").json()
    assert not {"translations", "images", "external_ids"} & set(bare)
    some = client.get(
        f"/tmdb/3/movie/{tmdb_id}", params={"append_to_response": "images, bogus,credits"}
    ).json()
    assert "images" in some and "translations" not in some and "external_ids" not in some
    full = client.get(f"/tmdb/3/movie/{tmdb_id}", params=DETAILS).json()
    assert full == catalogue.movie(tmdb_id, "en")


def test_details_are_localized_by_the_language_parameter(
    catalogue: SyntheticCatalogue, client: httpx.Client
) -> None:
    tmdb_id = catalogue.tmdb_ids[2]
    es = client.get(f"/tmdb/3/movie/{tmdb_id}", params={"language": "es-ES"}).json()
    assert es["genres"] == catalogue.movie(tmdb_id, "es-ES")["genres"]  # type: ignore[index]
    hostile = client.get(f"/tmdb/3/movie/{tmdb_id}", params={"language": "<script>" * 50})
    assert hostile.status_code == 200
    assert hostile.json()["title"] == client.get(f"/tmdb/3/movie/{tmdb_id}").json()["title"]


@pytest.mark.parametrize(
    "bad", ["0", "-1", "abc", "1e3", "550abc", "9" * 40, "%00", "\uff11\uff12"]
)
def test_unknown_or_malformed_movie_ids_give_tmdb_404(client: httpx.Client, bad: str) -> None:
    response = client.get(f"/tmdb/3/movie/{bad}")
    assert response.status_code == 404
    assert response.json() == NOT_FOUND


def test_deleted_ids_listed_in_pages_give_404(
    catalogue: SyntheticCatalogue, client: httpx.Client
) -> None:
    response = client.get(f"/tmdb/3/movie/{catalogue.missing_ids[0]}", params=DETAILS)
    assert (response.status_code, response.json()) == (404, NOT_FOUND)


def test_unknown_tmdb_paths_give_tmdb_404(client: httpx.Client) -> None:
    for path in ("/tmdb/3/nope", "/tmdb/4/movie/1", "/tmdb/3/trending/movie/month"):
        response = client.get(path)
        assert (response.status_code, response.json()) == (404, NOT_FOUND)


@pytest.mark.parametrize("page", ["0", "501", "abc", "-1", "", "1.5", "99999999999999999999"])
def test_pages_outside_1_to_500_give_400_status_code_22(client: httpx.Client, page: str) -> None:
    for path in ("/tmdb/3/movie/popular", "/tmdb/3/trending/movie/day"):
        response = client.get(path, params={"page": page})
        assert (response.status_code, response.json()) == (400, INVALID_PAGE)


def test_last_page_is_short_and_the_page_after_is_empty(
    catalogue: SyntheticCatalogue, client: httpx.Client
) -> None:
    first = client.get("/tmdb/3/movie/top_rated", params={"page": 1}).json()
    total, pages = first["total_results"], first["total_pages"]
    assert total == len(catalogue.tmdb_ids) + len(catalogue.missing_ids)
    last = client.get("/tmdb/3/movie/top_rated", params={"page": pages}).json()
    assert len(last["results"]) == total - 20 * (pages - 1)
    after = client.get("/tmdb/3/movie/top_rated", params={"page": pages + 1}).json()
    assert after["results"] == [] and after["page"] == pages + 1


@pytest.mark.parametrize("name", ["popular", "top_rated", "now_playing", "upcoming"])
def test_every_movie_list_is_served(
    catalogue: SyntheticCatalogue, client: httpx.Client, name: str
) -> None:
    body = client.get(f"/tmdb/3/movie/{name}", params={"page": 2, "language": "en"}).json()
    assert body == catalogue.list_page(name, 2)


def test_trending_windows(catalogue: SyntheticCatalogue, client: httpx.Client) -> None:
    for window in ("day", "week"):
        body = client.get(f"/tmdb/3/trending/movie/{window}").json()
        assert body == catalogue.list_page(f"trending_{window}", 1)


def test_tv_details_honour_append_and_unknown_seasons_404(
    catalogue: SyntheticCatalogue, client: httpx.Client
) -> None:
    tv_id = catalogue.tv_ids[0]
    bare = client.get(f"/tmdb/3/tv/{tv_id}").json()
    assert bare["id"] == tv_id and not {"external_ids", "translations", "images"} & set(bare)
    full = client.get(
        f"/tmdb/3/tv/{tv_id}", params={"append_to_response": "external_ids,translations,images"}
    ).json()
    assert full == catalogue.tv_show(tv_id, "en-US")
    assert set(full["images"]) == {"backdrops", "logos", "posters"}
    assert client.get(f"/tmdb/3/tv/{tv_id}/season/1").json() == catalogue.tv_season(tv_id, 1)
    for path in (f"/tmdb/3/tv/{tv_id}/season/0", f"/tmdb/3/tv/{tv_id}/season/x", "/tmdb/3/tv/0"):
        response = client.get(path)
        assert (response.status_code, response.json()) == (404, NOT_FOUND)


def test_changes_validate_dates_and_window(client: httpx.Client) -> None:
    today = datetime.now(UTC).date()
    ok = client.get("/tmdb/3/movie/changes", params={"page": 1})
    assert ok.status_code == 200 and ok.json()["results"]
    for start, end in [("2025-13-01", "2025-12-02"), ("yesterday", "today"), ("2025-1-1", "")]:
        bad = client.get("/tmdb/3/movie/changes", params={"start_date": start, "end_date": end})
        assert (bad.status_code, bad.json()["status_code"]) == (400, 23)
    too_long = {"start_date": str(today - timedelta(days=15)), "end_date": str(today)}
    response = client.get("/tmdb/3/movie/changes", params=too_long)
    assert (response.status_code, response.json()["status_code"]) == (422, 20)
    backwards = {"start_date": str(today), "end_date": str(today - timedelta(days=1))}
    assert client.get("/tmdb/3/movie/changes", params=backwards).status_code == 422


def test_api_key_is_enforced_when_configured(catalogue: SyntheticCatalogue) -> None:
    config = UpstreamConfig(catalogue=catalogue, tmdb_api_key="s3cret")
    with start_fake_upstream(config) as running:
        url = f"{running.tmdb_url}/3/configuration"
        for params, headers in [
            ({}, {}),
            ({"api_key": "wrong"}, {}),
            ({}, {"Authorization": "s3cret"}),
        ]:
            response = httpx.get(url, params=params, headers=headers)
            assert response.status_code == 401
            assert response.json() == {
                "success": False,
                "status_code": 7,
                "status_message": "Invalid API key: You must be granted a valid key.",
            }
        assert httpx.get(url, params={"api_key": "s3cret"}).status_code == 200
        bearer = {"Authorization": "Bearer s3cret"}
        assert httpx.get(url, headers=bearer).status_code == 200


# --- YTS -------------------------------------------------------------------------------------
def test_lookup_by_imdb_id_on_every_mirror(
    catalogue: SyntheticCatalogue, upstream: RunningUpstream
) -> None:
    imdb = _imdb_with_torrents(catalogue)
    for mirror in upstream.yts_urls:
        body = httpx.get(
            f"{mirror}/api/v2/list_movies.json", params={"query_term": imdb, "limit": 20}
        ).json()
        assert body["status"] == "ok" and body["status_message"] == "Query was successful"
        assert body["data"]["movie_count"] == 1
        assert body["data"]["page_number"] == 1 and body["data"]["limit"] == 20
        movie = body["data"]["movies"][0]
        assert movie == catalogue.yts_movie(imdb, mirror)
        assert all(t["url"].startswith(f"{mirror}/torrent/download/") for t in movie["torrents"])
        assert set(body["@meta"]) == {
            "server_time",
            "server_timezone",
            "api_version",
            "execution_time",
        }


def test_a_movie_without_torrents_has_no_movies_key(
    catalogue: SyntheticCatalogue, client: httpx.Client
) -> None:
    bare = next(
        i
        for i in map(catalogue.imdb_id_of, catalogue.tmdb_ids)
        if i and not catalogue.yts_torrents(i)
    )
    for term in (bare, "tt0000001"):
        data = client.get("/yts/api/v2/list_movies.json", params={"query_term": term}).json()[
            "data"
        ]
        assert data == {"movie_count": 0, "limit": 20, "page_number": 1}


def test_browsing_pages_through_every_yts_movie(
    catalogue: SyntheticCatalogue, client: httpx.Client
) -> None:
    seen: list[int] = []
    page = 1
    while True:
        data = client.get(
            "/yts/api/v2/list_movies.json", params={"limit": 50, "page": page}
        ).json()["data"]
        if "movies" not in data:
            break
        assert len(data["movies"]) <= 50
        seen += [m["id"] for m in data["movies"]]
        page += 1
    assert len(seen) == data["movie_count"] == len(set(seen)) == len(catalogue.yts_search())
    assert seen == sorted(seen, reverse=True)  # date_added desc: newest YTS ids first


def test_quality_filter_and_sorting(client: httpx.Client) -> None:
    params = {"quality": "1080p.x265", "sort_by": "seeds", "limit": "10"}
    movies = client.get("/yts/api/v2/list_movies.json", params=params).json()["data"]["movies"]
    for movie in movies:
        assert any(
            t["quality"] == "1080p" and t["video_codec"] == "x265" for t in movie["torrents"]
        )
    best = [max(t["seeds"] for t in m["torrents"]) for m in movies]
    assert best == sorted(best, reverse=True)


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "51"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"page": "0"}, "page"),
        ({"page": "-3"}, "page"),
        ({"quality": "8K"}, "quality"),
        ({"minimum_rating": "10"}, "minimum_rating"),
        ({"sort_by": "1; DROP TABLE movies"}, "sort_by"),
        ({"order_by": "sideways"}, "order_by"),
        ({"query_term": "x" * 201}, "query_term"),
    ],
)
def test_invalid_yts_parameters_give_an_error_envelope(
    client: httpx.Client, params: dict[str, str], fragment: str
) -> None:
    response = client.get("/yts/api/v2/list_movies.json", params=params)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "error" and fragment in body["status_message"]
    assert "data" not in body


def test_torrent_download_serves_injected_files_only(
    catalogue: SyntheticCatalogue, client: httpx.Client
) -> None:
    ok = client.get(f"/yts/torrent/download/{'EF' * 20}")
    assert ok.status_code == 200 and ok.content == b"d4:infodee"
    assert ok.headers["content-type"] == "application/x-bittorrent"
    synthetic = catalogue.yts_torrents(_imdb_with_torrents(catalogue))[0]["hash"]
    for bad in (synthetic, "ef" * 19, "zz" * 20, "..%2F..%2Fetc%2Fpasswd"):
        assert client.get(f"/yts/torrent/download/{bad}").status_code == 404


def test_unknown_yts_paths_give_an_html_404(client: httpx.Client) -> None:
    response = client.get("/yts/api/v2/movie_details.json")
    assert response.status_code == 404 and response.headers["content-type"].startswith("text/html")


# --- Trakt -----------------------------------------------------------------------------------
def test_trakt_lists_page_with_pagination_headers(client: httpx.Client) -> None:
    first = client.get("/trakt/lists/trending", params={"limit": 10})
    assert first.status_code == 200
    total = int(first.headers["x-pagination-item-count"])
    assert first.headers["x-pagination-page"] == "1"
    assert first.headers["x-pagination-limit"] == "10"
    assert int(first.headers["x-pagination-page-count"]) == -(-total // 10)
    ratelimit = json.loads(first.headers["x-ratelimit"])
    assert ratelimit["name"] == "UNAUTHED_API_GET_LIMIT" and ratelimit["limit"] == 1000
    items = first.json()
    assert len(items) == 10 and all(
        set(i) == {"like_count", "comment_count", "list"} for i in items
    )
    pages = int(first.headers["x-pagination-page-count"])
    last = client.get("/trakt/lists/trending", params={"limit": 10, "page": pages}).json()
    assert len(last) == total - 10 * (pages - 1)
    assert client.get("/trakt/lists/trending", params={"page": pages + 1}).json() == []
    popular = client.get("/trakt/lists/popular").json()
    assert [i["list"]["ids"] for i in popular] != [i["list"]["ids"] for i in items]


@pytest.mark.parametrize("limit", ["0", "-5", "abc", "1000"])
def test_trakt_falls_back_to_the_default_limit(client: httpx.Client, limit: str) -> None:
    response = client.get("/trakt/lists/popular", params={"limit": limit})
    assert response.status_code == 200 and response.headers["x-pagination-limit"] == "10"


def test_trakt_device_code(client: httpx.Client) -> None:
    response = client.post("/trakt/oauth/device/code", json={"client_id": "anything"})
    body = response.json()
    assert response.status_code == 200
    assert len(body["device_code"]) == 64 and len(body["user_code"]) == 8
    assert body["expires_in"] == 600 and body["interval"] == 5
    second = client.post("/trakt/oauth/device/code", json={"client_id": "anything"}).json()
    assert second["device_code"] != body["device_code"]
    assert client.get("/trakt/oauth/device/code").status_code == 404  # POST-only, as Trakt
    assert client.post("/trakt/oauth/device/code", content=b"{not json").status_code == 400
    assert client.post("/trakt/oauth/device/code", json=["a"]).status_code == 400


def test_trakt_requires_its_headers_when_a_client_id_is_configured(
    catalogue: SyntheticCatalogue,
) -> None:
    with start_fake_upstream(UpstreamConfig(catalogue=catalogue, trakt_client_id="cid")) as up:
        url = f"{up.trakt_url}/lists/trending"
        assert httpx.get(url).status_code == 401
        assert httpx.get(url, headers={"trakt-api-key": "cid"}).status_code == 401
        wrong = {"trakt-api-key": "other", "trakt-api-version": "2"}
        assert httpx.get(url, headers=wrong).status_code == 401
        good = {"trakt-api-key": "cid", "trakt-api-version": "2"}
        assert httpx.get(url, headers=good).status_code == 200
        device = f"{up.trakt_url}/oauth/device/code"
        assert httpx.post(device, json={"client_id": "nope"}).status_code == 401
        assert httpx.post(device, json={"client_id": "cid"}).status_code == 200


def test_stats_count_requests_per_route_and_statuses(catalogue: SyntheticCatalogue) -> None:
    with start_fake_upstream(catalogue) as running, httpx.Client(base_url=running.base_url) as c:
        c.get("/tmdb/3/configuration")
        c.get("/tmdb/3/movie/popular", params={"page": 0})
        c.get("/yts-mirror2/api/v2/list_movies.json")
        c.get("/trakt/lists/trending")
        snapshot = running.stats.snapshot()
        assert snapshot["requests"] == {
            "tmdb.configuration": 1,
            "tmdb.popular": 1,
            "yts-mirror2.list_movies": 1,
            "trakt.lists": 1,
        }
        assert snapshot["statuses"] == {200: 3, 400: 1}
        assert snapshot["faults"] == {}
        running.stats.reset()
        assert running.stats.total_requests == 0


def test_dirty_records_are_served_as_html_or_garbage_with_status_200() -> None:
    cat = SyntheticCatalogue(600, seed=8, dirty_rate=0.2)
    by_kind: dict[str, list[tuple[int, str | None]]] = {}
    for record in cat.dirty_ids():
        by_kind.setdefault(record.kind, []).append((record.tmdb_id, record.imdb_id))
    with start_fake_upstream(cat) as running, httpx.Client(base_url=running.base_url) as c:
        tmdb_id, _ = by_kind["tmdb_html"][0]
        page = c.get(f"/tmdb/3/movie/{tmdb_id}", params=DETAILS)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        _, imdb_id = by_kind["yts_html"][0]
        page = c.get("/yts/api/v2/list_movies.json", params={"query_term": imdb_id})
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        tmdb_id, _ = by_kind["tmdb_runtime_type"][0]
        assert c.get(f"/tmdb/3/movie/{tmdb_id}").json()["runtime"] == "abc"
        _, imdb_id = by_kind["yts_size_negative"][0]
        data = c.get("/yts/api/v2/list_movies.json", params={"query_term": imdb_id}).json()
        assert data["data"]["movies"][0]["torrents"][0]["size_bytes"] == -5
