"""Staging from raw tables: types, renames, normalisation and dedup by latest fetch."""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb

from tests.warehouse.rawdata import (
    T0,
    RawWriter,
    imdb_of,
    list_page,
    tmdb_movie,
    yts_envelope,
    yts_torrent,
)
from warehouse.transform import transform

H1, H2, H3 = "a1" * 20, "b2" * 20, "c3" * 20


def _types(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    return {row[0]: row[1] for row in con.execute(f"DESCRIBE {table}").fetchall()}


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[object, ...]]:
    return con.execute(sql).fetchall()


def test_samples_stage_typed_and_renamed(sampled: RawWriter) -> None:
    con = sampled.con
    transform(con, "run-1")
    movies = _types(con, "stg_tmdb__movies")
    assert movies["tmdb_id"] == "BIGINT" and movies["release_date"] == "DATE"
    assert movies["runtime_min"] == "INTEGER" and movies["vote_average"] == "DOUBLE"
    assert _rows(
        con,
        "SELECT tmdb_id, imdb_id, year, runtime_min, language FROM stg_tmdb__movies "
        "WHERE tmdb_id = 550",
    ) == [(550, "tt0137523", 1999, 139, "en")]
    torrents = _types(con, "stg_yts__torrents")
    assert torrents["uploaded_at"] == "TIMESTAMP" and torrents["size_bytes"] == "BIGINT"
    assert _rows(
        con,
        "SELECT info_hash, tmdb_id, resolution, is_3d, source_type, video_codec, bit_depth, "
        "audio_channels, is_repack, uploaded_at FROM stg_yts__torrents "
        "WHERE imdb_id = 'tt0137523' AND quality = '1080p'",
    ) == [
        (
            "ff63e5b9da9d51209a99bf8269aab8e833d1be84",
            550,
            1080,
            False,
            "bluray",
            "x264",
            8,
            5.1,
            True,
            datetime(2021, 5, 18, 13, 52, 12),
        )
    ]


def test_samples_children_and_lookups(sampled: RawWriter) -> None:
    con = sampled.con
    transform(con, "run-1")
    # es-ES and es-MX are two translations; en-US has an empty title -> NULL, not "".
    assert _rows(
        con,
        "SELECT language, region, title FROM stg_tmdb__translations WHERE tmdb_id = 550 "
        "ORDER BY language, region",
    ) == [
        ("en", "US", None),
        ("es", "ES", "Querulous Wren"),
        ("es", "MX", "Querulous Wren"),
        ("it", "IT", None),
        ("lt", "LT", "Chief Cow"),
    ]
    assert _rows(
        con, "SELECT kind, count(*) FROM stg_tmdb__images WHERE tmdb_id = 550 GROUP BY 1 ORDER BY 1"
    ) == [("backdrop", 5), ("logo", 5), ("poster", 5)]
    assert _rows(con, "SELECT count(*), count(DISTINCT language) FROM stg_tmdb__genres") == [
        (38, 2)
    ]
    assert _rows(con, "SELECT image_base_url FROM stg_tmdb__config") == [
        ("https://image.tmdb.org/t/p/",)
    ]


def test_latest_fetch_wins_per_request_key(raw: RawWriter) -> None:
    raw.movie(tmdb_movie(7, None, title="Old title"), 7, fetched_at=T0)
    raw.movie(tmdb_movie(7, None, title="New title"), 7, fetched_at=T0 + timedelta(hours=1))
    raw.flush()
    transform(raw.con, "run-1")
    assert _rows(raw.con, "SELECT title FROM stg_tmdb__movies") == [("New title",)]
    assert _rows(raw.con, "SELECT attempts, stale FROM stg_raw_responses") == [(2, False)]


def test_a_newer_failed_fetch_does_not_erase_the_last_good_answer(raw: RawWriter) -> None:
    raw.movie(tmdb_movie(7, None, title="Good"), 7, fetched_at=T0)
    raw.movie("upstream timed out", 7, status=0, fetched_at=T0 + timedelta(hours=1))
    raw.movie("<html>502</html>", 7, status=502, fetched_at=T0 + timedelta(hours=2))
    raw.flush()
    summary = transform(raw.con, "run-1")
    assert _rows(raw.con, "SELECT title FROM stg_tmdb__movies") == [("Good",)]
    assert _rows(raw.con, "SELECT outcome, stale, attempts FROM stg_raw_responses") == [
        ("staged", True, 3)
    ]
    assert summary.stale_kept == 1
    assert summary.quarantined == {}


