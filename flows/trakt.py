"""The Trakt ingest: for every linked user, land what changed on Trakt (watchlist, watched
history, playback progress, ratings) in ``raw_trakt_*``, rebuild ``stg_trakt__*``, check
them, and write the watchlist and the merged progress back to ``app.sqlite`` for the API.

Incremental through ``/sync/last_activities``: a section is fetched only when its
timestamps moved since the watermark stored with the link, and history only from that
watermark on (``start_at``). The watermark advances only after the section was landed
and staged, so a run that fails (Trakt down, 429 beyond patience) loses nothing: the next
run fetches it again. Queued scrobbles are retried here too.

Secrets: the flow's only parameter is an optional user id; tokens are read from
``app.sqlite`` inside the task (refreshed there when due) and never appear in a parameter,
a result, a log line or the warehouse.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb
from prefect import flow, task

from core.appdb import AppDatabase
from core.clock import utcnow
from core.crypto import Keyring
from core.settings import Settings, load_settings
from core.trakt import TraktClient, TraktError
from core.trakt_scrobbles import drain
from core.trakt_store import access_token, linked_users, read_link
from core.trakt_writeback import (
    PlaybackEntry,
    WatchlistEntry,
    merge_playback,
    record_sync,
    replace_watchlist,
)
from flows.trakt_lists import refresh_public_lists
from flows.warehouse_slot import warehouse_slot
from warehouse.db import open_warehouse
from warehouse.quarantine import replace_quarantine
from warehouse.trakt_checks import run_trakt_checks
from warehouse.trakt_schema import ensure_trakt_schema, forget_users
from warehouse.trakt_staging import stage, write_staged

log = logging.getLogger(__name__)

# section -> (path, the last_activities fields whose newest value is its watermark)
SECTIONS: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "watchlist": ("/sync/watchlist", (("movies", "watchlisted_at"), ("shows", "watchlisted_at"))),
    "history": ("/sync/history", (("movies", "watched_at"), ("episodes", "watched_at"))),
    "playback": ("/sync/playback", (("movies", "paused_at"), ("episodes", "paused_at"))),
    "ratings": ("/sync/ratings", (("movies", "rated_at"), ("shows", "rated_at"),
                                  ("episodes", "rated_at"))),
}  # fmt: skip


@dataclass
class Landed:
    """What one user's fetch landed (no secret in here: it is a task result)."""

    user_id: int
    sections: list[str] = field(default_factory=list)
    watermarks: dict[str, str] = field(default_factory=dict)
    skipped: str = ""


def watermarks(activities: Any) -> dict[str, str]:
    """Each section's newest ``last_activities`` timestamp (ISO text compares in order)."""
    if not isinstance(activities, dict):
        raise TraktError("last_activities is not an object", "/sync/last_activities", 200)
    out: dict[str, str] = {}
    for section, (_path, fields) in SECTIONS.items():
        stamps = []
        for group, name in fields:
            block = activities.get(group)
            value = block.get(name) if isinstance(block, dict) else None
            if isinstance(value, str) and len(value) <= 40:
                stamps.append(value)
        if stamps:
            out[section] = max(stamps)
    return out


def make_client(settings: Settings) -> TraktClient:
    return TraktClient(
        settings.trakt_url,
        settings.trakt_client_id.get_secret_value(),
        settings.trakt_client_secret.get_secret_value(),
        timeout=settings.http_timeout,
        retries=settings.http_retries,
    )


def _land(
    con: duckdb.DuckDBPyConnection,
    section: str,
    run_id: str,
    user_id: int,
    request_key: str,
    payload: Any,
    at: datetime,
) -> None:
    con.execute(
        f"INSERT INTO raw_trakt_{section} (run_id, user_id, request_key, fetched_at, status,"
        " payload) VALUES (?, ?, ?, ?, 200, ?)",
        [run_id, user_id, request_key, at, json.dumps(payload, separators=(",", ":"))],
    )


