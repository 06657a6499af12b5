"""The AVPlay seam: the core player state machine touches only the media-element members
``tizen/src/media.js`` documents (``MEDIA_ELEMENT``), and listens to exactly the events it
lists, so an adapter written against that list keeps working. Run in Node with a recording
element driven through a whole playback (start, resume seek, events, seeks, source change,
error diagnosis, detach)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PLAYER = (ROOT / "web" / "src" / "core" / "player.js").as_uri()
MEDIA = (ROOT / "tizen" / "src" / "media.js").as_uri()

SCRIPT = """
import { createPlayer } from %(player)s;
import { MEDIA_ELEMENT } from %(media)s;
const touched = new Set();
const handlers = {};
const target = {
  currentTime: 0, duration: NaN, paused: true, ended: false, readyState: 0, error: null,
  muted: false, src: "", textTracks: null, videoWidth: 0, videoHeight: 0,
  play() { this.paused = false; return Promise.resolve(); },
  pause() { this.paused = true; },
  load() {},
  getAttribute(name) { return name === "src" ? this.src : null; },
  removeAttribute() { this.src = ""; },
  appendChild() {},
  addEventListener(name, fn) { handlers[name] = fn; },
  removeEventListener(name) { delete handlers[name]; },
};
const element = new Proxy(target, {
  get(t, key) { if (typeof key === "string") touched.add(key); return t[key]; },
  set(t, key, value) {
    if (typeof key === "string") touched.add(key);
    t[key] = value;
    return true;
  },
});
const ok = () => Promise.resolve({ ok: false, status: 404, json: async () => ({}) });
const player = createPlayer({
  api: { status: async () => ({}) },
  sources: [{ source_id: "a" }, { source_id: "b" }],
  requestStream: async () => ({ stream_url: "http://127.0.0.1:9/stream/key", expires_at: null }),
  fetchEngine: ok, fetchStatus: ok, probeEngine: async () => ({}),
});
player.attach(element);
const listened = Object.keys(handlers);
await player.start(0, 30);
const fire = (name) => handlers[name] && handlers[name]({ type: name });
target.duration = 100; target.readyState = 1;
for (const name of ["loadstart", "loadedmetadata", "durationchange", "progress", "playing",
  "timeupdate", "waiting", "seeking", "canplay", "volumechange", "pause"]) fire(name);
target.readyState = 4;
player.seekBy(10); player.seekTo(5); player.togglePlay(); player.togglePlay(); player.toggleMute();
await player.nextSource();
target.ended = true; fire("ended");
target.error = { code: 3, message: "decode" }; fire("error");
await new Promise((r) => setTimeout(r, 50));
player.detach();
console.log(JSON.stringify({ touched: [...touched], listened, after: Object.keys(handlers),
  documented: MEDIA_ELEMENT }));
"""


def test_the_core_player_uses_only_the_documented_media_element_members() -> None:
    done = subprocess.run(
        ["node", "--experimental-detect-module", "--input-type=module", "-e",
         SCRIPT % {"player": json.dumps(PLAYER), "media": json.dumps(MEDIA)}],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    documented = out["documented"]
    allowed = set(documented["properties"]) | set(documented["methods"])
    assert set(out["touched"]) - allowed == set(), "document these in MEDIA_ELEMENT"
    assert {"play", "pause", "load", "currentTime", "src"} <= set(out["touched"])
    assert sorted(out["listened"]) == sorted(documented["events"])
    assert out["after"] == []  # detach removes every listener
