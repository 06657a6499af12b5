"""Embedded subtitle tracks served by time window (web/src/core/api.js): the window URL of a
track (``?from=&to=`` in whole seconds, aligned, index and length sanitised) and the WebVTT
cue parser that turns a window's answer into ``{start, end, text}`` cues. The parser is fed
hostile text too: no header, garbage or reversed timings, 2 MB of junk, all without a crash
and with the bad cues skipped. Then the player (web/src/core/player.js) on a recording video
element: which windows it asks for and when, retries, stale answers and clearing. Run in
Node, as the client's other core modules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.helpers.node import run_module_script

CORE = Path(__file__).resolve().parents[2] / "web" / "src" / "core"
API = CORE / "api.js"
SRC = "http://127.0.0.1:8001/stream/abc/subtitles/2.vtt"

PARSE = """
import { parseVttCues } from %(module)s;
const input = JSON.parse(process.argv[1]);
const texts = { ...input, junk: "\\u0000<>-->\\n\\n99:99.999 --> x\\r".repeat(80000),
  junkWithHeader: "WEBVTT\\n\\n" + "01:00.000 --> 00:59.999\\n-->\\n\\n\\n".repeat(80000) + "zz" };
const out = {};
for (const [name, text] of Object.entries(texts)) out[name] = parseVttCues(text);
console.log(JSON.stringify(out));
"""

URLS = """
import { subtitleWindowUrl } from %(module)s;
const cases = JSON.parse(process.argv[1]);
const urls = cases.map(([src, i, s]) => subtitleWindowUrl(src, i ?? undefined, s ?? undefined));
console.log(JSON.stringify(urls));
"""

GOOD = (
    "WEBVTT - embedded\n\n"
    "NOTE a comment --> not a cue\n\n"
    "STYLE\n::cue { color: yellow }\n\n"
    "1\n00:01:00.000 --> 00:01:02.500 align:start line:90%\n<i>Hello</i>\nsecond line\n\n"
    "00:01:03.250 --> 00:01:04.000\r\nCRLF cue\r\n\r\n"
    "01:02:03.004 --> 01:02:05.000\nan hour in\n"
)


def _parse(**texts: Any) -> dict[str, Any]:
    result: dict[str, Any] = run_module_script(PARSE, API, texts)
    return result


def test_cues_are_parsed_with_absolute_times_and_multiline_text() -> None:
    assert _parse(good=GOOD)["good"] == [
        {"start": 60, "end": 62.5, "text": "<i>Hello</i>\nsecond line"},
        {"start": 63.25, "end": 64, "text": "CRLF cue"},
        {"start": 3723.004, "end": 3725, "text": "an hour in"},
    ]


def test_malformed_text_gives_no_crash_and_skips_only_the_bad_cues() -> None:
    out = _parse(
        no_header="00:00:01.000 --> 00:00:02.000\nno header\n",
        empty="WEBVTT\n\n",
        not_a_string=None,
        bad=(
            "\ufeffWEBVTT\n\n"
            "00:00:05.000 --> 00:00:04.000\nend before start\n\n"
            "00:00:05.000 --> 00:00:05.000\nzero length\n\n"
            "00:00:61.000 --> 00:01:02.000\nsixty-one seconds\n\n"
            "0:0:1.0 --> 0:0:2.0\nshort fields\n\n"
            "garbage --> more garbage\ntext\n\n"
            "00:00:01.000 -> 00:00:02.000\none-dash arrow\n\n"
            "00:00:01.000 --> 00:00:02.000\n\n"  # no text
            "id\nother\n00:00:01.000 --> 00:00:02.000\narrow on the third line\n\n"
            "00:00:07.000 --> 00:00:08.000\nkept\n"
        ),
        header_glued="WEBVTTX\n\n00:00:01.000 --> 00:00:02.000\nnot WebVTT\n",
    )
    assert out["no_header"] == [] and out["empty"] == [] and out["not_a_string"] == []
    assert out["header_glued"] == []
    assert out["bad"] == [{"start": 7, "end": 8, "text": "kept"}]
    assert out["junk"] == [] and out["junkWithHeader"] == []


@pytest.mark.parametrize(
    ("case", "url"),
    [
        ((SRC, 0, 60), f"{SRC}?from=0&to=60"),
        ((SRC, 3, 60), f"{SRC}?from=180&to=240"),
        ((SRC, 2, 10), f"{SRC}?from=20&to=30"),
        ((SRC, 1, None), f"{SRC}?from=60&to=120"),  # default length
        ((SRC, 1, 10_000), f"{SRC}?from=600&to=1200"),  # at most 600 s
        ((SRC, 1, 0), f"{SRC}?from=5&to=10"),  # at least 5 s
        ((SRC, 1, "60"), f"{SRC}?from=60&to=120"),  # not a number: the default
        ((SRC, -2, 60), f"{SRC}?from=0&to=60"),
        ((SRC, 1.7, 60), f"{SRC}?from=60&to=120"),
        ((SRC, None, 60), f"{SRC}?from=0&to=60"),
        ((f"{SRC}?v=1", 1, 30), f"{SRC}?v=1&from=30&to=60"),
    ],
)
def test_window_urls_are_aligned_and_sanitised(case: list[Any], url: str) -> None:
    assert run_module_script(URLS, API, [case]) == [url]


PLAYER = r"""
import { createPlayer } from %(module)s;
globalThis.VTTCue = class {
  constructor(start, end, text) { Object.assign(this, { start, end, text }); }
};
const made = [];
const handlers = {};
const video = {
  currentTime: 2, duration: 40, paused: true, ended: false, readyState: 4, error: null,
  muted: false, src: "", textTracks: null, videoWidth: 0, videoHeight: 0,
  play() { return Promise.resolve(); }, pause() {}, load() {}, appendChild() {},
  getAttribute(name) { return name === "src" ? this.src : null; },
  removeAttribute() { this.src = ""; },
  addEventListener(name, fn) { handlers[name] = fn; },
  removeEventListener(name) { delete handlers[name]; },
  addTextTrack(kind, label, language) {
    const track = { kind, label, language, mode: "hidden", list: [],
      addCue(cue) { this.list.push(cue); },
      removeCue(cue) {
        if (!this.list.includes(cue)) throw new Error("NotFoundError");
        this.list = this.list.filter((c) => c !== cue);
      } };
    made.push(track);
    return track;
  },
};
const respond = (status, body) => ({ ok: status < 300, status, statusText: "",
  headers: { get: () => null }, json: async () => JSON.parse(body), text: async () => body });
