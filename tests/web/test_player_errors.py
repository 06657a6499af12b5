"""What the player (web/src/core/player.js, shared by the TV app) says when the video element
fails: after a stall, the engine ended a response whose pieces never came, and the element
reports that as an unplayable source (code 4); the person is told no data came, not that
the format does not play. Without a stall, the element's own reason is kept. Run in Node
on a recording video element, as the client's other core modules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.helpers.node import run_module_script

PLAYER = Path(__file__).resolve().parents[2] / "web" / "src" / "core" / "player.js"

SCRIPT = r"""
import { createPlayer, ERROR_TEXT } from %(module)s;
const { stallFirst } = JSON.parse(process.argv[1]);
const handlers = {};
const video = {
  currentTime: 0, duration: NaN, paused: true, ended: false, readyState: 0, error: null,
  muted: false, src: "", textTracks: null, videoWidth: 0, videoHeight: 0,
  play() { return Promise.resolve(); }, pause() {}, load() {}, appendChild() {},
  getAttribute(name) { return name === "src" ? this.src : null; },
  setAttribute(name, value) { if (name === "src") this.src = value; },
  removeAttribute() { this.src = ""; },
  addEventListener(name, fn) { handlers[name] = fn; },
  removeEventListener(name) { delete handlers[name]; },
};
const respond = (status, body) => ({ ok: status < 300, status, statusText: "",
  headers: { get: () => null }, json: async () => JSON.parse(body), text: async () => body });
let clock = 1000;
const settle = () => new Promise((r) => setTimeout(r, 20));
const player = createPlayer({
  api: { status: async () => ({}) }, sources: [{ source_id: "a" }, { source_id: "b" }],
  now: () => clock, stallMs: 5000,
  requestStream: async () => ({ stream_url: "http://e/stream/k1", expires_at: null }),
  fetchEngine: async () => respond(404, "{}"), fetchStatus: async () => respond(404, "{}"),
  probeEngine: async () => ({}),
});
player.attach(video);
await player.start(0);
handlers.loadstart({ type: "loadstart" });
let stalled = false;
if (stallFirst) {
  clock += 6000; // no byte for longer than stallMs: the 1 s tick marks the stall
  for (let i = 0; i < 250 && !player.snapshot().stalled; i++) await settle();
  stalled = player.snapshot().stalled;
}
video.error = { code: 4, message: "MEDIA_ELEMENT_ERROR: Format error" };
handlers.error({ type: "error" });
for (let i = 0; i < 50 && player.snapshot().state !== "error"; i++) await settle();
const snap = player.snapshot();
const next = player.hasNextSource();
player.detach();
const out = { stalled, state: snap.state, error: snap.error, next, text: ERROR_TEXT };
console.log(JSON.stringify(out));
"""


def _fail(stall_first: bool) -> dict[str, Any]:
    out: dict[str, Any] = run_module_script(SCRIPT, PLAYER, {"stallFirst": stall_first})
    return out


def test_an_error_after_a_stall_says_no_data_came_and_offers_the_next_source() -> None:
    out = _fail(stall_first=True)
    assert out["stalled"] is True
    assert out["state"] == "error"
    assert out["error"] == {"kind": "stalled", "message": out["text"]["stalled"]}
    assert "format" not in out["error"]["message"]
    assert out["next"] is True  # the overlay's "Try the next source"


def test_an_error_without_a_stall_keeps_the_elements_reason() -> None:
    out = _fail(stall_first=False)
    assert out["stalled"] is False
    assert out["error"]["kind"] == "media"
    assert out["error"]["message"] == (
        f"{out['text']['media']} (the engine refused the stream or the format does not play here)"
    )
