"""The player's subtitle picker in a real browser: the engine's subtitle routes (answered
here by the browser's router, with the CORS header the engine sends) give tracks; none is
shown until chosen; a chosen one becomes a <track> of the one video, showing its cues under
the client's CSP; the choice is remembered for the next film. Without the routes, nothing
breaks."""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.web.conftest import screenshot
from tests.web.helpers import USER_PASSWORD, create_user, sign_in, wait_js
from tests.web.stack import Stack

pytestmark = pytest.mark.slow
CORS = {"Access-Control-Allow-Origin": "*"}
TRACKS = [
    {"index": 0, "label": "English", "language": "en", "format": "srt", "forced": False,
     "sdh": False, "name": "Movie.en.srt", "size_bytes": 100, "path": "subtitles/0.vtt"},
    {"index": 1, "label": "Spanish", "language": "es", "format": "ass", "forced": False,
     "sdh": False, "name": "Spanish.ass", "size_bytes": 100, "path": "subtitles/1.vtt"},
]  # fmt: skip
SPANISH_VTT = "WEBVTT\n\n00:00:00.000 --> 01:00:00.000\n¿Dónde está el niño?\n"


def _engine_routes(page: Any, asked: list[str]) -> None:
    def listing(route: Any) -> None:
        asked.append(route.request.url)
        route.fulfill(status=200, headers=CORS, content_type="application/json",
                      body=json.dumps({"tracks": TRACKS}))  # fmt: skip

    def vtt(route: Any) -> None:
        asked.append(route.request.url)
        route.fulfill(status=200, headers=CORS, content_type="text/vtt; charset=utf-8",
                      body=SPANISH_VTT)  # fmt: skip

    page.route("**/stream/*/subtitles", listing)
    page.route("**/stream/*/subtitles/*.vtt", vtt)


SHOWING = (
    "(v => v && document.querySelectorAll('video').length === 1"
    " && v.querySelectorAll('track').length === 1 && v.textTracks[0].mode === 'showing'"
    " && v.textTracks[0].cues && v.textTracks[0].cues.length === 1"
    " && v.textTracks[0].cues[0].text === '¿Dónde está el niño?')(document.querySelector('video'))"
)


def test_subtitles_are_off_until_chosen_then_shown_and_remembered(
    new_page: Any, stack: Stack
) -> None:
    create_user(stack, "subtitles@example.test")
    page = new_page()
    asked: list[str] = []
    _engine_routes(page, asked)
    sign_in(page, "subtitles@example.test", USER_PASSWORD)
    page.goto(f"/watch/{stack.playable[-1]}")
    picker = page.get_by_label("Subtitles")
    expect(picker).to_have_value("off", timeout=60_000)
    assert page.evaluate("document.querySelectorAll('video track').length") == 0
    assert not any(url.endswith(".vtt") for url in asked), "a track was fetched before a choice"

    picker.select_option(label="Spanish")
    wait_js(page, SHOWING)
    vtt_url = next(url for url in asked if url.endswith(".vtt"))
    assert vtt_url.startswith(stack.engine) and vtt_url.endswith("/subtitles/1.vtt")
    assert page.evaluate("localStorage.getItem('miauflix.subtitles')") == "es"
    screenshot(page, "player-subtitles")

    page.reload()  # the next film: Spanish is chosen at once
    expect(page.get_by_label("Subtitles")).to_have_value("1", timeout=60_000)
    wait_js(page, SHOWING)

    page.get_by_label("Subtitles").select_option("off")
    wait_js(page, "document.querySelector('video').textTracks[0].mode === 'disabled'")
    assert page.evaluate("localStorage.getItem('miauflix.subtitles')") == "off"
    assert page.js_errors == []


def test_a_player_without_subtitle_routes_shows_no_picker(new_page: Any, stack: Stack) -> None:
    create_user(stack, "nosubs@example.test")
    page = new_page()
    page.route(
        "**/stream/*/subtitles",
        lambda route: route.fulfill(status=404, headers=CORS, content_type="application/json",
                                    body='{"error": {"code": "not_found", "message": "no"}}'),
    )  # fmt: skip
    sign_in(page, "nosubs@example.test", USER_PASSWORD)
    page.evaluate("localStorage.setItem('miauflix.subtitles', 'es')")
    page.goto(f"/watch/{stack.playable[-1]}")
    wait_js(page, "document.querySelector('video')?.dataset.state === 'playing'", 60_000)
    expect(page.get_by_label("Subtitles")).to_have_count(0)
    assert page.evaluate("document.querySelectorAll('video track').length") == 0
    assert page.js_errors == []
