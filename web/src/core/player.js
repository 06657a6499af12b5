// The player state machine around ONE HTMLVideoElement on the engine's stream URL.
// Framework-free: the web view (and later the TV shell) subscribes to snapshots and calls
// the commands. States:
//
//   idle ─start()─▶ starting ─stream URL─▶ loading ─playing─▶ playing ⇄ paused
//                      │                     │                 │   ▲
//                      ▼                     ▼                 ▼   │ playing
//                    error ◀──── video error ──────────── buffering (waiting/seeking)
//                                                            │ no data for stallMs
//                                                            ▼
//                                              stalled = true: offer nextSource()
//   playing ─ended─▶ ended
//
// Subtitles: once the stream URL is known the engine's track list is fetched
// (`<stream_url>/subtitles`; none, a 404 or an unreachable engine all mean "no tracks").
// A chosen track's WebVTT is fetched once and added to the video as a <track> whose src is
// a blob: URL (same-origin for the media element, allowed by the CSP's media-src), so the
// video itself needs no crossorigin mode. `subtitleLanguage` picks a track at start.
// A windowed track (embedded in the video, served by time window) is a TextTrack made by
// video.addTextTrack, filled with VTTCues window by window: the window holding currentTime
// and the next, on selection, timeupdate, seeking and the 1 s tick, each window fetched once
// (a failed one again after RETRY_MS). Such a track cannot leave the element: cleared, it is
// emptied, disabled and kept as a spare for the next track with the same label and language.
import { formatClock } from "./progress.js";
import { fetchSubtitleTracks, fetchSubtitleText, parseVttCues, subtitleWindowUrl } from "./api.js";

const RETRY_MS = 3000; // before a window that failed (504: its pieces were late; network) is asked again
const CUE_OVERLAP_S = 10; // how long a cue may run on past its window's end and still be shown after a seek

export const ERROR_TEXT = {
  no_sources: "This title has no source this device can play.",
  source_unavailable: "The source could not be resolved (its torrent is unreachable).",
  engine_down: "The streaming engine is not reachable. Try again in a moment.",
  vpn_required: "Streaming is blocked: this server requires a VPN and it is not up.",
  stream_expired: "The stream link expired. Getting a new one…",
  stream_limit: "You are already streaming the most titles allowed at once.",
  signed_out: "Your session ended. Sign in again.",
  media: "The browser could not play this file.",
  stalled: "No data came from this source in time: its peers did not deliver the video.",
};

const MEDIA_ERRORS = {
  1: "playback was aborted",
  2: "a network error interrupted the download",
  3: "the video could not be decoded",
  4: "the engine refused the stream or the format does not play here",
};

function engineBase(streamUrl) {
  try {
    return new URL(streamUrl).origin;
  } catch {
    return "";
  }
}

/**
 * createPlayer({ api, tmdbId, sources, profile, stallMs, now, probeEngine }) -> player.
 * `sources` are the playable sources, best first; the player walks them on nextSource().
 * `requestStream(body)` asks the API for a stream URL (default: the movie `tmdbId`'s; an
 * episode passes its own).
 */
