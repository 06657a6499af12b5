"""The player's remote keys in the packaged app: pause / play, the stats overlay (blue),
the next source (green), previous/next on a movie, Stop; the screen saver follows."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.tizen.conftest import TvApp, screenshot
from tests.tizen.remote import (
    BLUE,
    GREEN,
    OK,
    PAUSE,
    PLAY,
    PLAYING,
    RED,
    STOP,
    press,
    wait_focus,
    wait_js,
    walk_to_playable,
)
from tests.web.stack import ADMIN_EMAIL, ADMIN_PASSWORD

pytestmark = pytest.mark.slow
NEXT_TRACK = 10233
NOTE = "document.getElementById('player-note').textContent"


def _signed_in(page: Any, tv_app: TvApp) -> None:
    """Seed what first run stores (server, tokens from the JSON flow), then restart."""
    answer = httpx.post(
        f"{tv_app.stack.api}/api/auth/login",
        json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "mode": "token"},
        timeout=10,
    )
    answer.raise_for_status()
    tokens = json.dumps(answer.json())
    page.evaluate(
        "([server, tokens]) => { localStorage.setItem('miauflix.server', server);"
        " localStorage.setItem('miauflix.tokens', tokens); }",
        [tv_app.stack.api, tokens],
    )
    page.reload()
    wait_js(page, "document.activeElement && document.activeElement.classList.contains('card')")


def test_media_and_colour_keys_drive_the_player(tv_page: Any, tv_app: TvApp) -> None:
    page = tv_page(1920, 1080)
    _signed_in(page, tv_app)
    walk_to_playable(page, tv_app.stack.playable)
    press(page, OK)
    wait_focus(page, "play")
    sources = page.evaluate("document.querySelectorAll('#sources .source:not([disabled])').length")
    press(page, OK)
    wait_js(page, PLAYING, 90_000)

    press(page, PAUSE)
    wait_js(page, "document.querySelector('.player').dataset.state === 'paused'")
    assert page.evaluate("window.__tv.screenSaver.slice(-1)[0]") == 1  # back on while paused
    press(page, PLAY)
    wait_js(page, PLAYING, 60_000)
    assert page.evaluate("window.__tv.screenSaver.slice(-1)[0]") == 0

    press(page, BLUE)
    wait_js(page, "!document.getElementById('stats').classList.contains('hidden')")
    assert "State" in page.evaluate("document.getElementById('stats').textContent")
    screenshot(page, "player-stats")
    press(page, BLUE)
    wait_js(page, "document.getElementById('stats').classList.contains('hidden')")

    press(page, NEXT_TRACK)
    wait_js(page, f"{NOTE}.includes('No next episode')")
    press(page, GREEN)
    expected = "Trying the next source" if sources > 1 else "No other source"
    wait_js(page, f"{NOTE}.includes({expected!r})")

    press(page, STOP)
    wait_focus(page, "play")
    assert "MediaPlayPause" not in page.evaluate("window.__tv.registered")
    assert page.js_errors == []


def test_red_cycles_through_the_films_own_subtitle_tracks(tv_page: Any, tv_app: TvApp) -> None:
    """The demo's 1080p film carries English and Spanish text tracks: red shows one, then
    the other, then none; the real engine serves their cues window by window."""
    page = tv_page(1920, 1080)
    _signed_in(page, tv_app)
    walk_to_playable(page, [tv_app.stack.playable[2]])  # the demo videos in order: 1080p third
    press(page, OK)
    wait_focus(page, "play")
    press(page, OK)
    wait_js(page, PLAYING, 90_000)
    showing = "[...document.querySelector('video').textTracks].find(t => t.mode === 'showing')"
    press(page, RED)
    wait_js(page, f"{NOTE}.includes('Subtitles: English (embedded)')")
    wait_js(page, f"({showing})?.activeCues?.length > 0", 30_000)
    assert page.evaluate(f"({showing}).label") == "English (embedded)"
    screenshot(page, "player-subtitles-inside-the-film")
    press(page, RED)
    wait_js(page, f"{NOTE}.includes('Subtitles: Spanish (embedded)')")
    wait_js(page, f"({showing})?.label === 'Spanish (embedded)' && ({showing}).cues.length > 0")
    press(page, RED)
    wait_js(page, f"{NOTE}.includes('Subtitles off')")
    assert page.evaluate(f"({showing}) === undefined")
    assert page.js_errors == []
