"""Trakt's public lists into the catalogue: fetch ``/lists/trending`` and ``/lists/popular``
(the first ``top`` of each) and every chosen list's movies (all pages), land the answers in
``raw_trakt_lists``, stage them as ``stg_trakt__list_members`` (``trakt-<slug>`` lists of TMDB
ids; unmatched items quarantined) and let the next catalogue publish carry them.

Public endpoints: no user token is sent. A failed fetch lands nothing, so the previous run's
lists stay staged.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from core.clock import utcnow
from core.settings import Settings
from core.trakt import TraktClient, TraktError
from warehouse.db import open_warehouse
from warehouse.quarantine import replace_quarantine
from warehouse.trakt_checks import run_trakt_checks
from warehouse.trakt_lists import LIST_SUITES, ensure_lists_schema, stage_lists, write_lists

log = logging.getLogger(__name__)

TOP_LISTS = 3  # per kind (trending, popular)
RATE_KEY = "public"  # the client-side rate-limit bucket of unauthenticated calls


def fetch_public_lists(client: TraktClient, top: int = TOP_LISTS) -> list[tuple[str, Any]]:
    """``(request key, answer)`` of both indexes and every listed list's movies."""
    answers: list[tuple[str, Any]] = []
    seen: set[int] = set()
    for kind in ("trending", "popular"):
        index, _ = client.get(f"/lists/{kind}", "", RATE_KEY, {"limit": top})
        answers.append((f"/lists/{kind}?limit={top}", index))
        for entry in index[:top] if isinstance(index, list) else []:
            meta = entry.get("list") if isinstance(entry, dict) else None
            ids = meta.get("ids") if isinstance(meta, dict) else None
            trakt_id = ids.get("trakt") if isinstance(ids, dict) else None
            if not isinstance(trakt_id, int) or isinstance(trakt_id, bool) or trakt_id <= 0:
                continue
            if trakt_id in seen:
                continue
            seen.add(trakt_id)
            path = f"/lists/{trakt_id}/items/movie"
            answers.append((path, client.get_all(path, "", RATE_KEY)))
    return answers


def refresh_public_lists(
    settings: Settings, client: TraktClient, top: int = TOP_LISTS, run_id: str | None = None
) -> dict[str, Any]:
    """Fetch, land and stage the public lists; the counts for the run summary."""
    run_id = run_id or f"trakt-lists-{uuid.uuid4().hex[:12]}"
    answers = fetch_public_lists(client, top)
    con = open_warehouse(settings)
    try:
        ensure_lists_schema(con)
        at = utcnow()
        con.executemany(
            "INSERT INTO raw_trakt_lists (run_id, request_key, fetched_at, status, payload)"
            " VALUES (?, ?, ?, 200, ?)",
            [[run_id, key, at, json.dumps(body, separators=(",", ":"))] for key, body in answers],
        )
        staged = stage_lists(con, top)
        members = write_lists(con, staged)
        quarantined = replace_quarantine(con, run_id, staged.quarantine, at)
        failed = [r.suite for r in run_trakt_checks(con, run_id, LIST_SUITES) if not r.success]
        if failed:  # publish no list rather than a broken one
            con.execute("DELETE FROM stg_trakt__list_members")
            raise TraktError(f"Trakt list data-quality suites failed: {', '.join(failed)}")
    finally:
        con.close()
    lists = staged.members.get_column("list_name").n_unique() if members else 0
    log.info("trakt public lists: %d lists, %d members, %d quarantined", lists, members,
             quarantined)  # fmt: skip
    return {"public_lists": lists, "list_members": members, "lists_quarantined": quarantined}
