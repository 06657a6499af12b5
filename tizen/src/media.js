// The player's media surface. The core player state machine drives an HTMLVideoElement
// (events + src/currentTime/play/pause); this adapter owns that element and the few extras
// a TV needs (audio tracks). An AVPlay adapter (HEVC, several audio tracks, 4K) would offer
// the same shape: { element, audioTracks(), selectAudio(i), destroy() }, with `element` an
// object that emits the same media events.
import { h } from "./dom.js";

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
