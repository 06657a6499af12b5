"""A multi-episode release on the show page of a real browser against a real stack: each
episode it plays shows an "E1-E2" tag (an en dash) beside its source; an episode whose best
source is a single-episode file shows none."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.helpers.shows import ShowSource, add_show_source
from tests.web.conftest import screenshot
from tests.web.helpers import USER_PASSWORD, create_user, sign_in
from tests.web.shows_stack import staged_catalog
from tests.web.stack import Stack

pytestmark = pytest.mark.slow

SHOW_ID = 987_321
RUN = "Run.Show.S01E01E02.720p.WEB-DL.x264-MIAU"
SINGLE = "Run.Show.S02E01.720p.WEB-DL.x264-MIAU"
DASH = "\u2013"


def _publish_run_show(stack: Stack, work: Path) -> None:
    """Add a show whose season 1 is one double-episode release (and season 2 one single) to
    a copy of the stack's catalog, sealed with its key, swapped in atomically."""
    with staged_catalog(stack, work) as (conn, cipher):
        conn.execute(
            "INSERT INTO shows (tmdb_id, name, year, popularity, number_of_seasons,"
            " number_of_episodes, source_count, search_text) VALUES (?, 'Run Show', 2024, 1.0,"
            " 2, 3, 2, 'run show')",
            (SHOW_ID,),
        )
        for season, count in ((1, 2), (2, 1)):
            conn.execute(
                "INSERT INTO seasons VALUES (?, ?, ?, NULL, '2024-01-01', ?, NULL)",
                (SHOW_ID, season, f"Season {season}", count),
            )
            for episode in range(1, count + 1):
                conn.execute(
                    "INSERT INTO episodes VALUES (?, ?, ?, ?, NULL, '2024-01-02', 30, NULL,"
                    " 7.0, 1)",
                    (SHOW_ID, season, episode, f"Part {season}.{episode}"),
                )
        add_show_source(conn, cipher, ShowSource(
            SHOW_ID, 1, {1: (1, 1), 2: (1, 1)}, RUN, quality="720p", last_episode=2,
        ))  # fmt: skip
        add_show_source(conn, cipher, ShowSource(SHOW_ID, 2, {1: (1, 1)}, SINGLE, quality="720p"))


def test_each_episode_of_a_double_release_shows_its_run_and_a_single_shows_none(
    new_page: Any, stack: Stack, tmp_path: Path
) -> None:
    _publish_run_show(stack, tmp_path)
    create_user(stack, "shows-runs@example.test")
    page = new_page()
    sign_in(page, "shows-runs@example.test", USER_PASSWORD)
    page.goto(f"/show/{SHOW_ID}?season=1")
    episodes = page.get_by_role("list", name="Episodes of Season 1").get_by_role("listitem")
    expect(episodes).to_have_count(2)
    for row in (episodes.nth(0), episodes.nth(1)):
        tag = row.locator(".episode-run")
        expect(tag).to_have_text(f"E1{DASH}E2")
        expect(tag).to_have_attribute("title", "One release holding episodes 1 to 2")
        expect(row.locator(".facts")).to_contain_text("720p WEB x264")
    screenshot(page, "show-multi-episode-release")
    page.goto(f"/show/{SHOW_ID}?season=2")
    single = page.get_by_role("list", name="Episodes of Season 2").get_by_role("listitem")
    expect(single).to_have_count(1)
    expect(single.locator(".facts")).to_contain_text("720p WEB x264")
    expect(single.locator(".episode-run")).to_have_count(0)
    assert not page.js_errors, page.js_errors
