"""Trakt test helpers: a warehouse and catalog over the fake's synthetic ids, and linking a
Miauflix user to a fake Trakt account through the real device-code exchange."""

from __future__ import annotations

import time
from pathlib import Path

from core.appdb import AppDatabase
from core.crypto import Keyring
from core.settings import Settings
from core.trakt import TraktClient, UserLimits
from core.trakt_store import finish_link, start_link
from sandbox.catalogue import SyntheticCatalogue
from sandbox.fake_upstream import RunningUpstream
from sandbox.trakt_routes import TraktRoutes
from tests.helpers.catalog import cipher, fill_synthetic_marts
from warehouse.db import open_warehouse
from warehouse.publish import publish_catalog

CLIENT_ID = "trakt-test-client"
CLIENT_SECRET = "trakt-test-secret"
MOVIE_TABLES = ("mart_movies", "mart_movie_genres", "mart_translations", "mart_images",
                "mart_list_members", "mart_sources")  # fmt: skip


def build_catalogue_warehouse(settings: Settings, cat: SyntheticCatalogue) -> list[int]:
    """A warehouse whose movie marts hold every id of ``cat`` (with its IMDb ids), published
    to the settings' catalog. Returns the ids."""
    ids = list(cat.tmdb_ids)
    con = open_warehouse(settings)
    try:
        fill_synthetic_marts(con, len(ids), 1)
        con.execute("CREATE TEMP TABLE idmap (i BIGINT, t BIGINT, imdb VARCHAR)")
        con.executemany(
            "INSERT INTO idmap VALUES (?, ?, ?)",
            [(n, t, cat.imdb_id_of(t)) for n, t in enumerate(ids, 1)],
        )
        for table in MOVIE_TABLES:
            con.execute(
                f"UPDATE {table} SET tmdb_id = idmap.t FROM idmap WHERE {table}.tmdb_id = idmap.i"
            )
        for table, value in (("mart_movies", "idmap.imdb"), ("mart_sources", "coalesce("
                             "idmap.imdb, mart_sources.imdb_id)")):  # fmt: skip
            con.execute(
                f"UPDATE {table} SET imdb_id = {value} FROM idmap WHERE {table}.tmdb_id = idmap.t"
            )
        publish_catalog(con, settings.catalog_path, cipher(), "trakt-test")
    finally:
        con.close()
    return ids


def fake_trakt(upstream: RunningUpstream) -> TraktRoutes:
    routes = upstream.upstream.trakt
    assert routes is not None
    return routes


def scaled_client(settings: Settings) -> TraktClient:
    """A client with the limits scaled down (the fake's are scaled down likewise)."""
    return TraktClient(
        settings.trakt_url,
        CLIENT_ID,
        CLIENT_SECRET,
        limits=UserLimits(post_interval_s=0.0),
        retries=3,
        max_wait_s=1.0,
        sleep=lambda _s: None,
    )


def link_user(
    settings: Settings, upstream: RunningUpstream, client: TraktClient, user_id: int, username: str
) -> None:
    """Link ``user_id`` to the fake account ``username`` (device code, approve, poll)."""
    trakt = fake_trakt(upstream)
    db = AppDatabase(settings.app_db_path)
    keyring = Keyring.load(settings.key_path, settings.secret_key.get_secret_value())
    try:
        con = db.connection()
        device = client.device_code()
        start_link(con, keyring, user_id, device, time.time())
        assert trakt.auth.decide(device.user_code, username, approve=True)
        state, tokens = client.poll_device(device.device_code)
        assert state == "approved" and tokens is not None
        finish_link(con, keyring, user_id, "linked", tokens)
    finally:
        db.close()


def every_file_bytes(root: Path) -> bytes:
    """Every file under ``root`` concatenated (databases, WAL files, logs, Prefect home)."""
    return b"".join(p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file())
