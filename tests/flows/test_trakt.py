"""The Trakt ingest against the fake Trakt: per-user landing and staging, TMDB mapping with
IMDb fallback and quarantine, incremental runs, faults, and no token anywhere on disk."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator

import pytest

from core.appdb import AppDatabase, now_iso
from core.settings import Settings
from core.trakt import TraktClient, TraktError
from flows.trakt import run_trakt, watermarks
from sandbox.catalogue import SyntheticCatalogue
from sandbox.fake_upstream import RunningUpstream, UpstreamConfig, start_fake_upstream
from sandbox.faults import FaultConfig
from tests.helpers.trakt import (
    CLIENT_ID,
    CLIENT_SECRET,
    build_catalogue_warehouse,
    every_file_bytes,
    fake_trakt,
    link_user,
    scaled_client,
)
from warehouse.db import open_warehouse

CATALOGUE = SyntheticCatalogue(120, seed=7, shows=12)


@pytest.fixture(scope="module")
def upstream() -> Iterator[RunningUpstream]:
    config = UpstreamConfig(catalogue=CATALOGUE, trakt_client_id=CLIENT_ID)
    with start_fake_upstream(config) as running:
        trakt = fake_trakt(running)
        trakt.auth.device_interval = 0
        trakt.libraries.post_interval_s = 0.0
        yield running


@pytest.fixture
def trakt_settings(settings: Settings, upstream: RunningUpstream) -> Settings:
    from pydantic import SecretStr

    upstream.upstream.set_faults(FaultConfig())
    return settings.model_copy(
        update={
            "trakt_url": f"{upstream.base_url}/trakt",
            "trakt_client_id": SecretStr(CLIENT_ID),
            "trakt_client_secret": SecretStr(CLIENT_SECRET),
        }
    )


@pytest.fixture
def client(trakt_settings: Settings) -> Iterator[TraktClient]:
    with scaled_client(trakt_settings) as made:
        yield made


def _users(settings: Settings, *emails: str) -> list[int]:
    db = AppDatabase(settings.app_db_path)
    db.migrate()
    try:
        con = db.connection()
        return [
            int(con.execute(
                "INSERT INTO users (email, password_hash, created_at) VALUES (?, 'x', ?)",
                (email, now_iso()),
            ).lastrowid or 0)
            for email in emails
        ]  # fmt: skip
    finally:
        db.close()


@pytest.fixture
def linked(
    trakt_settings: Settings,
    upstream: RunningUpstream,
    client: TraktClient,
    request: pytest.FixtureRequest,
) -> tuple[int, int]:
    build_catalogue_warehouse(trakt_settings, CATALOGUE)
    a, b = _users(trakt_settings, "a@example.test", "b@example.test")
    tag = request.node.name
    link_user(trakt_settings, upstream, client, a, f"anna-{tag}")
    link_user(trakt_settings, upstream, client, b, f"bert-{tag}")
    return a, b


def _rows(settings: Settings, sql: str, params: list[object] | None = None) -> list[tuple]:
    con = open_warehouse(settings, read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def _app(settings: Settings, sql: str, params: tuple = ()) -> list[sqlite3.Row]:
    con = sqlite3.connect(settings.app_db_path)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def test_ingest_lands_and_stages_each_users_library_by_user_id(
    trakt_settings: Settings, linked: tuple[int, int], client: TraktClient
) -> None:
    a, b = linked
    summary = run_trakt(trakt_settings, client=client)
    assert summary["users"] == 2 and summary["failed_users"] == {}
    for table in ("raw_trakt_watchlist", "raw_trakt_history", "raw_trakt_playback",
                  "raw_trakt_ratings", "raw_trakt_activities"):  # fmt: skip
        users = {r[0] for r in _rows(trakt_settings, f"SELECT DISTINCT user_id FROM {table}")}
        assert users == {a, b}, table
    watch = _rows(trakt_settings, "SELECT user_id, tmdb_id, mapped_by FROM stg_trakt__watchlist")
    assert {r[2] for r in watch} == {"tmdb", "imdb"}  # one item per user has no ids.tmdb
    assert all(CATALOGUE.exists(r[1]) for r in watch)
    per_user = {u: {r[1] for r in watch if r[0] == u} for u in (a, b)}
    assert per_user[a] and per_user[b] and per_user[a] != per_user[b]


def test_unmatched_titles_are_quarantined_with_a_reason(
    trakt_settings: Settings, linked: tuple[int, int], client: TraktClient
) -> None:
    summary = run_trakt(trakt_settings, client=client)
    reasons = _rows(
        trakt_settings,
        "SELECT source_table, reason FROM quarantine WHERE run_id = ?",
        [summary["run_id"]],
    )
    assert (
        "raw_trakt_watchlist",
        "unmatched: no catalogue movie with tmdb None or imdb tt0000001",
    ) in reasons
    # Episodes of shows the catalogue lacks are quarantined, never mapped to a movie id.
    assert any(t == "raw_trakt_history" and "catalogue show" in r for t, r in reasons)
    episodes = _rows(
        trakt_settings, "SELECT count(*) FROM stg_trakt__history WHERE kind = 'episode'"
    )
    assert episodes == [(0,)]


def test_watchlist_and_playback_are_written_back_per_user(
    trakt_settings: Settings, linked: tuple[int, int], client: TraktClient
) -> None:
    a, b = linked
    run_trakt(trakt_settings, client=client)
    wl = _app(trakt_settings, "SELECT user_id, tmdb_id FROM trakt_watchlist")
    assert {r[0] for r in wl} == {a, b}
    staged = _rows(trakt_settings, "SELECT user_id, tmdb_id FROM stg_trakt__watchlist")
    assert sorted(wl) == sorted(staged)
    progress = _app(
        trakt_settings, "SELECT user_id, tmdb_id, position_s, duration_s FROM watch_progress"
    )
    playback = _rows(trakt_settings, "SELECT user_id, tmdb_id, progress FROM stg_trakt__playback")
    assert {(r[0], r[1]) for r in progress} == {(r[0], r[1]) for r in playback}
    share = {(r[0], r[1]): r[2] / r[3] * 100 for r in progress}
    for user, tmdb, pct in playback:
        assert share[(user, tmdb)] == pytest.approx(pct, abs=0.01)


def test_a_second_run_fetches_only_what_changed(
    trakt_settings: Settings,
    linked: tuple[int, int],
    client: TraktClient,
    upstream: RunningUpstream,
) -> None:
    a, _b = linked
    run_trakt(trakt_settings, client=client)
    stats = upstream.upstream.stats
    before = stats.snapshot()["requests"].get("trakt.sync", 0)
    run_trakt(trakt_settings, user_id=a, client=client)
    assert stats.snapshot()["requests"].get("trakt.sync", 0) == before  # activities only
    tmdb_id = CATALOGUE.tmdb_ids[0]
    token_owner = _app(trakt_settings, "SELECT activities FROM trakt_links WHERE user_id = ?", (a,))
    assert "playback" in token_owner[0][0]
    # Something changes on Trakt (a pause from another player): only playback is fetched.
    username = "anna-test_a_second_run_fetches_only_what_changed"
    lib = fake_trakt(upstream).libraries.library(username)
    later = "2099-01-01T00:00:00.000Z"
    movie = {"ids": {"tmdb": tmdb_id, "trakt": 1}}
    lib.playback.append(
        {"id": lib.next_id(), "progress": 55.0, "paused_at": later, "type": "movie", "movie": movie}
    )
    lib.activity["paused"] = later
    run_trakt(trakt_settings, user_id=a, client=client)
    assert stats.snapshot()["requests"].get("trakt.sync", 0) == before + 1
    row = _app(
        trakt_settings,
        "SELECT position_s / duration_s FROM watch_progress WHERE user_id = ? AND tmdb_id = ?",
        (a, tmdb_id),
    )
    assert row and row[0][0] == pytest.approx(0.55)


def test_rate_limits_and_server_errors_during_ingest_lose_nothing(
    trakt_settings: Settings,
    linked: tuple[int, int],
    client: TraktClient,
    upstream: RunningUpstream,
) -> None:
    upstream.upstream.set_faults(
        FaultConfig(error_rate=0.2, rate_limit_burst_every=5, rate_limit_burst_len=1,
                    retry_after_s=0, seed=3)
    )  # fmt: skip
    run_trakt(trakt_settings, client=client)
    faulted = upstream.upstream.stats.snapshot()["faults"]
    upstream.upstream.set_faults(FaultConfig())
    assert faulted.get("rate_limited") and faulted.get("server_error")
    clean = open_warehouse(trakt_settings, read_only=True)
    try:
        got = clean.execute(
            "SELECT user_id, tmdb_id FROM stg_trakt__watchlist ORDER BY 1, 2"
        ).fetchall()
    finally:
        clean.close()
    assert len(got) == 8  # 4 matched watchlist movies for each of the two users


def test_a_run_while_trakt_is_down_keeps_the_watermark_and_the_next_one_catches_up(
    trakt_settings: Settings,
    linked: tuple[int, int],
    client: TraktClient,
    upstream: RunningUpstream,
) -> None:
    upstream.upstream.set_faults(FaultConfig(error_rate=1.0))
    down = run_trakt(trakt_settings, client=client)
    upstream.upstream.set_faults(FaultConfig())
    assert set(down["failed_users"]) == set(linked)
    assert _app(trakt_settings, "SELECT activities FROM trakt_links") == [("{}",), ("{}",)]
    up = run_trakt(trakt_settings, client=client)
    assert up["failed_users"] == {} and up["staged"]["stg_trakt__watchlist"] == 8


def test_unlinked_users_data_leaves_the_warehouse(
    trakt_settings: Settings, linked: tuple[int, int], client: TraktClient
) -> None:
    a, b = linked
    run_trakt(trakt_settings, client=client)
    con = sqlite3.connect(trakt_settings.app_db_path)
    con.execute("DELETE FROM trakt_links WHERE user_id = ?", (b,))
    con.commit()
    con.close()
    run_trakt(trakt_settings, client=client)
    for table in ("raw_trakt_history", "stg_trakt__history", "stg_trakt__watchlist"):
        assert {r[0] for r in _rows(trakt_settings, f"SELECT DISTINCT user_id FROM {table}")} == {a}


def test_no_token_is_written_to_any_file_or_log(
    trakt_settings: Settings,
    linked: tuple[int, int],
    client: TraktClient,
    upstream: RunningUpstream,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    run_trakt(trakt_settings, client=client)
    auth = fake_trakt(upstream).auth
    secrets = [t for t in (*auth.access, *auth.refresh)]
    assert secrets
    blob = every_file_bytes(trakt_settings.data_dir)
    assert all(s.encode() not in blob for s in secrets)
    assert all(s not in caplog.text for s in secrets)


def test_watermarks_take_each_sections_newest_activity() -> None:
    jan1, jan2, mar1 = (
        "2025-01-01T00:00:00.000Z",
        "2025-01-02T00:00:00.000Z",
        "2025-03-01T00:00:00.000Z",
    )
    acts = {"movies": {"watched_at": jan2, "paused_at": jan1}, "episodes": {"watched_at": mar1}}
    assert watermarks(acts) == {"history": mar1, "playback": jan1}


@pytest.mark.parametrize("hostile", [None, [], "x"])
def test_last_activities_that_is_not_an_object_is_refused(hostile: object) -> None:
    with pytest.raises(TraktError):
        watermarks(hostile)


@pytest.mark.parametrize(
    "odd",
    [{"movies": "nope"}, {"movies": {"watched_at": 5}}, {"movies": {"watched_at": "x" * 500}}],
)
def test_odd_last_activities_fields_give_no_watermark(odd: dict[str, object]) -> None:
    assert watermarks(odd) == {}


def test_key_rotation_reseals_the_tokens_and_the_ingest_goes_on(
    trakt_settings: Settings, upstream: RunningUpstream, client: TraktClient
) -> None:
    from pydantic import SecretStr

    from core.crypto import Keyring, load_or_create_master_key
    from miauflix.key_rotation import prune_keys, rotate_keys

    settings = trakt_settings.model_copy(update={"secret_key": SecretStr("")})
    load_or_create_master_key(settings.key_path)
    (uid,) = _users(settings, "rotor@example.test")
    link_user(settings, upstream, client, uid, "rotor")
    before = _app(settings, "SELECT value_enc FROM user_secrets WHERE user_id = ?", (uid,))
    summary = rotate_keys(settings)
    assert summary.app_secrets == 2  # access and refresh token
    after = _app(settings, "SELECT value_enc FROM user_secrets WHERE user_id = ?", (uid,))
    assert all(bytes(a[0])[2:6] == bytes.fromhex(summary.new_key_id) for a in after)
    assert {bytes(a[0]) for a in after}.isdisjoint(bytes(b[0]) for b in before)
    prune_keys(settings)
    assert Keyring.load(settings.key_path).key_ids() == [bytes.fromhex(summary.new_key_id)]
    build_catalogue_warehouse(settings, CATALOGUE)
    assert run_trakt(settings, client=client)["failed_users"] == {}


def test_episodes_map_to_their_show_and_their_progress_is_merged(
    trakt_settings: Settings, linked: tuple[int, int], client: TraktClient
) -> None:
    a, _b = linked
    con = open_warehouse(trakt_settings)
    try:
        for tv_id in CATALOGUE.tv_ids:
            con.execute(
                "INSERT INTO mart_shows (tmdb_id, imdb_id, name, source_count, fetched_at)"
                " VALUES (?, ?, 'Show', 1, now())",
                [tv_id, CATALOGUE.show_imdb_id(tv_id)],
            )
            season = CATALOGUE.tv_season(tv_id, 1) or {"episodes": []}
            for ep in season["episodes"]:
                con.execute(
                    "INSERT INTO mart_episodes (show_id, season_number, episode_number,"
                    " runtime_min, source_count) VALUES (?, 1, ?, 42, 1)",
                    [tv_id, ep["episode_number"]],
                )
    finally:
        con.close()
    run_trakt(trakt_settings, client=client)
    history = _rows(trakt_settings, "SELECT user_id, tmdb_id, season, episode FROM"
                    " stg_trakt__history WHERE kind = 'episode'")  # fmt: skip
    assert history and all(CATALOGUE.tv_show(r[1]) for r in history)
    rows = _app(trakt_settings, "SELECT tmdb_id, season, episode, position_s, duration_s FROM"
                " watch_progress WHERE user_id = ? AND kind = 'episode'", (a,))  # fmt: skip
    assert len(rows) == 1 and rows[0][4] == 42 * 60
    assert rows[0][3] == pytest.approx(0.425 * 42 * 60)


def test_a_run_with_nobody_linked_touches_nothing_but_forgets_old_rows(
    trakt_settings: Settings, linked: tuple[int, int], client: TraktClient
) -> None:
    run_trakt(trakt_settings, client=client)
    con = sqlite3.connect(trakt_settings.app_db_path)
    con.execute("DELETE FROM trakt_links")
    con.commit()
    con.close()
    summary = run_trakt(trakt_settings, client=client)
    assert summary["users"] == 0 and summary["forgotten_rows"] > 0
    assert _rows(trakt_settings, "SELECT count(*) FROM stg_trakt__watchlist") == [(0,)]
