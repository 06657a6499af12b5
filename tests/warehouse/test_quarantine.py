"""Quarantine: every kind of upstream garbage lands there with its reason; counts reconcile."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.warehouse.rawdata import (
    CONFIGURATION,
    RawWriter,
    genre_list,
    imdb_of,
    list_page,
    tmdb_movie,
    yts_envelope,
    yts_torrent,
)
from warehouse.reconcile import format_reconciliation, reconcile
from warehouse.transform import transform

GOOD, BAD = "a1" * 20, "b2" * 20


def _movie_with(raw: RawWriter, **torrent: Any) -> None:
    raw.movie(tmdb_movie(7, imdb_of(7)), 7)
    envelope = yts_envelope(imdb_of(7), [yts_torrent(GOOD), yts_torrent(BAD, **torrent)])
    raw.yts(envelope, imdb_of(7))


def _duplicate_hash(raw: RawWriter) -> None:
    raw.movie(tmdb_movie(7, imdb_of(7)), 7)
    raw.yts(yts_envelope(imdb_of(7), [yts_torrent(GOOD)]), imdb_of(7))
    raw.yts(yts_envelope(imdb_of(8), [yts_torrent(GOOD, quality="720p")]), imdb_of(8))


def _dangling_member(raw: RawWriter) -> None:
    raw.movie(tmdb_movie(1, None), 1)
    raw.list_page(list_page(1, [1, 99]), "top", 1)


Scenario = Callable[[RawWriter], None]
SCENARIOS: dict[str, tuple[Scenario, str, str]] = {
    # name: (what lands, raw table, expected reason prefix)
    "no response": (
        lambda r: r.movie("ReadTimeout: timed out after 10 s", 7, status=0),
        "raw_tmdb_movies",
        "fetch failed: no response: ReadTimeout",
    ),
    "server error": (
        lambda r: r.yts("<html>503 Service Unavailable</html>", imdb_of(7), status=503),
        "raw_yts_movies",
        "fetch failed: HTTP 503: <html>503",
    ),
    "rate limited": (
        lambda r: r.list_page('{"status_code": 25}', "popular", 1, status=429),
        "raw_tmdb_lists",
        "fetch failed: HTTP 429",
    ),
    "not found upstream": (
        lambda r: r.movie({"success": False, "status_code": 34}, 7, status=404),
        "raw_tmdb_movies",
        "not found upstream",
    ),
    "html body": (
        lambda r: r.movie("<!DOCTYPE html><title>Just a moment...</title>", 7),
        "raw_tmdb_movies",
        "malformed JSON: HTML body",
    ),
    "malformed json": (
        lambda r: r.genres('{"genres": [', "en"),
        "raw_tmdb_genres",
        "malformed JSON: ",
    ),
    "wrong type": (
        lambda r: r.movie(tmdb_movie(7, None, runtime="abc"), 7),
        "raw_tmdb_movies",
        "wrong type: runtime",
    ),
    "missing key": (
        lambda r: r.configuration({"images": {"secure_base_url": "https://x/"}}),
        "raw_tmdb_configuration",
        "missing key: images.poster_sizes",
    ),
    "size zero": (lambda r: _movie_with(r, size_bytes=0), "raw_yts_movies", "size_bytes <= 0"),
    "size absurd": (
        lambda r: _movie_with(r, size_bytes=5 * 10**12),
        "raw_yts_movies",
        "size_bytes > 1 TB",
    ),
    "bad hash": (
        lambda r: _movie_with(r, hash="not-a-hash"),
        "raw_yts_movies",
        "bad info_hash",
    ),
    "unknown quality": (
        lambda r: _movie_with(r, quality="8K"),
        "raw_yts_movies",
        "unknown quality",
    ),
    "negative seeds": (lambda r: _movie_with(r, seeds=-4), "raw_yts_movies", "seeds < 0"),
    "duplicate hash across movies": (
        _duplicate_hash,
        "raw_yts_movies",
        f"duplicate info_hash: already listed for {imdb_of(7)}",
    ),
    "list member not in movies": (
        _dangling_member,
        "raw_tmdb_lists",
        "list member not in movies: tmdb_id 99",
    ),
}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_garbage_is_quarantined_with_its_reason_and_counts_reconcile(
    raw: RawWriter, name: str
) -> None:
    land, table, reason = SCENARIOS[name]
    land(raw)
    raw.flush()
    summary = transform(raw.con, "run-1")
    rows = raw.con.execute("SELECT source_table, reason, payload FROM quarantine").fetchall()
    assert [(t, r[: len(reason)]) for t, r, _ in rows] == [(table, reason)]
    assert rows[0][2]  # the offending text is kept for inspection
    assert summary.reconciliation_ok, format_reconciliation(summary.reconciliation)


def test_mixed_garbage_reconciles_to_exact_counts(raw: RawWriter) -> None:
    raw.configuration(CONFIGURATION)
    raw.genres(genre_list([(18, "Drama"), (28, "Action")]), "en")
    raw.genres("<html></html>", "es")
    for tmdb_id in (1, 2, 3):
        raw.movie(tmdb_movie(tmdb_id, imdb_of(tmdb_id)), tmdb_id)
    raw.movie({"status_code": 34}, 4, status=404)
    raw.movie("timeout", 5, status=0)
    raw.list_page(list_page(1, [1, 2, 3, 4, 5]), "popular", 1)
    raw.yts(yts_envelope(imdb_of(1), [yts_torrent(GOOD), yts_torrent(BAD, seeds=-1)]), imdb_of(1))
    raw.yts(yts_envelope(imdb_of(2), [yts_torrent(GOOD)]), imdb_of(2))  # duplicate hash
    raw.yts(yts_envelope(imdb_of(3), None), imdb_of(3))  # YTS has no torrents
    raw.flush()
    summary = transform(raw.con, "run-1")
    got = {
        r.source_table: (
            r.landed,
            r.staged,
            r.quarantined,
            r.gone,
            r.records,
            r.records_staged,
            r.records_quarantined,
        )
        for r in summary.reconciliation
    }
    assert got == {
        "raw_tmdb_configuration": (1, 1, 0, 0, 1, 1, 0),
        "raw_tmdb_genres": (2, 1, 1, 0, 2, 2, 0),
        "raw_tmdb_movies": (5, 3, 1, 1, 3, 3, 0),
        "raw_tmdb_lists": (1, 1, 0, 0, 5, 3, 2),
        "raw_yts_movies": (3, 3, 0, 0, 3, 1, 2),
        # nothing landed for TV: every TV table reconciles at zero
        **dict.fromkeys(
            (
                "raw_tmdb_tv_genres",
                "raw_tmdb_tv_lists",
                "raw_tmdb_shows",
                "raw_tmdb_seasons",
                "raw_eztv_torrents",
            ),
            (0, 0, 0, 0, 0, 0, 0),
        ),
    }
    assert summary.reconciliation_ok
    assert summary.quarantined == {
        "list member not in movies": 2,
        "duplicate info_hash": 1,
        "fetch failed": 1,
        "malformed JSON": 1,
        "not found upstream": 1,
        "seeds < 0": 1,
    }
    assert summary.gone == 1


def test_retransforming_a_run_replaces_its_quarantine_rows(raw: RawWriter) -> None:
    raw.movie("<html>", 7)
    raw.flush()
    transform(raw.con, "run-1")
    transform(raw.con, "run-1")
    assert raw.con.execute("SELECT count(*) FROM quarantine").fetchone() == (1,)
    transform(raw.con, "run-2")
    assert raw.con.execute(
        "SELECT run_id, count(*) FROM quarantine GROUP BY 1 ORDER BY 1"
    ).fetchall() == [("run-1", 1), ("run-2", 1)]


def test_reconciliation_notices_a_record_that_went_missing(raw: RawWriter) -> None:
    raw.movie(tmdb_movie(7, imdb_of(7)), 7)
    raw.yts(yts_envelope(imdb_of(7), [yts_torrent(GOOD), yts_torrent(BAD)]), imdb_of(7))
    raw.flush()
    assert transform(raw.con, "run-1").reconciliation_ok
    raw.con.execute(f"DELETE FROM stg_yts__torrents WHERE info_hash = '{BAD}'")
    rows = {r.source_table: r for r in reconcile(raw.con, "run-1")}
    assert not rows["raw_yts_movies"].ok
    assert rows["raw_tmdb_movies"].ok


def test_reconciliation_notices_a_rejected_response_without_quarantine_row(
    raw: RawWriter,
) -> None:
    raw.movie("<html>", 7)
    raw.flush()
    transform(raw.con, "run-1")
    raw.con.execute("DELETE FROM quarantine")
    rows = {r.source_table: r for r in reconcile(raw.con, "run-1")}
    assert not rows["raw_tmdb_movies"].ok


@pytest.mark.parametrize(
    "payload",
    [
        None,
        "",
        "\x00\x01\x02",
        "{" * 5000,
        '{"id": 1e400}',
        '{"id": 7, "title": "x", "genres": [{"id": 99999999999999}]}',
        '{"id": 7, "title": "\\ud800"}',
        "[" + "1," * 10_000 + "1]",
    ],
)
def test_hostile_bodies_never_crash_the_transform(raw: RawWriter, payload: str | None) -> None:
    raw.movie(payload, 7)
    raw.yts(payload, imdb_of(7))
    raw.list_page(payload, "popular", 1)
    raw.flush()
    summary = transform(raw.con, "run-1")
    assert summary.reconciliation_ok
    assert sum(summary.quarantined.values()) == 3
