"""A show on the remote only, in the packaged app against a real stack with a seeded season
pack: first run with the pairing code the web client shows → home → a show → season →
episode → playing → Next → the next episode plays → Previous → Next → it ends → "up next"
(Back cancels the countdown, OK plays it) → Back to the show page, focus on the episode
last played and fresh watched marks; at 1920x1080 and 1280x720, with screenshots."""

from __future__ import annotations

from typing import Any

import pytest

from serve.pairing import Address, encode
from tests.tizen.conftest import TvApp, screenshot
from tests.tizen.remote import (
    BACK,
    DOWN,
    LEFT,
    NEXT,
    OK,
    PLAYING,
    PREVIOUS,
    RIGHT,
    focused,
    press,
    wait_focus,
    wait_js,
    walk_to_card,
)
from tests.web.helpers import USER_PASSWORD, create_user
from tests.web.shows_stack import SHOW_ID, ShowSwarm

pytestmark = pytest.mark.slow

HOME_FOCUSED = "document.activeElement && document.activeElement.classList.contains('card')"


def _title(season: int, episode: int) -> str:
    return f"episode:{SHOW_ID}:{season}:{episode}"


def _playing(page: Any, season: int, episode: int) -> None:
    """Wait until the player plays (season, episode)."""
    title = _title(season, episode)
    wait_js(page, f"(p => p && p.dataset.title === {title!r})(document.querySelector('.player'))")
    wait_js(page, PLAYING, 90_000)
    assert page.evaluate("document.querySelector('.player').dataset.title") == title


def _first_run_with_code(page: Any, tv_app: TvApp, email: str) -> str:
    """First run with the code for the stack's address, signed in as `email` (a new
    viewer: no progress yet)."""
    create_user(tv_app.stack, email)
    host, port = tv_app.stack.api.removeprefix("http://").split(":")
    code = encode(Address("http", host, int(port)))
    wait_focus(page, "server")
    page.keyboard.type(code.lower().replace("-", " "))  # as loosely as a person types it
    press(page, OK, OK)
    wait_focus(page, "email")
    assert page.evaluate("localStorage.getItem('miauflix.server')") == tv_app.stack.api
    page.keyboard.type(email)
    press(page, OK)
    page.keyboard.type(USER_PASSWORD)
    press(page, OK, OK)
    wait_js(page, HOME_FOCUSED)
    return code


@pytest.mark.parametrize(("width", "height"), [(1920, 1080), (1280, 720)])
def test_remote_journey_through_a_show_with_next_previous_and_up_next(
    tv_page: Any, tv_app: TvApp, tv_show: ShowSwarm, width: int, height: int
) -> None:
    size = f"{width}x{height}"
    page = tv_page(width, height)
    _first_run_with_code(page, tv_app, f"tv-show-{size}@example.test")
    wait_js(page, f"document.querySelector('#row-shows-popular [data-show-id=\"{SHOW_ID}\"]')")
    card = walk_to_card(page, f"#row-shows-popular [data-show-id='{SHOW_ID}']")
    screenshot(page, f"{size}-show-1-home")
    press(page, OK)
    wait_focus(page, "play-next")
    assert page.evaluate("document.getElementById('play-next').textContent") == "Play S1 · E1"

    # The season row: season 2 shows its one episode, season 1 its three.
    press(page, DOWN)
    assert focused(page) == "season-1"
    press(page, RIGHT, OK)
    wait_js(page, "document.getElementById('episode-2-1')")
    assert page.evaluate("document.querySelectorAll('.episode').length") == 1
    press(page, LEFT, OK)
    wait_js(page, "document.querySelectorAll('.episode').length === 3")
    screenshot(page, f"{size}-show-2-page")
    press(page, DOWN)
    assert focused(page) == "episode-1-1"

    press(page, OK)
    _playing(page, 1, 1)
    assert "MediaPlayPause" in page.evaluate("window.__tv.registered")
    press(page, NEXT)
    _playing(page, 1, 2)
    screenshot(page, f"{size}-show-3-playing")
    press(page, PREVIOUS)
    _playing(page, 1, 1)
    press(page, NEXT)
    _playing(page, 1, 2)

    # S1 · E2 ends: "up next" counts down to S1 · E3; Back stops it, OK plays it.
    wait_js(page, "document.activeElement && document.activeElement.id === 'next-play-now'", 60_000)
    wait_js(page, "document.getElementById('next-count').textContent.includes('Starts in')")
    assert "S1 · E3: The Turn" in page.evaluate("document.getElementById('up-next').textContent")
    screenshot(page, f"{size}-show-4-up-next")
    press(page, BACK)
    wait_js(page, "document.getElementById('next-count').textContent === 'Autoplay cancelled.'")
    assert focused(page) == "next-play-now"
    assert page.evaluate("document.querySelector('.player') !== null")  # still in the player
    press(page, OK)
    _playing(page, 1, 3)

    press(page, BACK)
    wait_focus(page, "episode-1-3")  # the episode last played, not the one OK started
    assert page.evaluate("document.querySelector('.player') === null")
    assert "MediaPlayPause" not in page.evaluate("window.__tv.registered")
    assert page.evaluate("window.__tv.screenSaver.slice(-1)[0]") == 1  # restored
    wait_js(page, "document.getElementById('episode-1-2').classList.contains('watched')")
    screenshot(page, f"{size}-show-5-back")

    press(page, BACK)
    wait_focus(page, card)  # home, on the show's card
    wait_js(page, f"document.querySelector('#row-continue [data-show-id=\"{SHOW_ID}\"]')")
    assert page.js_errors == []
