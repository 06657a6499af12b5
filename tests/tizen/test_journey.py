"""The TV journey on the remote only, in the packaged app against a real stack: first run
(server address, sign in) → home → a movie → Play → playing → fast forward / rewind →
Back to the movie (focus on Play) → Back home → Back asks before exiting → Exit; at
1920x1080 and 1280x720, with screenshots."""

from __future__ import annotations

from typing import Any

import pytest

from tests.tizen.conftest import TvApp, screenshot
from tests.tizen.remote import (
    BACK,
    FAST_FORWARD,
    OK,
    PLAYING,
    REWIND,
    RIGHT,
    focused,
    press,
    video_time,
    wait_focus,
    wait_js,
    walk_to_playable,
)
from tests.web.stack import ADMIN_EMAIL, ADMIN_PASSWORD

pytestmark = pytest.mark.slow

VIDEO = "document.querySelector('video')"
HOME_FOCUSED = "document.activeElement && document.activeElement.classList.contains('card')"
STARTUP_KEYS = {"MediaPlay", "MediaPause", "MediaRewind", "MediaFastForward", "ColorF0Red"}


def _first_run(page: Any, tv_app: TvApp, size: str) -> None:
    wait_focus(page, "server")
    screenshot(page, f"{size}-1-server")
    page.keyboard.type(tv_app.stack.api.removeprefix("http://"))  # typed on the TV's keyboard
    press(page, OK)
    assert focused(page) == "server-continue"
    press(page, OK)
    wait_focus(page, "email")
    screenshot(page, f"{size}-2-sign-in")
    page.keyboard.type(ADMIN_EMAIL)
    press(page, OK)
    assert focused(page) == "password"
    page.keyboard.type(ADMIN_PASSWORD)
    press(page, OK)
    assert focused(page) == "signin"
    press(page, OK)
    wait_js(page, HOME_FOCUSED)


@pytest.mark.parametrize(("width", "height"), [(1920, 1080), (1280, 720)])
def test_remote_journey_from_first_run_to_exit(
    tv_page: Any, tv_app: TvApp, width: int, height: int
) -> None:
    size = f"{width}x{height}"
    page = tv_page(width, height)
    _first_run(page, tv_app, size)
    registered = page.evaluate("window.__tv.registered")
    assert set(registered) >= STARTUP_KEYS
    assert "MediaPlayPause" not in registered  # only while the player is open
    assert page.evaluate("!!localStorage.getItem('miauflix.tokens')")
    screenshot(page, f"{size}-3-home")

    card = walk_to_playable(page, tv_app.stack.playable)
    screenshot(page, f"{size}-4-home-focus")
    press(page, OK)
    wait_focus(page, "play")
    screenshot(page, f"{size}-5-movie")

    press(page, OK)
    wait_js(page, PLAYING, 90_000)
    start = video_time(page)
    wait_js(page, f"{VIDEO}.currentTime > {start} + 0.5", 60_000)
    assert "MediaPlayPause" in page.evaluate("window.__tv.registered")
    assert page.evaluate("window.__tv.screenSaver").count(0) >= 1  # SCREEN_SAVER_OFF
    screenshot(page, f"{size}-6-playing")

    before = video_time(page)
    press(page, FAST_FORWARD)
    wait_js(page, f"{VIDEO}.currentTime >= {before} + 8", 60_000)
    wait_js(page, PLAYING, 60_000)
    before = video_time(page)
    press(page, REWIND)
    wait_js(page, f"{VIDEO}.currentTime <= {before} - 5", 60_000)
    screenshot(page, f"{size}-7-after-seek")

    press(page, BACK)
    wait_focus(page, "play")
    assert page.evaluate("document.querySelector('.player') === null")
    assert "MediaPlayPause" not in page.evaluate("window.__tv.registered")
    assert page.evaluate("window.__tv.screenSaver.slice(-1)[0]") == 1  # restored

    press(page, BACK)
    wait_focus(page, card)  # the row remembers the card
    tmdb_id = page.evaluate(f"document.getElementById({card!r}).dataset.tmdbId")
    wait_js(page, f"document.querySelector('#row-continue [data-tmdb-id=\"{tmdb_id}\"]')")
    assert focused(page) == card  # refreshing "Continue watching" kept the focus
    press(page, BACK)
    wait_focus(page, "exit-no")
    screenshot(page, f"{size}-8-exit")
    press(page, BACK)  # Back closes the question: nothing exits
    wait_focus(page, card)
    assert page.evaluate("window.__tv.exited") == 0
    press(page, BACK)
    wait_focus(page, "exit-no")
    press(page, RIGHT)
    assert focused(page) == "exit-yes"
    press(page, OK)
    wait_js(page, "window.__tv.exited === 1")
    assert page.js_errors == []
