"""TV shows in a real browser against a real stack: the Shows entry, a show page with its
season picker and episode list, an episode streamed out of a real season pack, the autoplay
countdown to the next episode (visible, announced, cancellable by keyboard), watched marks
and progress bars, and "S2 · E1" in continue watching."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.web.conftest import axe_violations, screenshot
from tests.web.helpers import (
    USER_PASSWORD,
    create_user,
    sign_in,
    wait_js,
    wait_playing_and_advancing,
)
from tests.web.shows_stack import SHOW_ID, SHOW_NAME, ShowSwarm, publish_demo_show
from tests.web.stack import Stack

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def show(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ShowSwarm]:
    swarm = publish_demo_show(stack, tmp_path_factory.mktemp("demo-show"))
    try:
        yield swarm
    finally:
        swarm.stop()


def _signed_in(new_page: Any, stack: Stack, email: str) -> Any:
    create_user(stack, email)
    page = new_page()
    sign_in(page, email, USER_PASSWORD)
    return page


def _to_the_end(page: Any) -> None:
    """Seek the episode to its last second and wait for it to end."""
    wait_playing_and_advancing(page)
    page.evaluate("const v = document.querySelector('video'); v.currentTime = v.duration - 0.6")
    wait_js(page, "document.querySelector('video').ended", 60_000)


def _no_serious_a11y_problems(page: Any) -> None:
    problems = axe_violations(page)
    assert not problems, problems


def test_show_page_has_a_season_picker_and_an_episode_list(
    new_page: Any, stack: Stack, show: ShowSwarm
) -> None:
    page = _signed_in(new_page, stack, "shows-browse@example.test")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Shows").click()
    expect(page.get_by_role("heading", level=1, name="Shows")).to_be_visible()
    row = page.get_by_role("region", name="Popular shows")
    row.get_by_role("link", name=re.compile(SHOW_NAME)).click()

    expect(page.get_by_role("heading", level=1, name=SHOW_NAME)).to_be_visible()
    picker = page.get_by_label("Season", exact=True)
    expect(picker).to_have_value("1")
    options = picker.locator("option").all_text_contents()
    assert options == ["Season 1 (3 episodes)", "Season 2 (1 episode)"], options
    episodes = page.get_by_role("list", name="Episodes of Season 1").get_by_role("listitem")
    expect(episodes).to_have_count(3)
    expect(episodes.nth(1)).to_contain_text("S1 · E2")
    expect(episodes.nth(1)).to_contain_text("The Middle")
    expect(page.get_by_role("button", name="Play S1 · E1: The Beginning")).to_be_enabled()
    screenshot(page, "show-page")
    _no_serious_a11y_problems(page)
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: one column per episode
    expect(page.get_by_role("button", name="Play S1 · E1: The Beginning")).to_be_visible()
    screenshot(page, "show-page-390")
    page.set_viewport_size({"width": 1280, "height": 800})

    picker.select_option("2")
    expect(page).to_have_url(re.compile(rf"/show/{SHOW_ID}\?season=2$"))
    expect(
        page.get_by_role("list", name="Episodes of Season 2").get_by_role("listitem")
    ).to_have_count(1)
    expect(page.get_by_role("button", name="Play S2 · E1: A New Season")).to_be_visible()
    assert not page.js_errors, page.js_errors


def test_the_header_search_finds_shows_too(new_page: Any, stack: Stack, show: ShowSwarm) -> None:
    page = _signed_in(new_page, stack, "shows-header-search@example.test")
    page.get_by_role("searchbox", name="Search").fill(SHOW_NAME[:6])
    matches = page.get_by_role("region", name="Shows")
    expect(matches).to_contain_text("1 show found")
    screenshot(page, "search-finds-a-show")
    matches.get_by_role("link", name=re.compile(SHOW_NAME)).click()
    expect(page.get_by_role("heading", level=1, name=SHOW_NAME)).to_be_visible()
    assert not page.js_errors, page.js_errors


def test_a_show_page_without_images_shows_letters_and_episode_numbers(
    new_page: Any, stack: Stack, show: ShowSwarm
) -> None:
    """Offline (image.tmdb.org unreachable): the poster's letter, episode numbers in place
    of stills, no backdrop, and no broken-image icon."""
    page = _signed_in(new_page, stack, "shows-offline@example.test")
    page.route("https://image.tmdb.org/**", lambda route: route.abort())
    page.goto(f"/show/{SHOW_ID}")
    expect(page.get_by_role("heading", level=1, name=SHOW_NAME)).to_be_visible()
    expect(page.locator(".movie-poster .poster-placeholder")).to_be_visible()
    expect(page.locator(".still-none")).to_have_count(3)
    expect(page.locator(".movie-poster img, .backdrop img")).to_have_count(0)
    screenshot(page, "show-offline-images")
    # every image that failed has given way (Preact re-renders after the error event)
    wait_js(page, "![...document.images].some(i => i.complete && !i.naturalWidth)")


def test_an_episode_plays_and_the_next_one_autoplays_after_a_cancellable_countdown(
    new_page: Any, stack: Stack, show: ShowSwarm
) -> None:
    page = _signed_in(new_page, stack, "shows-autoplay@example.test")
    page.goto(f"/show/{SHOW_ID}")
    page.get_by_role("button", name="Play S1 · E2: The Middle").click()
    expect(page).to_have_url(re.compile(rf"/watch/show/{SHOW_ID}/1/2"))
    page.locator("video").wait_for()
    assert page.locator("video").count() == 1
    expect(page.get_by_role("heading", level=1)).to_contain_text("S1 · E2")
    # the pack's E02 file (5 s), not E01 (4 s) nor E03 (6 s)
    wait_js(
        page, "(v => v && v.duration > 4.5 && v.duration < 5.5)(document.querySelector('video'))"
    )
    _to_the_end(page)

    # The countdown: visible, focused, announced, and Esc cancels it.
    dialog = page.get_by_role("dialog", name=re.compile("Up next: S1 · E3"))
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(re.compile(r"Starts in \d+ seconds?"))
    expect(page.get_by_role("button", name="Play now")).to_be_focused()
    expect(page.get_by_role("status").filter(has_text="starts in 10 seconds")).to_have_count(1)
    screenshot(page, "episode-autoplay-countdown")
    _no_serious_a11y_problems(page)
    page.focus("video")  # a person who clicked the finished video, then pressed Esc
    page.keyboard.press("Escape")
    expect(dialog).to_contain_text("Autoplay cancelled")
    expect(page).to_have_url(re.compile(rf"/watch/show/{SHOW_ID}/1/2"))  # Esc did not leave
    page.wait_for_timeout(1500)
    expect(page).to_have_url(re.compile(rf"/watch/show/{SHOW_ID}/1/2"))  # nothing started
    screenshot(page, "episode-autoplay-cancelled")
    expect(page.get_by_role("button", name="Play next episode")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(rf"/watch/show/{SHOW_ID}/1/3\?autoplay=1"))
    page.locator("video").wait_for()
    wait_js(page, "(v => v && v.duration > 5)(document.querySelector('video'))")  # E03's file
    _to_the_end(page)
    # Left alone, the countdown starts the next season's first episode (another torrent).
    expect(page.get_by_role("dialog", name=re.compile("Up next: S2 · E1"))).to_be_visible()
    expect(page).to_have_url(re.compile(rf"/watch/show/{SHOW_ID}/2/1"), timeout=20_000)
    wait_playing_and_advancing(page)
    page.evaluate("document.querySelector('video').pause()")  # a pause saves progress
    screenshot(page, "episode-playing")
    assert not page.js_errors, page.js_errors

    # Back on the show: E02 and E03 are marked watched, season 2's episode has progress.
    page.get_by_role("link", name=re.compile("Back")).click()
    expect(page).to_have_url(re.compile(rf"/show/{SHOW_ID}\?season=2"))
    expect(
        page.get_by_role("progressbar", name=re.compile("A New Season: \\d+% watched"))
    ).to_be_visible()
    page.get_by_label("Season", exact=True).select_option("1")
    season1 = page.get_by_role("list", name="Episodes of Season 1").get_by_role("listitem")
    expect(season1.nth(1)).to_contain_text("Watched")
    expect(season1.nth(2)).to_contain_text("Watched")
    expect(season1.nth(0)).not_to_contain_text("Watched")
    screenshot(page, "show-page-watched")

    page.get_by_role("link", name="Home").click()
    row = page.get_by_role("region", name="Continue watching")
    card = row.get_by_role("link", name=re.compile(SHOW_NAME))
    expect(card).to_contain_text("S2 · E1")
    screenshot(page, "home-continue-watching-episode")
    card.click()  # plays that episode on at once
    expect(page).to_have_url(re.compile(rf"/watch/show/{SHOW_ID}/2/1\?resume=1$"))
    wait_playing_and_advancing(page)
    assert not page.js_errors, page.js_errors


def test_the_shows_page_lists_and_searches_shows(
    new_page: Any, stack: Stack, show: ShowSwarm, tmp_path: Path
) -> None:
    page = _signed_in(new_page, stack, "shows-search@example.test")
    page.goto("/shows")
    row = page.get_by_role("region", name="Popular shows")
    expect(row.get_by_role("link", name=re.compile(SHOW_NAME))).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("Drama"))).to_be_visible()  # TV genres
    screenshot(page, "shows-home")
    page.get_by_label("Search shows").fill("demo sh")
    expect(page).to_have_url(re.compile(r"/shows\?q=demo"))
    expect(page.get_by_role("status").filter(has_text="found")).to_contain_text("1 show found")
    expect(page.get_by_role("link", name=re.compile(SHOW_NAME))).to_be_visible()
    page.get_by_label("Search shows").fill("no such show at all")
    expect(page.get_by_role("status").filter(has_text="found")).to_contain_text("0 shows found")
    assert not page.js_errors, page.js_errors