def fetch_user(
    settings: Settings, client: TraktClient, user_id: int, run_id: str, full: bool = False
) -> Landed:
    """Land the sections of ``user_id`` that changed since the stored watermark."""
    db = AppDatabase(settings.app_db_path)
    keyring = Keyring.load(settings.key_path, settings.secret_key.get_secret_value())
    try:
        con = db.connection()
        drain(con, keyring, client, user_id)  # queued scrobbles first: Trakt is up again?
        token = access_token(con, keyring, client, user_id)
        link = read_link(con, user_id)
        if token is None or link is None:
            return Landed(user_id, skipped="not linked")
        previous = {} if full else dict(link.activities)
    finally:
        db.close()
    key = f"user:{user_id}"
    activities, _ = client.get("/sync/last_activities", token, key)
    marks = watermarks(activities)
    answers: list[tuple[str, str, Any]] = [("activities", "/sync/last_activities", activities)]
    for section, (path, _fields) in SECTIONS.items():
        if section in previous and previous.get(section) == marks.get(section):
            continue
        params: dict[str, Any] = {}
        if section == "history" and previous.get("history"):
            params["start_at"] = previous["history"]
        items = client.get_all(path, token, key, params=params)
        query = "&".join(f"{k}={v}" for k, v in params.items())
        answers.append((section, f"{path}?{query}" if query else path, items))
    writer = open_warehouse(settings)
    try:
        ensure_trakt_schema(writer)
        at = utcnow()
        for section, request_key, payload in answers:
            _land(writer, section, run_id, user_id, request_key, payload, at)
    finally:
        writer.close()
    fetched = [s for s, _k, _p in answers if s != "activities"]
    return Landed(user_id, fetched, {**previous, **marks})


def _runtimes(
    con: duckdb.DuckDBPyConnection,
) -> tuple[dict[int, float], dict[tuple[int, int, int], float]]:
    """Catalogue runtimes in seconds: movies, and episodes keyed (show, season, episode)."""
    tables = {
        r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    }
    movies: dict[int, float] = {}
    episodes: dict[tuple[int, int, int], float] = {}
    if "mart_movies" in tables:
        for tmdb_id, minutes in con.execute(
            "SELECT tmdb_id, runtime_min FROM mart_movies WHERE runtime_min > 0"
        ).fetchall():
            movies[int(tmdb_id)] = float(minutes) * 60
    if "mart_episodes" in tables:
        try:
            rows = con.execute(
                "SELECT show_id, season_number, episode_number, runtime_min FROM mart_episodes"
                " WHERE runtime_min > 0"
            ).fetchall()
        except duckdb.Error:
            rows = []
        for show, season, number, minutes in rows:
            episodes[(int(show), int(season), int(number))] = float(minutes) * 60
    return movies, episodes


def stage_and_write_back(settings: Settings, run_id: str, landed: list[Landed]) -> dict[str, Any]:
    """Rebuild staging from raw, check it, write watchlists and progress to app.sqlite."""
    db = AppDatabase(settings.app_db_path)
    try:
        keep = linked_users(db.connection())
    finally:
        db.close()
    writer = open_warehouse(settings)
    try:
        ensure_trakt_schema(writer)
        forgotten = forget_users(writer, keep)
        if not keep:  # nobody linked: nothing to stage, check or write back
            return {"staged": {}, "quarantined": 0, "merged": 0, "forgotten_rows": forgotten}
        staged = stage(writer)
        counts = write_staged(writer, staged)
        replace_quarantine(writer, run_id, staged.quarantine, utcnow())
        suites = run_trakt_checks(writer, run_id)
        movie_runtime, episode_runtime = _runtimes(writer)
    finally:
        writer.close()
    failed = [s.suite for s in suites if not s.success]
    if failed:
        raise TraktError(f"Trakt data-quality suites failed: {', '.join(failed)}")
    watch = staged.tables["stg_trakt__watchlist"]
    play = staged.tables["stg_trakt__playback"]
    db = AppDatabase(settings.app_db_path)
    merged = 0
    try:
        con = db.connection()
        for done in landed:
            if done.skipped or done.user_id not in keep:
                continue
            uid = done.user_id
            replace_watchlist(con, uid, [
                WatchlistEntry(r["kind"], r["tmdb_id"], r["rank"], r["listed_at"].isoformat() + "Z")
                for r in watch.filter(watch["user_id"] == uid).iter_rows(named=True)
            ])  # fmt: skip
            entries = [
                PlaybackEntry(r["kind"], r["tmdb_id"], r["season"], r["episode"], r["progress"],
                              r["paused_at"], movie_runtime.get(r["tmdb_id"]) if r["kind"] ==
                              "movie" else episode_runtime.get((r["tmdb_id"], r["season"],
                                                                r["episode"])))
                for r in play.filter(play["user_id"] == uid).iter_rows(named=True)
            ]  # fmt: skip
            merged += merge_playback(con, uid, entries)
            record_sync(con, uid, done.watermarks)
    finally:
        db.close()
    return {"staged": counts, "quarantined": len(staged.quarantine), "merged": merged,
            "forgotten_rows": forgotten}  # fmt: skip


