"""The viewer's evening in a real browser against a real stack: sign in, browse, search,
open a movie, play real BitTorrent-streamed video, seek, resume after a reload, find it in
"Continue watching", finish it; once with the mouse and once by keyboard only."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.web.conftest import screenshot
from tests.web.helpers import (
    USER_PASSWORD,
    create_user,
    movie,
    progress_items,
    sign_in,
    token,
    video_time,
    wait_js,
    wait_playing_and_advancing,
)
from tests.web.stack import Stack

pytestmark = pytest.mark.slow
NO_PROGRESS = "GET /api/progress answers 404: the progress API (serve/progress.py) is missing"


def _saved_position(stack: Stack, bearer: str, tmdb_id: int, at_least: float, page: Any) -> float:
    """Wait until the client has stored a position >= at_least (fail without the API)."""
    for _ in range(40):
        items = progress_items(stack, bearer)
        if items is None:
            pytest.fail(NO_PROGRESS)
        found = [item for item in items if item["tmdb_id"] == tmdb_id]
        if found and found[0]["position_s"] >= at_least:
            return float(found[0]["position_s"])
        page.wait_for_timeout(250)
    raise AssertionError(f"no progress >= {at_least}s stored for {tmdb_id}: {items}")


def _resume_and_finish(page: Any, stack: Stack, bearer: str, tmdb_id: int, title: str) -> None:
    """Reload → resume near the saved position → Continue watching → finish → watched."""
    saved = _saved_position(stack, bearer, tmdb_id, 12.0, page)
    page.reload()
    resume = page.get_by_role("button", name=re.compile(r"^Resume from"))
    resume.wait_for()
    screenshot(page, "player-resume-prompt")
    resume.click()
    wait_playing_and_advancing(page)
    assert saved - 8 <= video_time(page) <= saved + 8, (video_time(page), saved)
    page.evaluate("document.querySelector('video').currentTime = 20")  # well past the minimum
    wait_js(page, "document.querySelector('video').currentTime >= 20.5")

    page.get_by_role("link", name=re.compile("Back")).click()  # stores the position
    page.get_by_role("link", name="Home").click()
    row = page.get_by_role("region", name="Continue watching")
    card = row.get_by_role("link", name=re.compile(re.escape(title)))
    expect(card).to_be_visible()
    screenshot(page, "home-continue-watching")

    saved = _saved_position(stack, bearer, tmdb_id, 20.0, page)  # as stored on leaving
    card.click()  # plays on from there at once: no title page, no resume question
    expect(page).to_have_url(re.compile(rf"/watch/{tmdb_id}\?resume=1$"))
    wait_playing_and_advancing(page)
    assert page.get_by_role("button", name=re.compile(r"^Resume from")).count() == 0
    assert saved - 8 <= video_time(page) <= saved + 8, (video_time(page), saved)
    page.evaluate("const v = document.querySelector('video'); v.currentTime = v.duration - 1.5")
    wait_js(page, "document.querySelector('video').ended", 60_000)
    expect(page.get_by_text("Watched", exact=True)).to_be_visible()
    for _ in range(40):
        items = progress_items(stack, bearer) or []
        if all(item["tmdb_id"] != tmdb_id for item in items):
            break
        page.wait_for_timeout(250)
    assert all(item["tmdb_id"] != tmdb_id for item in items), "finished title still in progress"
    page.goto(f"/movie/{tmdb_id}")
    expect(page.get_by_text("Watched", exact=True)).to_be_visible()
    screenshot(page, "movie-watched")
    page.goto("/")
    page.get_by_role("heading", name="Popular").wait_for()
    continue_row = page.get_by_role("region", name="Continue watching")
    if continue_row.count():
        expect(continue_row.get_by_role("link", name=re.compile(re.escape(title)))).to_have_count(0)


def test_mouse_journey_plays_seeks_resumes_and_finishes(new_page: Any, stack: Stack) -> None:
    email = "mouse@example.test"
    create_user(stack, email)
    tmdb_id = stack.playable[0]
    title = movie(stack, tmdb_id)["title"]
    page = new_page()

    sign_in(page, email, USER_PASSWORD)
    for heading in ("Popular", "Top rated", "Trending"):
        expect(page.get_by_role("heading", name=heading)).to_be_visible()
    first_poster = page.locator(".row-list img").first
    expect(first_poster).to_have_attribute("loading", "lazy")
    expect(first_poster).to_have_attribute("alt", re.compile("Poster of"))
    screenshot(page, "home")

    page.get_by_label("Search").fill(title[: max(4, len(title) - 2)])
    expect(page).to_have_url(re.compile(r"/search\?q="))
    card = page.get_by_role("link", name=re.compile(re.escape(title))).first
    card.wait_for()
    screenshot(page, "search")
    card.click()

    expect(page.get_by_role("heading", level=1, name=title)).to_be_visible()
    expect(page.locator(".why")).to_contain_text("Picked as the best for this device")
    screenshot(page, "movie")
    page.get_by_role("button", name="Play").click()

    page.locator("video").wait_for()
    assert page.locator("video").count() == 1
    wait_playing_and_advancing(page)
    screenshot(page, "player-playing")
    page.evaluate("document.querySelector('video').currentTime = 15")
    wait_js(page, "document.querySelector('video').currentTime >= 15.5", 60_000)
    wait_playing_and_advancing(page)
    page.evaluate("document.querySelector('video').pause()")  # a pause saves progress
    assert not page.js_errors, page.js_errors

    _resume_and_finish(page, stack, token(stack, email, USER_PASSWORD), tmdb_id, title)
    assert not page.js_errors, page.js_errors


def _tab_to(page: Any, test_js: str, limit: int = 60, *, backwards: bool = False) -> None:
    """Press Tab (Shift+Tab when ``backwards``) until the focused element satisfies
    ``test_js`` (a JS expression on `el`)."""
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        if page.evaluate(
            f"(() => {{ const el = document.activeElement; return !!el && ({test_js}); }})()"
        ):
            return
    raise AssertionError(f"Tab never reached an element where {test_js}")


def test_keyboard_only_journey(new_page: Any, stack: Stack) -> None:
    email = "keys@example.test"
    create_user(stack, email)
    tmdb_id = stack.playable[1 % len(stack.playable)]
    title = movie(stack, tmdb_id)["title"]
    page = new_page()

    page.goto("/")
    page.get_by_label("Email").wait_for()
    # Focus lands on the email field (the browser's autofocus, or the app's after a frame).
    wait_js(page, "document.activeElement && document.activeElement.id === 'signin-email'")
    assert page.evaluate("document.activeElement.id") == "signin-email"
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type(USER_PASSWORD)
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Popular").wait_for()
    # The new page takes the focus (its main region); the header is behind it.
    wait_js(page, "document.activeElement && document.activeElement.id === 'main'")
    _tab_to(page, "el.type === 'search'", backwards=True)
    page.keyboard.type(title[: max(4, len(title) - 2)])
    expect(page).to_have_url(re.compile(r"/search\?q="))
    page.get_by_role("link", name=re.compile(re.escape(title))).first.wait_for()
    _tab_to(page, f"el.tagName === 'A' && el.textContent.includes({title!r})")
    focus_ring = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert focus_ring != "none", "the focused card has no visible focus"
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1, name=title)).to_be_visible()
    _tab_to(page, "el.tagName === 'BUTTON' && el.textContent.trim() === 'Play'")
    page.keyboard.press("Enter")
    wait_playing_and_advancing(page)

    page.focus("video")  # the video has the focus (clicked, or after "Resume")
    page.keyboard.press("Space")  # pause, once: not undone by the native controls
    wait_js(page, "document.querySelector('video').paused")
    before = video_time(page)
    page.keyboard.press("ArrowRight")
    wait_js(page, f"document.querySelector('video').currentTime >= {before} + 9")
    assert video_time(page) < before + 12, "the seek landed twice (ours and the browser's)"
    page.keyboard.press("Space")  # play again
    wait_playing_and_advancing(page)
    page.keyboard.press("m")
    wait_js(page, "document.querySelector('video').muted")
    page.keyboard.press("m")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    wait_js(page, "document.querySelector('video').currentTime >= 13")
    page.keyboard.press("Space")  # pause: saves progress
    wait_js(page, "document.querySelector('video').paused")
    bearer = token(stack, email, USER_PASSWORD)
    items = progress_items(stack, bearer)
    page.keyboard.press("Escape")
    expect(page.get_by_role("heading", level=1, name=title)).to_be_visible()
    assert not page.js_errors, page.js_errors
    if items is None:
        pytest.fail(NO_PROGRESS)

    _tab_to(page, "el.tagName === 'BUTTON' && el.textContent.trim() === 'Play'")
    page.keyboard.press("Enter")
    page.get_by_role("button", name=re.compile(r"^Resume from")).wait_for()
    assert page.evaluate("document.activeElement.textContent").startswith("Resume from")
    page.keyboard.press("Enter")
    wait_playing_and_advancing(page)
    assert video_time(page) >= 5
