"""SyntheticCatalogue: determinism, size, spreads, lists, YTS records, dirt, injected torrents."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter
from datetime import date

import pytest

from sandbox.catalogue import (
    MAX_PAGE,
    PAGE_SIZE,
    TMDB_DIRTY_KINDS,
    YTS_DIRTY_KINDS,
    DirtyRecord,
    SyntheticCatalogue,
)
from sandbox.errors import CatalogueError, SandboxError
from sandbox.yts_records import torrent_record

HASH_RE = re.compile(r"^[0-9A-F]{40}$")
IMDB_RE = re.compile(r"^tt\d{7,8}$")
QUALITIES = {"480p", "720p", "1080p", "2160p", "3D"}


@pytest.fixture(scope="module")
def cat() -> SyntheticCatalogue:
    return SyntheticCatalogue(2000, seed=7)


def _yts_ids(cat: SyntheticCatalogue) -> list[str]:
    return [i for i in map(cat.imdb_id_of, cat.tmdb_ids) if i and cat.yts_torrents(i)]


# --- construction and size ------------------------------------------------------------------
@pytest.mark.parametrize("movies", [10, 100_000])
def test_constructs_at_both_size_bounds_with_exact_counts(movies: int) -> None:
    cat = SyntheticCatalogue(movies)
    assert len(cat.tmdb_ids) == movies
    assert len(set(cat.tmdb_ids)) == movies
    assert 1 <= len(cat.missing_ids) <= max(1, movies // 50)
    assert not set(cat.missing_ids) & set(cat.tmdb_ids)


@pytest.mark.parametrize("movies", [9, 100_001, 0, -5])
def test_rejects_sizes_outside_10_to_100000(movies: int) -> None:
    with pytest.raises(CatalogueError, match=str(movies)):
        SyntheticCatalogue(movies)


@pytest.mark.parametrize("movies", [True, 20.0, "200", None])
def test_rejects_non_integer_sizes(movies: object) -> None:
    with pytest.raises(CatalogueError):
        SyntheticCatalogue(movies)  # type: ignore[arg-type]


@pytest.mark.parametrize("rate", [-0.01, 1.01, float("nan")])
def test_rejects_dirty_rate_outside_0_to_1(rate: float) -> None:
    with pytest.raises(CatalogueError):
        SyntheticCatalogue(10, dirty_rate=rate)


def test_catalogue_errors_belong_to_the_project_tree() -> None:
    assert issubclass(CatalogueError, SandboxError)
    from core.errors import MiauflixError

    assert issubclass(SandboxError, MiauflixError)


def test_ids_are_spread_out_like_real_tmdb_ids(cat: SyntheticCatalogue) -> None:
    assert cat.tmdb_ids != list(range(1, len(cat.tmdb_ids) + 1))
    assert max(cat.tmdb_ids) > 100_000
    assert min(cat.tmdb_ids) >= 2


# --- determinism ---------------------------------------------------------------------------
def test_same_seed_gives_identical_bodies() -> None:
    a, b = SyntheticCatalogue(300, seed=11), SyntheticCatalogue(300, seed=11)
    assert a.tmdb_ids == b.tmdb_ids and a.missing_ids == b.missing_ids
    for tmdb_id in a.tmdb_ids[:25]:
        assert json.dumps(a.movie(tmdb_id, "es")) == json.dumps(b.movie(tmdb_id, "es"))
        imdb_id = a.imdb_id_of(tmdb_id)
        if imdb_id:
            assert a.yts_movie(imdb_id) == b.yts_movie(imdb_id)
    assert a.list_page("popular", 3) == b.list_page("popular", 3)
    assert a.list_page("trending_week", 2) == b.list_page("trending_week", 2)


def test_bodies_are_identical_across_processes_and_hash_seeds() -> None:
    script = (
        "import hashlib, json; from sandbox.catalogue import SyntheticCatalogue as C; "
        "c = C(200, seed=5, dirty_rate=0.1); i = c.tmdb_ids[:20]; "
        "body = [c.movie(t, 'es') for t in i] + [c.yts_movie(c.imdb_id_of(t) or '') for t in i]"
        " + [c.list_page('trending_day', 2), c.tv_show(c.tv_ids[0]), c.dirty_ids()]; "
        "print(hashlib.sha256(json.dumps(body).encode()).hexdigest())"
    )
    digests = {
        subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
            env={**os.environ, "PYTHONHASHSEED": hash_seed},
        ).stdout
        for hash_seed in ("1", "2")
    }
    assert len(digests) == 1 and len(digests.pop().strip()) == 64


def test_different_seeds_give_different_catalogues() -> None:
    a, b = SyntheticCatalogue(300, seed=1), SyntheticCatalogue(300, seed=2)
    assert a.tmdb_ids != b.tmdb_ids
    assert a.list_page("popular", 1) != b.list_page("popular", 1)


def test_a_record_does_not_depend_on_what_was_asked_before() -> None:
    a, b = SyntheticCatalogue(300, seed=3), SyntheticCatalogue(300, seed=3)
    target = a.tmdb_ids[10]
    for other in b.tmdb_ids[:40]:
        b.movie(other)
    b.list_page("top_rated", 1)
    assert a.movie(target) == b.movie(target)


# --- TMDB details --------------------------------------------------------------------------
def test_details_carry_translations_images_and_external_ids(cat: SyntheticCatalogue) -> None:
    body = cat.movie(cat.tmdb_ids[0])
    assert body is not None
    assert body["id"] == cat.tmdb_ids[0]
    assert set(body["images"]) == {"backdrops", "logos", "posters"}
    translations = body["translations"]["translations"]
    assert translations[0]["iso_639_1"] == "en"
    assert len({t["iso_639_1"] for t in translations}) >= 3
    assert body["external_ids"]["imdb_id"] == body["imdb_id"]
    assert isinstance(body["runtime"], int) and 70 <= body["runtime"] <= 190
    assert all(g["id"] in {28, 12, 16, 35, 80, 99, 18, 10751, 14, 36, 27, 10402, 9648, 10749,
                           878, 10770, 53, 10752, 37} for g in body["genres"])  # fmt: skip


def test_details_are_localized_for_spanish(cat: SyntheticCatalogue) -> None:
    localized = 0
    for tmdb_id in cat.tmdb_ids[:60]:
        en, es = cat.movie(tmdb_id, "en"), cat.movie(tmdb_id, "es-ES")
        assert en is not None and es is not None
        spanish = [t for t in es["translations"]["translations"] if t["iso_639_1"] == "es"]
        spanish.sort(key=lambda t: t["iso_3166_1"] != "ES")  # the region asked for wins
        if spanish:
            expected = spanish[0]["data"]["title"] or es["original_title"]
            assert es["title"] == expected
            assert es["overview"] == spanish[0]["data"]["overview"]
            localized += expected != en["title"]
        else:
            assert es["title"] == es["original_title"] and es["overview"] == ""
        assert {g["id"] for g in en["genres"]} == {g["id"] for g in es["genres"]}
    assert localized > 5


def test_missing_and_unknown_ids_have_no_details(cat: SyntheticCatalogue) -> None:
    for tmdb_id in [*cat.missing_ids, 0, -1, 10**12]:
        assert cat.movie(tmdb_id) is None
        assert not cat.exists(tmdb_id)


def test_about_one_percent_of_list_entries_are_deleted_ids() -> None:
    cat = SyntheticCatalogue(5000)
    listed = [r["id"] for page in range(1, 30) for r in cat.list_page("popular", page)["results"]]
    missing = set(cat.missing_ids)
    assert len(cat.missing_ids) == 50
    assert 0 < sum(i in missing for i in listed) < len(listed) * 0.05


def test_about_three_percent_have_no_imdb_id(cat: SyntheticCatalogue) -> None:
    without = [i for i in cat.tmdb_ids if cat.imdb_id_of(i) is None]
    assert 0.01 * len(cat.tmdb_ids) < len(without) < 0.06 * len(cat.tmdb_ids)
    body = cat.movie(without[0])
    assert body is not None and body["imdb_id"] is None and body["external_ids"]["imdb_id"] is None


def test_imdb_ids_are_unique_well_formed_and_reversible(cat: SyntheticCatalogue) -> None:
    pairs = [(i, cat.imdb_id_of(i)) for i in cat.tmdb_ids]
    imdb_ids = [imdb for _, imdb in pairs if imdb]
    assert len(set(imdb_ids)) == len(imdb_ids)
    assert all(IMDB_RE.match(imdb) for imdb in imdb_ids)
    assert all(cat.tmdb_id_of(imdb) == tmdb_id for tmdb_id, imdb in pairs if imdb)


@pytest.mark.parametrize(
    "hostile", ["", "tt", "tt0", "nm0000001", "tt99999999999", "TT", " ", "tt1234567\x00", "💥"]
)
def test_unknown_or_malformed_imdb_ids_resolve_to_nothing(
    cat: SyntheticCatalogue, hostile: str
) -> None:
    assert cat.tmdb_id_of(hostile) is None
    assert cat.yts_torrents(hostile) == []
    assert cat.yts_movie(hostile) is None


# --- lists ---------------------------------------------------------------------------------
def test_popular_is_ordered_by_popularity_and_covers_every_movie() -> None:
    cat = SyntheticCatalogue(500)
    pages = [cat.list_page("popular", p) for p in range(1, 27)]
    assert pages[0]["total_pages"] == 26 and pages[0]["total_results"] == 505
    ids = [r["id"] for page in pages for r in page["results"]]
    assert sorted(ids) == sorted(cat.tmdb_ids + cat.missing_ids)
    popularity = [r["popularity"] for page in pages for r in page["results"]]
    assert popularity == sorted(popularity, reverse=True)


def test_top_rated_is_ordered_by_vote_average(cat: SyntheticCatalogue) -> None:
    votes = [r["vote_average"] for p in (1, 2, 3) for r in cat.list_page("top_rated", p)["results"]]
    assert votes == sorted(votes, reverse=True)
    assert votes[0] > votes[-1] or len(set(votes)) == 1


def test_trending_is_a_seeded_shuffle_distinct_per_window(cat: SyntheticCatalogue) -> None:
    day = [r["id"] for r in cat.list_page("trending_day", 1)["results"]]
    week = [r["id"] for r in cat.list_page("trending_week", 1)["results"]]
    popular = [r["id"] for r in cat.list_page("popular", 1)["results"]]
    assert day != week and day != popular
    assert cat.list_page("trending", 1) == cat.list_page("trending_day", 1)
    assert all(r["media_type"] == "movie" for r in cat.list_page("trending_week", 1)["results"])


def test_list_results_have_the_real_keys_and_match_details(cat: SyntheticCatalogue) -> None:
    page = cat.list_page("now_playing", 1)
    assert set(page) == {"dates", "page", "results", "total_pages", "total_results"}
    for result in page["results"]:
        assert set(result) == {
            "adult", "backdrop_path", "genre_ids", "id", "original_language", "original_title",
            "overview", "popularity", "poster_path", "release_date", "title", "video",
            "vote_average", "vote_count",
        }  # fmt: skip
        details = cat.movie(result["id"])
        if details is not None:
            for key in ("title", "popularity", "vote_average", "release_date", "poster_path"):
                assert details[key] == result[key]
            assert [g["id"] for g in details["genres"]] == result["genre_ids"]


def test_page_sizes_last_page_and_beyond() -> None:
    cat = SyntheticCatalogue(45)  # 45 + 1 missing = 46 entries -> 3 pages: 20, 20, 6
    assert [len(cat.list_page("popular", p)["results"]) for p in (1, 2, 3, 4)] == [20, 20, 6, 0]
    assert cat.list_page("popular", 4)["total_pages"] == 3


def test_total_pages_is_capped_at_500() -> None:
    cat = SyntheticCatalogue(100_000)
    page = cat.list_page("popular", MAX_PAGE)
    assert page["total_pages"] == MAX_PAGE
    assert page["total_results"] == 101_000
    assert len(page["results"]) == PAGE_SIZE


@pytest.mark.parametrize("page", [0, -1, 501])
def test_list_page_rejects_pages_outside_1_to_500(cat: SyntheticCatalogue, page: int) -> None:
    with pytest.raises(CatalogueError, match=str(page)):
        cat.list_page("popular", page)


def test_list_page_rejects_unknown_lists(cat: SyntheticCatalogue) -> None:
    with pytest.raises(CatalogueError, match="latest"):
        cat.list_page("latest", 1)


def test_genres_have_real_ids_and_spanish_names(cat: SyntheticCatalogue) -> None:
    en = {g["id"]: g["name"] for g in cat.genres("en")["genres"]}
    es = {g["id"]: g["name"] for g in cat.genres("es")["genres"]}
    assert en[878] == "Science Fiction" and es[878] == "Ciencia ficción"
    assert en.keys() == es.keys() and len(en) == 19
    assert cat.genres("xx") == cat.genres("en")


def test_changes_are_paged_by_100_and_grow_with_the_window(cat: SyntheticCatalogue) -> None:
    one = cat.changes(date(2025, 5, 1), date(2025, 5, 1), 1)
    week = cat.changes(date(2025, 5, 1), date(2025, 5, 7), 1)
    assert 0 < one["total_results"] < week["total_results"]
    assert len(week["results"]) == min(100, week["total_results"])
    assert all(set(r) == {"id", "adult"} for r in week["results"])


# --- YTS -----------------------------------------------------------------------------------
def test_about_ten_percent_of_movies_have_no_torrents(cat: SyntheticCatalogue) -> None:
    with_imdb = [i for i in map(cat.imdb_id_of, cat.tmdb_ids) if i]
    without = [i for i in with_imdb if not cat.yts_torrents(i)]
    assert 0.05 * len(with_imdb) < len(without) < 0.16 * len(with_imdb)
    assert cat.yts_movie(without[0]) is None


def test_torrent_spreads_are_realistic(cat: SyntheticCatalogue) -> None:
    torrents = [t for imdb in _yts_ids(cat)[:600] for t in cat.yts_torrents(imdb)]
    per_movie = Counter(len(cat.yts_torrents(imdb)) for imdb in _yts_ids(cat)[:600])
    assert min(per_movie) >= 1 and max(per_movie) <= 6 and len(per_movie) >= 4
    assert {t["quality"] for t in torrents} == QUALITIES
    assert {t["video_codec"] for t in torrents} == {"x264", "x265"}
    assert {t["type"] for t in torrents} == {"bluray", "web"}
    assert {t["bit_depth"] for t in torrents} == {"8", "10"}
    assert {t["audio_channels"] for t in torrents} == {"2.0", "5.1", "7.1"}
    assert {t["is_repack"] for t in torrents} == {"0", "1"}
    seeds = [t["seeds"] for t in torrents]
    assert min(seeds) == 0 and max(seeds) > 1000 and sorted(seeds)[len(seeds) // 2] < 100
    for t in torrents:
        assert HASH_RE.match(t["hash"])
        assert t["url"] == f"https://yts.mx/torrent/download/{t['hash']}"
        assert 100 * 2**20 < t["size_bytes"] < 40 * 2**30
        assert t["date_uploaded_unix"] > 1_293_000_000


def test_sizes_grow_with_quality(cat: SyntheticCatalogue) -> None:
    by_quality: dict[str, list[int]] = {}
    for imdb in _yts_ids(cat)[:600]:
        for t in cat.yts_torrents(imdb):
            by_quality.setdefault(t["quality"], []).append(t["size_bytes"])
    median = {q: sorted(v)[len(v) // 2] for q, v in by_quality.items()}
    assert median["480p"] < median["720p"] < median["1080p"] < median["2160p"]


def test_yts_movie_uses_the_given_base_url_and_tmdb_title(cat: SyntheticCatalogue) -> None:
    imdb = _yts_ids(cat)[0]
    movie = cat.yts_movie(imdb, "http://127.0.0.1:9/yts-mirror2")
    assert movie is not None
    tmdb = cat.movie(cat.tmdb_id_of(imdb) or 0)
    assert tmdb is not None and movie["title"] == tmdb["title"]
    assert movie["imdb_code"] == imdb
    assert all(
        t["url"].startswith("http://127.0.0.1:9/yts-mirror2/torrent/download/")
        for t in movie["torrents"]
    )


def test_yts_search_by_title_words_and_quality(cat: SyntheticCatalogue) -> None:
    imdb = _yts_ids(cat)[3]
    title = cat.yts_movie(imdb)["title"]  # type: ignore[index]
    found = cat.yts_search(query_term=title.lower())
    assert cat.tmdb_id_of(imdb) in found
    uhd = cat.yts_search(quality="2160p")
    assert uhd and all(
        any(t["quality"] == "2160p" for t in cat.yts_torrents(cat.imdb_id_of(i) or ""))
        for i in uhd[:30]
    )
    assert cat.yts_search(query_term="zzzz-no-such-title") == []


def test_yts_search_sorts_and_orders(cat: SyntheticCatalogue) -> None:
    desc = cat.yts_search(sort_by="year")
    asc = cat.yts_search(sort_by="year", order_by="asc")
    assert desc == asc[::-1]
    years = [cat.yts_movie(cat.imdb_id_of(i) or "")["year"] for i in asc[:50]]  # type: ignore[index]
    assert years == sorted(years)
    with pytest.raises(CatalogueError):
        cat.yts_search(sort_by="; DROP TABLE")


# --- dirt ----------------------------------------------------------------------------------
def test_no_dirty_records_by_default(cat: SyntheticCatalogue) -> None:
    assert cat.dirty_ids() == []
    for imdb in _yts_ids(cat)[:300]:
        for t in cat.yts_torrents(imdb):
            assert isinstance(t["seeds"], int) and t["size_bytes"] > 0 and HASH_RE.match(t["hash"])
        hashes = [t["hash"] for t in cat.yts_torrents(imdb)]
        assert len(hashes) == len(set(hashes))
    for tmdb_id in cat.tmdb_ids[:300]:
        body = cat.movie(tmdb_id)
        assert body is not None and "id" in body and isinstance(body["runtime"], int)


def _shows_its_dirt(cat: SyntheticCatalogue, record: DirtyRecord) -> bool:
    body = cat.movie(record.tmdb_id)
    assert body is not None
    torrents = cat.yts_torrents(record.imdb_id) if record.imdb_id else []
    first = torrents[0] if torrents else {}
    kind = record.kind
    if kind == "tmdb_runtime_type":
        return body["runtime"] == "abc"
    if kind == "tmdb_missing_id":
        return "id" not in body
    if kind in ("tmdb_html", "yts_html"):
        return cat.dirty_kind(record.tmdb_id) == kind
    if kind == "yts_seeds_type":
        return first["seeds"] == "many"
    if kind == "yts_size_negative":
        return first["size_bytes"] == -5
    if kind == "yts_size_huge":
        return first["size_bytes"] == 10**16
    if kind == "yts_hash_short":
        return len(first["hash"]) == 39
    if kind == "yts_hash_nonhex":
        return HASH_RE.match(first["hash"]) is None
    if kind == "yts_duplicate_torrent":
        return len(torrents) >= 2 and torrents[-1] == first
    raise AssertionError(f"unknown dirty kind {kind}")


def test_dirty_records_match_what_dirty_ids_reports() -> None:
    cat = SyntheticCatalogue(3000, seed=5, dirty_rate=0.1)
    dirty = cat.dirty_ids()
    assert 150 < len(dirty) < 450
    kinds = Counter(d.kind for d in dirty)
    assert set(kinds) == set(TMDB_DIRTY_KINDS) | set(YTS_DIRTY_KINDS)
    for record in dirty:
        assert _shows_its_dirt(cat, record), record
        assert record.service == record.kind.split("_")[0]
    clean = set(cat.tmdb_ids) - {d.tmdb_id for d in dirty}
    for tmdb_id in sorted(clean)[:200]:
        body = cat.movie(tmdb_id)
        assert body is not None and isinstance(body["runtime"], int) and "id" in body


def test_demo_ids_are_stable_clean_and_have_imdb_ids() -> None:
    cat = SyntheticCatalogue(500, seed=9, dirty_rate=0.3)
    ids = cat.demo_imdb_ids(5)
    assert ids == SyntheticCatalogue(500, seed=9, dirty_rate=0.3).demo_imdb_ids(5)
    assert len(set(ids)) == 5
    dirty = {d.imdb_id for d in cat.dirty_ids()}
    assert all(cat.tmdb_id_of(i) is not None and i not in dirty for i in ids)
    with pytest.raises(CatalogueError):
        cat.demo_imdb_ids(10_000)


# --- injected torrents ---------------------------------------------------------------------
def test_extra_torrents_are_served_for_their_movie_with_file_bytes() -> None:
    base = SyntheticCatalogue(200, seed=4)
    imdb = base.demo_imdb_ids(1)[0]
    info_hash = "ab" * 20
    extra = torrent_record(info_hash, quality="1080p", seeds=1, size_bytes=5_000_000)
    del extra["url"]
    cat = SyntheticCatalogue(
        200,
        seed=4,
        extra_torrents={imdb: [extra]},
        torrent_files={info_hash: b"d4:infod4:name4:demoee"},
    )
    torrents = cat.yts_torrents(imdb, "http://h:1/yts")
    assert torrents[-1]["hash"] == info_hash.upper()
    assert torrents[-1]["url"] == f"http://h:1/yts/torrent/download/{info_hash.upper()}"
    assert (
        cat.torrent_file(info_hash)
        == cat.torrent_file(info_hash.upper())
        == (b"d4:infod4:name4:demoee")
    )
    assert cat.torrent_file("cd" * 20) is None


def test_extra_torrents_make_a_movie_without_torrents_appear_on_yts() -> None:
    cat = SyntheticCatalogue(500, seed=4)
    bare = next(i for i in map(cat.imdb_id_of, cat.tmdb_ids) if i and not cat.yts_torrents(i))
    before = len(cat.yts_search())
    cat.add_torrents(bare, [torrent_record("12" * 20)], files={"12" * 20: b"x"})
    assert [t["hash"] for t in cat.yts_torrents(bare)] == ["12" * 20]
    assert cat.yts_movie(bare) is not None
    assert len(cat.yts_search()) == before + 1
    assert cat.tmdb_id_of(bare) in cat.yts_search(quality="720p")


def test_extra_torrents_for_unknown_movies_or_without_hash_are_refused() -> None:
    cat = SyntheticCatalogue(50)
    with pytest.raises(CatalogueError, match="tt0000001"):
        cat.add_torrents("tt0000001", [torrent_record("ab" * 20)])
    imdb = cat.demo_imdb_ids(1)[0]
    with pytest.raises(CatalogueError, match="hash"):
        cat.add_torrents(imdb, [{"quality": "720p"}])


# --- TV --------------------------------------------------------------------------------------
def test_tv_shows_have_seasons_that_match_their_season_details(cat: SyntheticCatalogue) -> None:
    assert len(cat.tv_ids) == 200
    show = cat.tv_show(cat.tv_ids[0])
    assert show is not None and show["id"] == cat.tv_ids[0]
    assert show["number_of_seasons"] == len(show["seasons"])
    assert show["number_of_episodes"] == sum(s["episode_count"] for s in show["seasons"])
    for row in show["seasons"]:
        season = cat.tv_season(show["id"], row["season_number"])
        assert season is not None and len(season["episodes"]) == row["episode_count"]
        assert season["id"] == row["id"] and season["air_date"] == row["air_date"]
        assert [e["episode_number"] for e in season["episodes"]] == list(
            range(1, row["episode_count"] + 1)
        )
    last = show["last_episode_to_air"]
    final = cat.tv_season(show["id"], show["number_of_seasons"])
    assert final is not None and last["id"] == final["episodes"][-1]["id"]


def test_unknown_shows_and_seasons_are_none(cat: SyntheticCatalogue) -> None:
    show_id = cat.tv_ids[0]
    seasons = cat.tv_show(show_id)["number_of_seasons"]  # type: ignore[index]
    assert cat.tv_season(show_id, 0) is None
    assert cat.tv_season(show_id, seasons + 1) is None
    unknown = next(i for i in range(1, 10**6) if i not in set(cat.tv_ids))
    assert cat.tv_show(unknown) is None and cat.tv_season(unknown, 1) is None
    assert cat.tv_show(show_id) == SyntheticCatalogue(2000, seed=7).tv_show(show_id)