@task(name="trakt-fetch-user", retries=0)
def fetch_user_task(user_id: int, run_id: str, full: bool = False) -> Landed:
    settings = load_settings()
    with make_client(settings) as client:
        return fetch_user(settings, client, user_id, run_id, full)


def public_lists(settings: Settings, client: TraktClient, run_id: str) -> dict[str, Any]:
    """Trakt's public lists into staging; a Trakt failure is reported, not raised (the
    previous lists stay staged and the users' ingest goes on). Skipped without a client id:
    Trakt answers no request that lacks one."""
    if not settings.trakt_client_id.get_secret_value():
        return {"public_lists_skipped": "no Trakt client id configured"}
    try:
        return refresh_public_lists(settings, client, run_id=f"{run_id}-lists")
    except TraktError as exc:
        log.warning("trakt public lists failed: %s", exc)
        return {"public_lists_error": str(exc)}


@task(name="trakt-public-lists")
def public_lists_task(run_id: str) -> dict[str, Any]:
    settings = load_settings()
    with make_client(settings) as client:
        return public_lists(settings, client, run_id)


@task(name="trakt-stage")
def stage_task(run_id: str, landed: list[Landed]) -> dict[str, Any]:
    return stage_and_write_back(load_settings(), run_id, landed)


def run_trakt(settings: Settings, user_id: int | None = None, full: bool = False,
              client: TraktClient | None = None) -> dict[str, Any]:  # fmt: skip
    """One ingest without Prefect (tests, and the body of the flow)."""
    run_id = f"trakt-{uuid.uuid4().hex[:12]}"
    db = AppDatabase(settings.app_db_path)
    try:
        db.migrate()
        users = linked_users(db.connection())
    finally:
        db.close()
    if user_id is not None:
        users = [u for u in users if u == user_id]
    own = client is None
    client = client or make_client(settings)
    landed, failures = [], {}
    try:
        for uid in users:
            try:
                landed.append(fetch_user(settings, client, uid, run_id, full))
            except TraktError as exc:
                failures[uid] = str(exc)
                log.warning("trakt ingest for user %s failed: %s", uid, exc)
        lists = public_lists(settings, client, run_id)
    finally:
        if own:
            client.close()
    summary = stage_and_write_back(settings, run_id, landed)
    return {"run_id": run_id, "users": len(users), "failed_users": failures, **summary, **lists}


@flow(name="trakt", log_prints=False)
def trakt_flow(user_id: int | None = None, full: bool = False) -> dict[str, Any]:
    """Ingest every linked user's Trakt library (or one user's); rerunnable from the UI."""
    settings = load_settings()
    run_id = f"trakt-{uuid.uuid4().hex[:12]}"
    db = AppDatabase(settings.app_db_path)
    try:
        db.migrate()
        users = [u for u in linked_users(db.connection()) if user_id in (None, u)]
    finally:
        db.close()
    landed: list[Landed] = []
    failures: dict[int, str] = {}
    with warehouse_slot():  # every step lands or stages rows in the warehouse
        for uid in users:
            try:
                landed.append(fetch_user_task(uid, run_id, full))
            except TraktError as exc:
                failures[uid] = str(exc)
        summary = stage_task(run_id, landed)
        lists = public_lists_task(run_id)
    if failures and not landed:
        raise TraktError(f"Trakt ingest failed for every linked user ({len(failures)})")
    return {"run_id": run_id, "users": len(users), "failed_users": failures, **summary, **lists}
