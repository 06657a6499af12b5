# ruff: noqa: F811 - the shared fixtures are imported from tests.serve.trakt_support
"""Trakt's trending and popular lists become curated lists of the catalogue: the Trakt ingest
fetches them from (the fake) Trakt, maps their movies to the catalogue, and after the next
publish ``GET /api/lists`` shows them as ``trakt-<slug>`` lists; Trakt being down keeps the
lists of the previous run."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from typing import Any

import httpx
from flask import Flask
from pydantic import SecretStr

from core.settings import Settings
from flows.trakt import run_trakt
from flows.trakt_lists import TOP_LISTS
from sandbox.faults import FaultConfig
from sandbox.trakt_media import UNMATCHED_IMDB
from sandbox.trakt_routes import TraktRoutes
from tests.helpers.catalog import cipher
from tests.helpers.trakt import CLIENT_ID, build_catalogue_warehouse, scaled_client
from tests.serve.trakt_support import (  # noqa: F401 - fixtures
    CATALOGUE,
    settings,
    trakt,
    trakt_app,
    upstream,
    user,
)
from warehouse.db import open_warehouse
from warehouse.publish import publish_catalog

HEADERS = {"trakt-api-version": "2", "trakt-api-key": CLIENT_ID}


def _sync_and_publish(settings: Settings, run: str) -> dict[str, Any]:
    with scaled_client(settings) as client:
        summary = run_trakt(settings, client=client)
    con = open_warehouse(settings)
    try:
        publish_catalog(con, settings.catalog_path, cipher(), run)
    finally:
        con.close()
    return summary


def _expected(settings: Settings) -> dict[str, list[int]]:
    """What the fake Trakt lists: catalogue ids in rank order, per trakt-<slug> list."""
    wanted: dict[str, list[int]] = {}
    with httpx.Client(base_url=settings.trakt_url, headers=HEADERS) as http:
        for kind in ("trending", "popular"):
            for entry in http.get(f"/lists/{kind}", params={"limit": TOP_LISTS}).json():
                ids = entry["list"]["ids"]
                items = http.get(f"/lists/{ids['trakt']}/items/movie").json()
                movies = [i["movie"]["ids"] for i in sorted(items, key=lambda i: i["rank"])]
                tmdb = [m["tmdb"] or CATALOGUE.tmdb_id_of(m["imdb"]) for m in movies]
                wanted.setdefault(f"trakt-{ids['slug']}", [t for t in tmdb if t is not None])
    return wanted


def _catalog_members(settings: Settings) -> dict[str, list[int]]:
    with closing(sqlite3.connect(settings.catalog_path)) as db:
        rows = db.execute(
            "SELECT list_name, tmdb_id FROM list_members WHERE list_name LIKE 'trakt-%'"
            " ORDER BY list_name, position"
        ).fetchall()
    out: dict[str, list[int]] = {}
    for name, tmdb in rows:
        out.setdefault(name, []).append(tmdb)
    return out


def test_trending_and_popular_lists_are_published_as_curated_lists(
    trakt_app: Flask, settings: Settings, user: dict[str, str], trakt: TraktRoutes
) -> None:
    build_catalogue_warehouse(settings, CATALOGUE)
    summary = _sync_and_publish(settings, "trakt-lists-1")
    expected = _expected(settings)
    assert 1 < len(expected) <= 2 * TOP_LISTS
    assert summary["public_lists"] == len(expected)
    assert _catalog_members(settings) == expected
    answer = trakt_app.test_client().get("/api/lists", headers=user)
    assert answer.status_code == 200
    counts = {r["name"]: r["count"] for r in answer.get_json()["results"]}
    assert {n: c for n, c in counts.items() if n.startswith("trakt-")} == {
        name: len(ids) for name, ids in expected.items()
    }
    assert {"popular", "top_rated", "trending"} <= set(counts)
    with open_warehouse(settings, read_only=True) as wh:
        reasons = wh.execute("SELECT reason FROM quarantine WHERE source_table = 'raw_trakt_lists'"
                             ).fetchall()  # fmt: skip
        mapped_by = {r[0] for r in wh.execute("SELECT mapped_by FROM stg_trakt__list_members")
                     .fetchall()}  # fmt: skip
    assert len(reasons) == len(expected)  # the one movie per list the catalogue lacks
    assert all(r[0].startswith("unmatched") and UNMATCHED_IMDB in r[0] for r in reasons)
    assert mapped_by == {"tmdb", "imdb"}


def test_trakt_down_keeps_the_previous_lists(
    trakt_app: Flask, settings: Settings, user: dict[str, str], trakt: TraktRoutes, upstream: Any
) -> None:
    build_catalogue_warehouse(settings, CATALOGUE)
    _sync_and_publish(settings, "trakt-lists-1")
    before = _catalog_members(settings)
    assert before
    upstream.upstream.set_faults(FaultConfig(error_rate=1.0))
    try:
        summary = _sync_and_publish(settings, "trakt-lists-2")
    finally:
        upstream.upstream.set_faults(FaultConfig())
    assert "server error" in summary["public_lists_error"]
    assert _catalog_members(settings) == before


def test_no_client_id_skips_the_public_lists(
    trakt_app: Flask, settings: Settings, trakt: TraktRoutes
) -> None:
    build_catalogue_warehouse(settings, CATALOGUE)
    bare = settings.model_copy(update={"trakt_client_id": SecretStr("")})
    with scaled_client(bare) as client:
        summary = run_trakt(bare, client=client)
    assert summary["public_lists_skipped"] == "no Trakt client id configured"
    assert _catalog_members(settings) == {}