export function createPlayer({
  api,
  tmdbId,
  sources,
  profile = "web",
  stallMs = 15000,
  now = () => Date.now(),
  probeEngine = (base) => fetch(`${base}/health`, { mode: "no-cors", cache: "no-store" }),
  fetchStatus = (url) => fetch(url, { cache: "no-store", credentials: "omit" }),
  fetchEngine = undefined, // (url) => Response, for the subtitle routes (tests inject one)
  subtitleLanguage = null, // BCP 47 code of the language to show at start, null: off
  requestStream = (body) => api.stream(tmdbId, body),
}) {
  const listeners = new Set();
  let trackEls = new Map(); // track index -> <track> element (or windowed entry) of the stream
  let spareTracks = []; // emptied, disabled TextTracks of cleared windowed tracks
  let subtitleStream = null; // the stream URL the track list belongs to
  let video = null;
  let pendingSeek = null;
  let timer = null;
  let engineAllowed = true;
  let renewed = 0;
  const state = {
    state: "idle",
    sourceIndex: 0,
    source: null,
    streamUrl: null,
    expiresAt: null,
    error: null,
    waitingFor: null,
    waitingSince: null,
    lastDataAt: null,
    stalled: false,
    engine: null,
    engineAccess: "unknown", // unknown | allowed | denied (the stream key was refused)
    position: 0,
    duration: NaN,
    muted: false,
    needsGesture: false,
    subtitles: [], // [{index, label, language, forced, sdh, src}]
    subtitle: null, // index of the track shown, null: off
    subtitleNote: null, // why a chosen track is not shown
  };

  function emit(patch) {
    Object.assign(state, patch);
    const snapshot = { ...state };
    for (const listener of listeners) listener(snapshot);
  }

  function wait(reason) {
    emit({
      state: state.state === "loading" || state.state === "starting" ? state.state : "buffering",
      waitingFor: reason,
      waitingSince: state.waitingSince || now(),
    });
  }

  // The engine's per-stream status (`GET <engine>/status/<stream key>`): peers, rate and
  // bytes here, readable by every user with the stream's own key (no secret in it).
  async function pollEngine() {
    if (!engineAllowed || !state.streamUrl) return;
    const statusUrl = state.streamUrl.replace(/\/stream\/([^/?#]+).*$/, "/status/$1");
    if (statusUrl === state.streamUrl) return;
    try {
      const response = await fetchStatus(statusUrl);
      if (response.status === 401 || response.status === 403) {
        engineAllowed = false;
        emit({ engineAccess: "denied" });
        return;
      }
      if (!response.ok) return;
      const entry = await response.json();
      emit({ engine: entry, engineAccess: "allowed" });
    } catch {
      // the engine is busy or down: the stall bound and the probe report that
    }
  }

  function pickTrack(tracks, language, label = null) {
    if (label) {
      const same = tracks.find((t) => t.label === label);
      if (same) return same;
    }
    if (!language) return null;
    const base = language.split("-")[0];
    return (
      tracks.find((t) => t.language === language && !t.forced && !t.sdh) ||
      tracks.find((t) => t.language === language) ||
      tracks.find((t) => t.language.split("-")[0] === base && !t.forced) ||
      null
    );
  }

  function clearSubtitles() {
    for (const element of trackEls.values()) {
      if (element.windows) releaseWindowed(element);
      else {
        if (element.src.startsWith("blob:")) URL.revokeObjectURL(element.src);
        element.remove();
      }
    }
    trackEls = new Map();
  }

  // --- windowed tracks: { track: TextTrack, windows, cues } in trackEls -----------------

  function windowedEntry(info) {
    const at = spareTracks.findIndex((t) => t.label === info.label && t.language === info.language);
    const track = at >= 0 ? spareTracks.splice(at, 1)[0] : video.addTextTrack("subtitles", info.label, info.language);
    track.mode = "disabled";
    return { track, cues: [], windows: new Map() }; // window -> "pending" | "done" | failed-at ms
  }

  function releaseWindowed(entry) {
    for (const cue of entry.cues) {
      try {
        entry.track.removeCue(cue);
      } catch {
        /* already gone */
      }
    }
    entry.cues = [];
    entry.track.mode = "disabled";
    spareTracks.push(entry.track);
  }

  /**
   * Fetch the chosen windowed track's window at currentTime and the next one, if due; in a
   * window's first CUE_OVERLAP_S also the previous one (a cue that began there still shows).
   */
  function loadWindows() {
    const info = state.subtitles.find((t) => t.index === state.subtitle);
    const entry = info && info.windowed ? trackEls.get(info.index) : null;
    if (!entry || !video) return;
    const at = video.currentTime || 0;
    const first = Math.floor(at / info.windowSeconds);
    const end = Number.isFinite(video.duration) ? video.duration : Infinity;
    const wanted = first > 0 && at - first * info.windowSeconds < CUE_OVERLAP_S ? [first - 1] : [];
    for (const i of [...wanted, first, first + 1]) {
      const mark = entry.windows.get(i);
      if (i * info.windowSeconds >= end || mark === "pending" || mark === "done") continue;
      if (typeof mark === "number" && now() - mark < RETRY_MS) continue;
      loadWindow(info, entry, i);
    }
  }

  async function loadWindow(info, entry, i) {
    const stream = subtitleStream;
    entry.windows.set(i, "pending");
    let cues;
    try {
      cues = parseVttCues(await fetchSubtitleText(subtitleWindowUrl(info.src, i, info.windowSeconds), fetchEngine));
    } catch (error) {
      const final = error && error.status >= 400 && error.status < 500 && ![408, 429].includes(error.status);
      entry.windows.set(i, final ? "done" : now());
      return;
    }
    if (stream !== subtitleStream || trackEls.get(info.index) !== entry) return; // stale
    entry.windows.set(i, "done");
    for (const { start, end, text } of cues) {
      const cue = new VTTCue(start, end, text);
      entry.track.addCue(cue);
      entry.cues.push(cue);
    }
  }

  async function loadSubtitles(streamUrl) {
    const previous = state.subtitles.find((t) => t.index === state.subtitle) || null;
    clearSubtitles();
    subtitleStream = streamUrl;
    emit({ subtitles: [], subtitle: null, subtitleNote: null });
    const tracks = await fetchSubtitleTracks(streamUrl, fetchEngine);
    if (subtitleStream !== streamUrl || !video) return;
    emit({ subtitles: tracks });
    const wanted = previous
      ? pickTrack(tracks, previous.language, previous.label)
      : pickTrack(tracks, subtitleLanguage);
    if (wanted) await selectSubtitle(wanted.index);
  }

  function showTrack(chosen) {
    for (const element of trackEls.values()) {
      element.track.mode = element === chosen ? "showing" : "disabled";
    }
  }

  async function selectSubtitle(index) {
    if (!video) return;
    const track = index == null ? null : state.subtitles.find((t) => t.index === index);
    if (!track) {
      showTrack(null);
      emit({ subtitle: null, subtitleNote: null });
      return;
    }
    emit({ subtitle: track.index, subtitleNote: null });
    let element = trackEls.get(track.index);
    if (!element && track.windowed) {
      element = windowedEntry(track);
      trackEls.set(track.index, element);
    }
    if (!element) {
      const stream = subtitleStream;
      let text;
      try {
        text = await fetchSubtitleText(track.src, fetchEngine);
      } catch {
        if (state.subtitle === track.index) {
          emit({ subtitle: null, subtitleNote: `The ${track.label} subtitles could not be loaded.` });
        }
        return;
      }
      if (stream !== subtitleStream || !video) return;
      element = trackEls.get(track.index);
      if (!element) {
        element = document.createElement("track");
        element.kind = "subtitles";
        element.label = track.label;
        element.srclang = track.language;
        element.src = URL.createObjectURL(new Blob([text], { type: "text/vtt" }));
        video.appendChild(element);
        trackEls.set(track.index, element);
      }
    }
    if (state.subtitle === track.index) showTrack(element);
    if (track.windowed) loadWindows();
  }

  // The native controls' captions menu (and a TV's) can switch tracks too: follow it.
  function onTrackChange() {
    if (!video) return;
    let shown = null;
    for (const [index, element] of trackEls) if (element.track.mode === "showing") shown = index;
    if (shown !== state.subtitle && (shown != null || trackEls.has(state.subtitle))) {
      emit({ subtitle: shown });
    }
  }

  function tick() {
    loadWindows();
    const waiting = ["loading", "buffering"].includes(state.state);
    if (!waiting) return;
    const since = Math.max(state.waitingSince || 0, state.lastDataAt || 0);
    if (!state.stalled && since && now() - since >= stallMs) emit({ stalled: true });
    pollEngine();
  }

  const handlers = {
    loadstart: () => wait("the torrent's metadata and the video header"),
    loadedmetadata: () => {
      emit({ duration: video.duration, waitingFor: "the first frames" });
      if (pendingSeek != null && pendingSeek > 0) {
        video.currentTime = Math.min(pendingSeek, Math.max(0, video.duration - 1));
      }
      pendingSeek = null;
    },
    durationchange: () => emit({ duration: video.duration }),
    progress: () => emit({ lastDataAt: now() }),
    waiting: () => {
      emit({ state: state.state === "loading" ? "loading" : "buffering", waitingSince: now() });
      wait(`the pieces at ${formatClock(video.currentTime)}`);
    },
    seeking: () => {
      loadWindows();
      if (video.readyState < 3) {
        emit({ waitingSince: now() });
        wait(`the pieces at ${formatClock(video.currentTime)}`);
      }
    },
    playing: () =>
      emit({
        state: "playing",
        waitingFor: null,
        waitingSince: null,
        stalled: false,
        error: null,
        needsGesture: false,
      }),
    canplay: () => {
      if (state.state === "buffering" && video.paused) emit({ state: "paused", waitingFor: null, waitingSince: null });
    },
    pause: () => {
      if (!video.ended && state.state !== "error") emit({ state: "paused", waitingFor: null, waitingSince: null });
    },
    ended: () => emit({ state: "ended", waitingFor: null }),
    timeupdate: () => {
      emit({ position: video.currentTime, lastDataAt: video.paused ? state.lastDataAt : now() });
      loadWindows();
    },
    volumechange: () => emit({ muted: video.muted }),
    error: () => diagnose(video.error),
  };

  async function diagnose(mediaError) {
    if (!video || !video.getAttribute("src")) return;
    const position = video.currentTime || pendingSeek || 0;
    if (state.expiresAt && now() >= state.expiresAt && renewed < 2) {
      renewed += 1;
      emit({ error: { kind: "stream_expired", message: ERROR_TEXT.stream_expired } });
      return start(state.sourceIndex, position);
    }
    try {
      const status = await api.status();
      const vpn = status && status.engine && status.engine.vpn;
      if (vpn && vpn.required && !vpn.ok) return fail("vpn_required", vpn.reason);
    } catch {
      /* the API being down shows up elsewhere */
    }
    try {
      await probeEngine(engineBase(state.streamUrl));
    } catch {
      return fail("engine_down");
    }
    // the engine gives up on pieces that do not come and ends the response: after a stall the
    // element reports that as an unplayable source (code 4), which it is not
    if (state.stalled) return fail("stalled");
    const detail = mediaError ? MEDIA_ERRORS[mediaError.code] || mediaError.message : "";
    fail("media", detail);
  }

  function fail(kind, detail = "") {
    const base = ERROR_TEXT[kind] || ERROR_TEXT.media;
    emit({
      state: "error",
      error: { kind, message: detail ? `${base} (${detail})` : base },
      waitingFor: null,
      stalled: false,
    });
  }

  async function start(index = 0, at = 0) {
    if (!sources.length) return fail("no_sources");
    if (index >= sources.length) return fail("no_sources", "every source was tried");
    const source = sources[index];
    emit({
      state: "starting",
      sourceIndex: index,
      source,
      error: state.error && state.error.kind === "stream_expired" ? state.error : null,
      stalled: false,
      waitingFor: "a stream link from the server",
      waitingSince: now(),
      engine: null,
    });
    let issued;
    try {
      issued = await requestStream({ source_id: source.source_id, profile });
    } catch (error) {
      if (error.status === 404) return fail("no_sources", error.message);
      if (error.status === 401) return fail("signed_out");
      if (error.code === "stream_limit" || error.status === 429) return fail("stream_limit", error.message);
      if (error.status === 502) return fail("source_unavailable", error.message);
      return fail("engine_down", error.message);
    }
    if (!video) return;
    pendingSeek = at > 0 ? at : null;
    emit({
      state: "loading",
      streamUrl: issued.stream_url,
      expiresAt: issued.expires_at ? Date.parse(issued.expires_at) : null,
      waitingFor: "the torrent's metadata and the video header",
      waitingSince: now(),
      lastDataAt: null,
      duration: NaN,
    });
    video.src = issued.stream_url;
    video.load();
    play();
    pollEngine();
    loadSubtitles(issued.stream_url).catch(() => {});
  }

  function play() {
    if (!video) return;
    const attempt = video.play();
    if (attempt && attempt.catch) {
      attempt.catch((error) => {
        if (error && error.name === "NotAllowedError") emit({ needsGesture: true });
      });
    }
  }

  return {
    subscribe(listener) {
      listeners.add(listener);
      listener({ ...state });
      return () => listeners.delete(listener);
    },
    snapshot: () => ({ ...state }),
    attach(element) {
      video = element;
      for (const [name, handler] of Object.entries(handlers)) video.addEventListener(name, handler);
      if (video.textTracks) video.textTracks.addEventListener("change", onTrackChange);
      timer = setInterval(tick, 1000);
    },
    detach() {
      if (timer) clearInterval(timer);
      subtitleStream = null;
      clearSubtitles();
      spareTracks = [];
      if (video) {
        if (video.textTracks) video.textTracks.removeEventListener("change", onTrackChange);
        for (const [name, handler] of Object.entries(handlers)) video.removeEventListener(name, handler);
        video.removeAttribute("src");
        video.load();
      }
      video = null;
      listeners.clear();
    },
    start,
    play,
    /** Try the next ranked source at the same position. */
    nextSource() {
      const at = video && video.currentTime > 0 ? video.currentTime : pendingSeek || state.position;
      return start(state.sourceIndex + 1, at);
    },
    retry() {
      const at = video && video.currentTime > 0 ? video.currentTime : pendingSeek || state.position;
      return start(state.sourceIndex, at);
    },
    hasNextSource: () => state.sourceIndex + 1 < sources.length,
    togglePlay() {
      if (!video) return;
      if (video.paused || video.ended) play();
      else video.pause();
    },
    seekBy(delta) {
      if (!video) return;
      const end = Number.isFinite(video.duration) ? video.duration : Infinity;
      video.currentTime = Math.max(0, Math.min(end, video.currentTime + delta));
    },
    seekTo(seconds) {
      if (!video) return;
      if (video.readyState === 0) pendingSeek = seconds;
      else video.currentTime = seconds;
    },
    toggleMute() {
      if (video) video.muted = !video.muted;
    },
    /** Show subtitle track `index` (from snapshot().subtitles), or none with null. */
    selectSubtitle: (index) => selectSubtitle(index).catch(() => {}),
  };
}

/** Keyboard shortcut -> player action name (shared with the TV remote mapping). */
export function keyAction(key) {
  return (
    {
      " ": "togglePlay",
      Spacebar: "togglePlay",
      k: "togglePlay",
      MediaPlayPause: "togglePlay",
      ArrowLeft: "back",
      ArrowRight: "forward",
      f: "fullscreen",
      F: "fullscreen",
      m: "mute",
      M: "mute",
      Escape: "exit",
    }[key] || null
  );
}
