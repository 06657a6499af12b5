// The player's media surface: the seam where an AVPlay adapter (Samsung's player: HEVC,
// several audio tracks, 4K) takes the HTML5 one's place. A media adapter is
//
//   { element, audioTracks(), selectAudio(index), destroy() }
//
// and `element` is what the core player state machine (web/src/core/player.js) drives: a
// DOM node the player screen shows, with exactly the members listed in MEDIA_ELEMENT below
// (an AVPlay adapter implements them over webapis.avplay: open/prepareAsync/play/pause/
// seekTo/getCurrentTime/getDuration/getTotalTrackInfo/setSelectTrack, and dispatches the
// listed events from its listener callbacks). tests/tizen/test_media_seam.py pins the list
// against what the core really touches. The player screen takes `createMedia` to swap it.
import { h } from "./dom.js";

/** What the core player uses of `element`: properties, methods and the events it listens to. */
export const MEDIA_ELEMENT = {
  properties: ["currentTime", "duration", "paused", "ended", "readyState", "error", "muted", "src", "textTracks", "videoWidth", "videoHeight"],
  methods: ["play", "pause", "load", "getAttribute", "removeAttribute", "appendChild", "addTextTrack", "addEventListener", "removeEventListener"],
  events: ["loadstart", "loadedmetadata", "durationchange", "progress", "waiting", "seeking", "playing", "canplay", "pause", "ended", "timeupdate", "volumechange", "error"],
};

/** The HTML5 <video> adapter (the only one today). */
export function createHtml5Media() {
  const element = h("video#video", { preload: "auto", playsinline: true });
  return {
    element,
    /** [{ index, label, enabled }]; [] when the engine exposes no track list (Chromium). */
    audioTracks() {
      const list = element.audioTracks;
      if (!list || !list.length) return [];
      const out = [];
      for (let i = 0; i < list.length; i += 1) {
        out.push({ index: i, label: list[i].label || list[i].language || `Track ${i + 1}`, enabled: list[i].enabled });
      }
      return out;
    },
    selectAudio(index) {
      const list = element.audioTracks;
      if (!list) return;
      for (let i = 0; i < list.length; i += 1) list[i].enabled = i === index;
    },
    destroy() {
      element.remove();
    },
  };
}

// Fast forward / rewind: each press in the same direction within `windowMs` of the last
// goes one step further along `steps` (seconds); a pause or a change of direction starts over.
export const SEEK_STEPS = [10, 20, 30, 60, 120];

export function createSeekAccelerator({ steps = SEEK_STEPS, windowMs = 1500, now = () => Date.now() } = {}) {
  let last = 0;
  let direction = 0;
  let level = 0;
  return (dir) => {
    const t = now();
    level = dir === direction && t - last <= windowMs ? Math.min(level + 1, steps.length - 1) : 0;
    direction = dir;
    last = t;
    return dir * steps[level];
  };
}
