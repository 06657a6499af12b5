"""The player's subtitle picker in a real browser: the engine's subtitle routes (answered
here by the browser's router, with the CORS header the engine sends) give tracks; none is
shown until chosen; a chosen one becomes a <track> of the one video, showing its cues under
the client's CSP; the choice is remembered for the next film. Without the routes, nothing
breaks. A track embedded in the video is served by time window: chosen, it is loaded window
by window (the one at the playhead and the next, each once, a timed-out one again later)."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

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


EMBEDDED = {"index": 2, "label": "English (embedded)", "language": "en", "format": "tx3g",
            "forced": False, "sdh": False, "name": "SubtitleHandler", "size_bytes": 812,
            "path": "subtitles/2.vtt", "embedded": True, "window_seconds": 10}  # fmt: skip
VIDEO = "document.querySelector('video')"
EMBEDDED_TRACK = f"[...{VIDEO}.textTracks].find(t => t.label === 'English (embedded)')"
TIMEOUT = '{"error": {"code": "subtitle_timeout", "message": "the pieces are late"}}'


def _text(start: int) -> str:
    return f"<i>Window {start}</i>\nfrom the film"


def _window_routes(page: Any, windows: list[tuple[float, float]]) -> None:
    """The engine's routes with an embedded track whose cues are served by time window: one
    cue per 10 s window, lasting the whole window; the window at 10 s times out once."""

    def listing(route: Any) -> None:
        route.fulfill(status=200, headers=CORS, content_type="application/json",
                      body=json.dumps({"tracks": [TRACKS[1], EMBEDDED]}))  # fmt: skip

    def window(route: Any) -> None:
        query = parse_qs(urlsplit(route.request.url).query)
        start, end = float(query["from"][0]), float(query["to"][0])
        windows.append((start, end))
        if start == 10 and windows.count((start, end)) == 1:
            route.fulfill(status=504, headers=CORS, content_type="application/json", body=TIMEOUT)
            return
        s = int(start)
        cue = f"w{s}\n00:00:{s:02d}.000 --> 00:00:{s + 10:02d}.000\n{_text(s)}\n"
        body = "WEBVTT\n\n" + (cue if s < 30 else "")  # the film is 30 s long
        route.fulfill(status=200, headers=CORS, content_type="text/vtt; charset=utf-8", body=body)

    page.route("**/stream/*/subtitles", listing)
    page.route(re.compile(r"/stream/[^/]+/subtitles/2\.vtt\?"), window)


def _cue_texts(page: Any) -> list[str]:
    texts: list[str] = page.evaluate(f"[...(({EMBEDDED_TRACK}).cues || [])].map(c => c.text)")
    return texts


def test_an_embedded_track_is_loaded_window_by_window_as_the_film_plays(
    new_page: Any, stack: Stack
) -> None:
    create_user(stack, "embedded@example.test")
    page = new_page()
    windows: list[tuple[float, float]] = []
    _window_routes(page, windows)
    sign_in(page, "embedded@example.test", USER_PASSWORD)
    page.goto(f"/watch/{stack.playable[-1]}")
    wait_js(page, "document.querySelector('video')?.dataset.state === 'playing'", 60_000)
    picker = page.get_by_label("Subtitles")
    expect(picker).to_have_value("off")
    assert windows == [], "a window was fetched before a choice"
    page.evaluate(f"{VIDEO}.pause(); {VIDEO}.currentTime = 2")

    picker.select_option(label="English (embedded)")
    wait_js(page, f"({EMBEDDED_TRACK})?.mode === 'showing'")
    wait_js(page, f"({EMBEDDED_TRACK}).activeCues?.[0]?.text === {json.dumps(_text(0))}")
    assert page.evaluate("document.querySelectorAll('video track').length") == 0  # no blob
    screenshot(page, "player-subtitles-embedded")
    # the next window timed out (504): asked again a few seconds later, then shown
    wait_js(page, f"({EMBEDDED_TRACK}).cues.length === 2", 15_000)
    assert windows == [(0, 10), (10, 20), (10, 20)]

    page.evaluate(f"{VIDEO}.currentTime = 25")
    wait_js(page, f"({EMBEDDED_TRACK}).activeCues?.[0]?.text === {json.dumps(_text(20))}")
    page.wait_for_timeout(1500)  # a few more ticks: nothing is asked twice
    assert sorted(_cue_texts(page)) == [_text(s) for s in (0, 10, 20)]
    assert windows[:3] == [(0, 10), (10, 20), (10, 20)]
    assert sorted(set(windows[3:])) == sorted(windows[3:]) and (20, 30) in windows[3:]
    assert set(windows[3:]) <= {(20, 30), (30, 40)}  # 30 s: only past the end when it is longer
    screenshot(page, "player-subtitles-embedded-later")

    picker.select_option("off")
    wait_js(page, f"({EMBEDDED_TRACK}).mode === 'disabled'")
    assert page.evaluate(f"({EMBEDDED_TRACK}).activeCues") is None
    assert page.js_errors == []


def test_the_text_tracks_inside_a_real_film_show_as_it_plays(new_page: Any, stack: Stack) -> None:
    """No routes here: the demo's 1080p film carries English and Spanish text tracks
    (mov_text) and the real engine serves them by window from its index and pieces."""
    create_user(stack, "inside@example.test")
    page = new_page()
    sign_in(page, "inside@example.test", USER_PASSWORD)
    page.goto(f"/watch/{stack.playable[2]}")  # the demo videos in order: 720p, 720p, 1080p
    wait_js(page, "document.querySelector('video')?.dataset.state === 'playing'", 60_000)
    picker = page.get_by_label("Subtitles")
    expect(picker.locator("option", has_text="Spanish (embedded)")).to_have_count(1)
    page.evaluate(f"{VIDEO}.pause(); {VIDEO}.currentTime = 1")
    picker.select_option(label="English (embedded)")
    shown = "[...document.querySelector('video').textTracks].find(t => t.mode === 'showing')"
    cue = f"({shown})?.activeCues?.[0]?.text"
    wait_js(page, f"{cue} === '<i>Demo 1080p</i>: second 0'")
    page.evaluate(f"{VIDEO}.currentTime = 13")
    wait_js(page, f"{cue} === '<i>Demo 1080p</i>: second 12'")
    picker.select_option(label="Spanish (embedded)")
    spanish = json.dumps("Segundo 12: ¿Qué tal?\n¡Buenos días!")
    wait_js(page, f"({shown})?.label === 'Spanish (embedded)' && {cue} === {spanish}")
    screenshot(page, "player-subtitles-inside-the-film")
    assert page.js_errors == []
