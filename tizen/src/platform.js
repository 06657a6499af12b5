// The TV platform behind one small surface: Tizen's `tizen` and `webapis` objects when
// present (a Samsung TV), key names and codes from getSupportedKeys(), and desktop
// fallbacks (Escape/Backspace for Back, no-ops for the screen saver) in a browser.

// Keys the shell registers at start (Back and the arrows/OK need no registration).
export const MEDIA_KEYS = [
  "MediaPlay", "MediaPause", "MediaStop", "MediaRewind", "MediaFastForward",
  "MediaTrackPrevious", "MediaTrackNext", "ColorF0Red", "ColorF1Green", "ColorF2Yellow", "ColorF3Blue",
];
// Registered only while the player is open.
export const PLAYER_KEYS = ["MediaPlayPause"];

// Legacy keyCodes of a Samsung remote (used when getSupportedKeys() is absent).
const DEFAULT_CODES = {
  MediaPlay: 415, MediaPause: 19, MediaStop: 413, MediaRewind: 412, MediaFastForward: 417,
  MediaPlayPause: 10252, MediaTrackPrevious: 10232, MediaTrackNext: 10233,
  ColorF0Red: 403, ColorF1Green: 404, ColorF2Yellow: 405, ColorF3Blue: 406,
};
const FIXED = { 37: "Left", 38: "Up", 39: "Right", 40: "Down", 13: "Enter", 10009: "Back", 27: "Back", 65376: "Done", 65385: "Cancel" };

function tizen() {
  return typeof window !== "undefined" && window.tizen ? window.tizen : null;
}

function webapis() {
  return typeof window !== "undefined" && window.webapis ? window.webapis : null;
}

/** name -> keyCode for every key this TV reports (defaults off a TV). */
export function supportedKeys() {
  const codes = Object.assign({}, DEFAULT_CODES);
  const input = tizen() && tizen().tvinputdevice;
  if (input && input.getSupportedKeys) {
    try {
      for (const key of input.getSupportedKeys()) codes[key.name] = key.code;
    } catch {
      /* keep the defaults */
    }
  }
  return codes;
}

function supportedNames() {
  const input = tizen() && tizen().tvinputdevice;
  if (!input || !input.getSupportedKeys) return null;
  try {
    return new Set(input.getSupportedKeys().map((k) => k.name));
  } catch {
    return null;
  }
}

/** Register `names` that this TV supports; returns the names registered. */
export function registerKeys(names) {
  const input = tizen() && tizen().tvinputdevice;
  const known = supportedNames();
  if (!input || !known) return [];
  const done = [];
  for (const name of names) {
    if (!known.has(name)) continue;
    try {
      input.registerKey(name);
      done.push(name);
    } catch {
      /* a key another app holds: skip it */
    }
  }
  return done;
}

export function unregisterKeys(names) {
  const input = tizen() && tizen().tvinputdevice;
  if (!input) return;
  for (const name of names) {
    try {
      input.unregisterKey(name);
    } catch {
      /* not registered */
    }
  }
}

/** A key name for a keydown event: "Left", "Enter", "Back", "MediaPlay", … or null. */
export function keyName(event, codes, { inTextField = false } = {}) {
  const code = event.keyCode || event.which;
  if (FIXED[code]) return FIXED[code];
  if (code === 8 && !inTextField) return "Back";
  for (const name of Object.keys(codes)) if (codes[name] === code) return name;
  const byKey = { ArrowLeft: "Left", ArrowUp: "Up", ArrowRight: "Right", ArrowDown: "Down", Escape: "Back", MediaPlayPause: "MediaPlayPause" };
  return byKey[event.key] || null;
}

/** Leave the app: Tizen's application exit, else close the window. */
export function exitApp() {
  const t = tizen();
  if (t && t.application) {
    t.application.getCurrentApplication().exit();
    return;
  }
  window.close();
}

/** Suppress (true) or restore (false) the screen saver, when the TV offers it. */
export function keepScreenOn(on) {
  const w = webapis();
  const common = w && w.appcommon;
  if (!common || !common.setScreenSaver || !common.AppCommonScreenSaverState) return;
  const states = common.AppCommonScreenSaverState;
  try {
    common.setScreenSaver(on ? states.SCREEN_SAVER_OFF : states.SCREEN_SAVER_ON);
  } catch {
    /* older firmware: nothing to do */
  }
}