const LISTING = JSON.stringify({ tracks: [{ index: 0, label: "English (embedded)", language: "en",
  embedded: true, window_seconds: 10 }] });
let clock = 0;
let streams = 0;
const asked = [];
const pending = {};
const fetchEngine = (url) => {
  if (url.endsWith("/subtitles")) return Promise.resolve(respond(200, LISTING));
  const key = url.replace(/^.*\/stream\/([^/]+)\/subtitles\/0\.vtt\?from=(\d+)&to=\d+$/, "$1@$2");
  asked.push(key);
  return new Promise((resolve) => { pending[key] = resolve; });
};
const answer = (key, status, body) => pending[key](respond(status, body));
const at = (s) => `00:00:${String(s).padStart(2, "0")}.000`;
const cue = (s) => `WEBVTT\n\n${at(s)} --> ${at(s + 5)}\nat ${s}\n`;
const settle = () => new Promise((r) => setTimeout(r, 20));
const fire = async (name) => { handlers[name]({ type: name }); await settle(); };
const track = () => made[0];
const texts = () => track().list.map((c) => c.text);
const out = {};
const player = createPlayer({
  api: { status: async () => ({}) }, sources: [{ source_id: "a" }], now: () => clock,
  requestStream: async () => ({ stream_url: `http://e/stream/k${++streams}`, expires_at: null }),
  fetchEngine, fetchStatus: async () => respond(404, "{}"), probeEngine: async () => ({}),
  subtitleLanguage: "en",
});
player.attach(video);
await player.start(0);
await settle();
out.chosen = { asked: [...asked], mode: track().mode, subtitle: player.snapshot().subtitle };
await fire("timeupdate");
out.whilePending = [...asked];
answer("k1@0", 200, cue(0));
answer("k1@10", 504, '{"error": {"code": "subtitle_timeout", "message": "late"}}');
await settle();
clock = 1000; await fire("timeupdate");
out.afterFailure = { asked: [...asked], texts: texts() };
clock = 4000; await fire("timeupdate");
answer("k1@10", 200, cue(10));
await settle();
out.retried = { asked: [...asked], texts: texts() };
video.currentTime = 25; await fire("seeking"); await fire("seeking"); await fire("timeupdate");
answer("k1@30", 404, '{"error": {"code": "subtitle_not_found", "message": "no"}}');
await settle();
clock = 60000; await fire("timeupdate");
out.seeked = [...asked];
await player.retry(); // a new stream: the track is cleared, then chosen again
await settle();
out.cleared = { texts: texts(), tracks: made.length, mode: track().mode, asked: [...asked] };
answer("k1@20", 200, cue(20)); // the old stream's answer, late
answer("k2@20", 200, cue(21));
await settle();
out.stale = texts();
await player.selectSubtitle(null);
out.off = { mode: track().mode, subtitle: player.snapshot().subtitle };
player.detach();
out.detached = { texts: texts(), mode: track().mode };
console.log(JSON.stringify(out));
"""


def test_the_player_loads_windows_once_retries_late_ones_and_drops_stale_ones() -> None:
    out = run_module_script(PLAYER, CORE / "player.js")
    # chosen at start (the remembered language): the window at the playhead and the next
    assert out["chosen"] == {"asked": ["k1@0", "k1@10"], "mode": "showing", "subtitle": 0}
    assert out["whilePending"] == ["k1@0", "k1@10"]  # never the same window twice at once
    assert out["afterFailure"] == {"asked": ["k1@0", "k1@10"], "texts": ["at 0"]}
    assert out["retried"] == {"asked": ["k1@0", "k1@10", "k1@10"], "texts": ["at 0", "at 10"]}
    # a seek asks for its windows once; one refused (404) is not asked again
    assert out["seeked"] == ["k1@0", "k1@10", "k1@10", "k1@20", "k1@30"]
    # a new stream: the cues are gone and the same TextTrack is reused, shown again
    assert out["cleared"]["texts"] == [] and out["cleared"]["tracks"] == 1
    assert out["cleared"]["mode"] == "showing"
    # at 25 s, 5 s into its window: the previous window too (a cue begun there may still run)
    assert out["cleared"]["asked"][5:] == ["k2@10", "k2@20", "k2@30"]
    assert out["stale"] == ["at 21"]
    assert out["off"] == {"mode": "disabled", "subtitle": None}
    assert out["detached"] == {"texts": [], "mode": "disabled"}