def test_a_newer_404_removes_the_movie(raw: RawWriter) -> None:
    raw.movie(tmdb_movie(7, None), 7, fetched_at=T0)
    raw.movie({"success": False, "status_code": 34}, 7, status=404, fetched_at=T0 + timedelta(1))
    raw.flush()
    summary = transform(raw.con, "run-1")
    assert _rows(raw.con, "SELECT count(*) FROM stg_tmdb__movies") == [(0,)]
    assert summary.gone == 1


def test_same_movie_in_two_languages_is_one_row_the_newest(raw: RawWriter) -> None:
    raw.add(
        "raw_tmdb_movies",
        "GET /3/movie/7?append_to_response=external_ids,images,translations&language=es",
        "7",
        tmdb_movie(7, None, title="Pelicula"),
        fetched_at=T0 + timedelta(minutes=5),
    )
    raw.movie(tmdb_movie(7, None, title="Movie"), 7, fetched_at=T0)
    raw.flush()
    summary = transform(raw.con, "run-1")
    assert _rows(raw.con, "SELECT title, language FROM stg_tmdb__movies") == [("Pelicula", "es")]
    movies = next(r for r in summary.reconciliation if r.source_table == "raw_tmdb_movies")
    assert (movies.records, movies.records_staged, movies.records_superseded) == (2, 1, 1)
    # Children come from the winning response only (no doubled genres).
    assert _rows(raw.con, "SELECT count(*) FROM stg_tmdb__movie_genres") == [(2,)]


def test_torrents_join_tmdb_by_imdb_and_normalise(raw: RawWriter) -> None:
    raw.movie(tmdb_movie(7, imdb_of(7)), 7)
    torrents = [
        yts_torrent(H1.upper(), "2160p", type="WEB", video_codec="HEVC", bit_depth="10"),
        yts_torrent(H2, "3D", type="", video_codec="", bit_depth="", audio_channels=""),
        yts_torrent(H3, "720p", date_uploaded_unix=None, date_uploaded="2020-01-02 03:04:05"),
    ]
    raw.yts(yts_envelope(imdb_of(7), torrents), imdb_of(7))
    raw.yts(yts_envelope(imdb_of(8), [yts_torrent("d4" * 20)]), imdb_of(8))
    raw.flush()
    summary = transform(raw.con, "run-1")
    assert _rows(
        raw.con,
        "SELECT info_hash, tmdb_id, resolution, is_3d, source_type, video_codec, bit_depth, "
        "audio_channels, uploaded_at FROM stg_yts__torrents ORDER BY info_hash",
    ) == [
        (H1, 7, 2160, False, "web", "x265", 10, 5.1, datetime(2024, 1, 2, 3, 4, 5)),
        (H2, 7, 1080, True, None, None, None, None, datetime(2024, 1, 2, 3, 4, 5)),
        (H3, 7, 720, False, "bluray", "x264", 8, 5.1, datetime(2020, 1, 2, 3, 4, 5)),
        ("d4" * 20, None, 1080, False, "bluray", "x264", 8, 5.1, datetime(2024, 1, 2, 3, 4, 5)),
    ]
    assert summary.sources_without_movie == 1
    assert _rows(raw.con, "SELECT count(*) FROM mart_sources") == [(3,)]


def test_duplicate_hash_owner_does_not_depend_on_fetch_order(raw: RawWriter) -> None:
    for tmdb_id in (9, 3, 5):  # landed out of order on purpose
        raw.movie(tmdb_movie(tmdb_id, imdb_of(tmdb_id)), tmdb_id)
        raw.yts(yts_envelope(imdb_of(tmdb_id), [yts_torrent(H1)]), imdb_of(tmdb_id))
    raw.flush()
    transform(raw.con, "run-1")
    assert _rows(raw.con, "SELECT imdb_id FROM stg_yts__torrents") == [(imdb_of(3),)]
    assert (
        sorted(_rows(raw.con, "SELECT reason FROM quarantine"))
        == [(f"duplicate info_hash: already listed for {imdb_of(3)}",)] * 2
    )


def test_list_member_seen_on_two_pages_keeps_its_best_position(raw: RawWriter) -> None:
    for tmdb_id in range(1, 41):
        raw.movie(tmdb_movie(tmdb_id, None), tmdb_id)
    page1 = list(range(1, 21))
    page2 = [20, *range(22, 41)]  # the list moved between the two fetches: 20 shows twice
    raw.list_page(list_page(1, page1), "popular", 1)
    raw.list_page(list_page(2, page2), "popular", 2)
    raw.flush()
    summary = transform(raw.con, "run-1")
    rows = _rows(raw.con, "SELECT position FROM stg_tmdb__list_members WHERE tmdb_id = 20")
    assert rows == [(20,)]
    lists = next(r for r in summary.reconciliation if r.source_table == "raw_tmdb_lists")
    assert (lists.records, lists.records_staged, lists.records_superseded) == (40, 39, 1)
