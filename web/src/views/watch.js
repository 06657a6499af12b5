// The player page: ONE <video> on the engine's stream URL, driven by core/player.js;
// truthful buffering overlay, resume prompt, progress saving, keyboard shortcuts, and a
// subtitle picker (off unless a language was chosen before; the choice is remembered).
import { useEffect, useRef, useState } from "preact/hooks";
import { html } from "../html.js";
import { api, profile, navigate, announce } from "../state.js";
import { createPlayer, keyAction } from "../core/player.js";
import { createProgressSaver, resumePoint, formatClock, WATCHED_SHARE } from "../core/progress.js";
import { sourceLabel, formatBytes } from "../core/explain.js";
import { episodeRun } from "../core/episodes.js";
import { counted } from "../core/words.js";
import { annotate } from "./movie.js";
import { useTitle, Loading, ErrorBox } from "./common.js";

const SEEK_STEP_S = 10;
const SUBTITLES_KEY = "miauflix.subtitles"; // a BCP 47 language, or "off"

function rememberedSubtitles() {
  try {
    const value = localStorage.getItem(SUBTITLES_KEY);
    return value && value !== "off" ? value : null;
  } catch {
    return null;
  }
}

function rememberSubtitles(language) {
  try {
    localStorage.setItem(SUBTITLES_KEY, language || "off");
  } catch {
    /* private mode: the choice lasts for this visit */
  }
}

function SubtitlePicker({ snap, player }) {
  const tracks = snap.subtitles || [];
  if (!player || !tracks.length) {
    return snap.subtitleNote ? html`<p class="muted" role="status">${snap.subtitleNote}</p>` : null;
  }
  function onChange(event) {
    const value = event.currentTarget.value;
    const track = value === "off" ? null : tracks.find((t) => String(t.index) === value);
    if (!track) rememberSubtitles(null);
    else if (track.language !== "und") rememberSubtitles(track.language);
    player.selectSubtitle(track ? track.index : null);
  }
  return html`<label>Subtitles
      <select value=${snap.subtitle == null ? "off" : String(snap.subtitle)} onChange=${onChange}>
        <option value="off">Off</option>
        ${tracks.map((t) => html`<option value=${String(t.index)}>${t.label}</option>`)}
      </select>
    </label>
    ${snap.subtitleNote && html`<span class="muted" role="status">${snap.subtitleNote}</span>`}`;
}

export function orderedSources(movie, sourceId) {
  const playable = annotate(movie.sources).filter((s) => !s.blocked);
  const chosen = playable.find((s) => s.source_id === sourceId);
  return chosen ? [chosen, ...playable.filter((s) => s !== chosen)] : playable;
}

function EngineLine({ engine, access }) {
  if (access === "denied") return html`<p class="muted">The engine refused this stream's key.</p>`;
  if (!engine) return html`<p class="muted">Asking the engine how this stream is doing…</p>`;
  if (engine.state === "starting" || engine.state === "idle") {
    return html`<p>Engine: fetching the torrent's metadata and looking for peers (${engine.peers} connected).</p>`;
  }
  const have = engine.size_bytes ? `${formatBytes(engine.bytes_have)} of ${formatBytes(engine.size_bytes)} here` : null;
  const rate = `${formatBytes(engine.download_rate)}/s`;
  const peers = `${counted(engine.peers, "peer")} (${engine.seeds} seeding)`;
  return html`<p>Engine: ${[peers, rate, have].filter(Boolean).join(" · ")}</p>`;
}

function Overlay({ snap, player, elapsed, onBack, backLabel }) {
  if (snap.state === "error") {
    return html`<div class="overlay overlay-error" role="alert">
      <h2>Playback stopped</h2>
      <p>${snap.error.message}</p>
      <div class="actions">
        ${snap.error.kind !== "no_sources" && html`<button type="button" onClick=${() => player.retry()}>Retry</button>`}
        ${player.hasNextSource() && html`<button type="button" onClick=${() => player.nextSource()}>Try the next source</button>`}
        <button type="button" onClick=${onBack}>${backLabel}</button>
      </div>
    </div>`;
  }
  const waiting = ["starting", "loading", "buffering"].includes(snap.state);
  if (snap.needsGesture && snap.state !== "playing") {  // the browser refused to autoplay
    return html`<div class="overlay"><button type="button" class="primary" onClick=${() => player.play()}>Start playback</button></div>`;
  }
  if (!waiting) return null;
  return html`<div class="overlay overlay-wait" role="status" aria-live="polite">
    <div class="spinner" aria-hidden="true"></div>
    <p><strong>${snap.state === "buffering" ? "Buffering" : "Starting"}</strong>: waiting for ${snap.waitingFor}
      ${elapsed >= 1 ? ` (${elapsed} s)` : ""}</p>
    <${EngineLine} engine=${snap.engine} access=${snap.engineAccess} />
    ${snap.stalled &&
    html`<div class="stalled">
      <p>No data has arrived from this source for a while.</p>
      ${player.hasNextSource()
        ? html`<button type="button" class="primary" onClick=${() => player.nextSource()}>Try the next source</button>`
        : html`<button type="button" onClick=${() => player.retry()}>Retry this source</button>`}
    </div>`}
  </div>`;
}

function ResumePrompt({ at, onResume, onRestart }) {
  const first = useRef(null);
  useEffect(() => first.current && first.current.focus(), []);
  return html`<div class="overlay overlay-prompt" role="dialog" aria-modal="false" aria-labelledby="resume-title">
    <h2 id="resume-title">Resume where you stopped?</h2>
    <div class="actions">
      <button type="button" class="primary" ref=${first} onClick=${onResume}>Resume from ${formatClock(at)}</button>
      <button type="button" onClick=${onRestart}>Start from the beginning</button>
    </div>
  </div>`;
}

/**
 * The player for one title: `title` (heading), `backHref`/`backLabel`, `sources` (playable,
 * best first), and the title's API: `requestStream(body)`, `loadProgress()`,
 * `saveProgress(position, duration, options)`. `promptResume` false starts at the resume
 * point without asking (autoplay); `ended({ player })` renders over the finished video.
 */
export function Player({
  title,
  backHref,
  backLabel,
  sources,
  tmdbId,
  requestStream,
  loadProgress,
  saveProgress,
  promptResume = true,
  ended = null,
}) {
  const videoRef = useRef(null);
  const frameRef = useRef(null);
  const playerRef = useRef(null);
  const saverRef = useRef(null);
  const [snap, setSnap] = useState({ state: "idle" });
  const [prompt, setPrompt] = useState(undefined); // undefined: deciding; null: none; number: resume at
  const [watched, setWatched] = useState(false);
  const [saveNote, setSaveNote] = useState("");
  const [elapsed, setElapsed] = useState(0);
  const back = () => navigate(backHref);

  useEffect(() => {
    const player = createPlayer({
      api,
      tmdbId,
      sources,
      requestStream,
      profile: profile.value,
      subtitleLanguage: rememberedSubtitles(),
    });
    playerRef.current = player;
    player.attach(videoRef.current);
    const off = player.subscribe(setSnap);
    let saving = true;
    const saver = createProgressSaver({
      save: (position, duration, options) =>
        saving
          ? saveProgress(position, duration, options).then((record) => {
              if (record && record.watched) setWatched(true);
              setSaveNote(`Progress saved at ${formatClock(position)}`);
              return record;
            })
          : null,
      onError: (error) => {
        if (error.status === 404 || error.status === 405) {
          saving = false;
          setSaveNote("Progress is not saved: this server has no progress API yet.");
        }
      },
    });
    saverRef.current = saver;
    const video = videoRef.current;
    const onTime = () => saver.update(video.currentTime, video.duration);
    const onPause = () => saver.flush();
    const onEnded = () => {
      saver.update(video.duration, video.duration);
      saver.flush();
    };
    const onLeave = () => saver.flush({ keepalive: true });
    video.addEventListener("timeupdate", onTime);
    video.addEventListener("pause", onPause);
    video.addEventListener("ended", onEnded);
    addEventListener("pagehide", onLeave);
    const onVisibility = () => document.visibilityState === "hidden" && onLeave();
    document.addEventListener("visibilitychange", onVisibility);

    let cancelled = false;
    Promise.resolve()
      .then(loadProgress)
      .catch(() => null)
      .then((record) => {
        if (cancelled) return;
        const at = resumePoint(record);
        if (at != null && promptResume) setPrompt(at);
        else if (at != null) {
          setPrompt(null);
          player.start(0, at);
        }
        else {
          setPrompt(null);
          player.start(0, 0);
        }
      });
    return () => {
      cancelled = true;
      saver.flush({ keepalive: true });
      video.removeEventListener("timeupdate", onTime);
      video.removeEventListener("pause", onPause);
      video.removeEventListener("ended", onEnded);
      removeEventListener("pagehide", onLeave);
      document.removeEventListener("visibilitychange", onVisibility);
      off();
      player.detach();
    };
  }, []);

  useEffect(() => {
    const waiting = ["starting", "loading", "buffering"].includes(snap.state);
    if (!waiting || !snap.waitingSince) return setElapsed(0);
    const timer = setInterval(() => setElapsed(Math.floor((Date.now() - snap.waitingSince) / 1000)), 500);
    return () => clearInterval(timer);
  }, [snap.state, snap.waitingSince]);

  useEffect(() => {
    if (snap.state === "playing") announce("Playing");
    if (snap.state === "error") announce(snap.error.message);
  }, [snap.state]);

  useEffect(() => {
    function onKey(event) {
      const target = event.target;
      if (target && /^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName)) return;
      const action = keyAction(event.key);
      if (!action) return;
      const onButton = target && (target.tagName === "BUTTON" || target.tagName === "A");
      if (action === "togglePlay" && onButton && event.key !== "k") return;
      const player = playerRef.current;
      if (!player) return;
      if (event.defaultPrevented) return; // an overlay (the autoplay countdown) took the key
      if (action === "exit") {
        if (document.fullscreenElement) return; // the browser leaves fullscreen itself
        event.preventDefault();
        back();
        return;
      }
      if (prompt != null && prompt !== undefined && action !== "fullscreen") return;
      event.preventDefault();
      if (action === "togglePlay") player.togglePlay();
      else if (action === "back") player.seekBy(-SEEK_STEP_S);
      else if (action === "forward") player.seekBy(SEEK_STEP_S);
      else if (action === "mute") player.toggleMute();
      else if (action === "fullscreen") {
        if (document.fullscreenElement) document.exitFullscreen();
        else if (frameRef.current.requestFullscreen) frameRef.current.requestFullscreen().catch(() => {});
      }
    }
    // A focused video's native controls act on keys from listeners inside the element
    // (Space toggles on keyup, the arrows seek): our keys aimed at the video are taken on
    // their way down (capture) and handled here once, else Space undoes itself and a seek
    // lands twice.
    function onVideoKey(event) {
      const action = keyAction(event.key);
      // Esc is left to bubble: the native controls ignore it, and the up-next countdown's
      // own capture listener cancels autoplay with it before the player leaves the page
      if (event.target !== videoRef.current || !action || action === "exit") return;
      event.stopPropagation();
      if (event.type === "keydown") onKey(event);
      else event.preventDefault();
    }
    addEventListener("keydown", onKey);
    addEventListener("keydown", onVideoKey, true);
    addEventListener("keyup", onVideoKey, true);
    return () => {
      removeEventListener("keydown", onKey);
      removeEventListener("keydown", onVideoKey, true);
      removeEventListener("keyup", onVideoKey, true);
    };
  }, [prompt]);

  function choose(at) {
    setPrompt(null);
    playerRef.current.start(0, at);
    if (videoRef.current) videoRef.current.focus();
  }

  const source = snap.source || sources[0];
  const run = source ? episodeRun(source) : null;  // an episode's multi-episode release
  const share = snap.duration ? snap.position / snap.duration : 0;
  return html`<div class="player" ref=${frameRef}>
    <div class="player-bar">
      <a href=${backHref} class="back">← Back<span class="visually-hidden"> to ${title}</span></a>
      <h1>${title}</h1>
      <span class="muted">${source ? sourceLabel(source) : ""}${run && html` <span class="badge episode-run" title=${run.title}>${run.label}</span>`}${sources.length > 1 ? ` · source ${(snap.sourceIndex || 0) + 1} of ${sources.length}` : ""}</span>
    </div>
    <div class="stage">
      <video ref=${videoRef} controls=${(snap.state !== "starting" && snap.state !== "loading") || snap.needsGesture} playsinline preload="auto" tabindex="0"
        aria-label=${`Video: ${title}`} data-state=${snap.state}></video>
      ${prompt != null && html`<${ResumePrompt} at=${prompt} onResume=${() => choose(prompt)} onRestart=${() => choose(0)} />`}
      ${prompt === null && html`<${Overlay} snap=${snap} player=${playerRef.current} elapsed=${elapsed} onBack=${back} backLabel=${backLabel} />`}
      ${prompt === null && snap.state === "ended" && ended && ended({ player: playerRef.current })}
    </div>
    <div class="player-foot">
      <${SubtitlePicker} snap=${snap} player=${playerRef.current} />
      <p class="muted" aria-live="polite">
        ${watched || share >= WATCHED_SHARE ? html`<span class="badge">Watched</span> ` : ""}${saveNote}
      </p>
      <p class="muted keys">Keys: Space play/pause · ← → 10 s · F fullscreen · M mute · Esc back</p>
    </div>
  </div>`;
}

/** /watch/<id>: the movie's player; `resume` (from "Continue watching") starts at the saved
 * position without asking. */
export function WatchPage({ id, sourceId, resume = false }) {
  const [movie, setMovie] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    api.movie(id, { profile: profile.value }).then(setMovie, setError);
  }, [id]);
  useTitle(movie ? `Watching ${movie.title}` : "Player");
  if (error) return html`<div class="page"><${ErrorBox} error=${error} home /></div>`;
  if (!movie) return html`<div class="page"><${Loading} /></div>`;
  const sources = orderedSources(movie, sourceId);
  if (!sources.length) {
    return html`<div class="page" role="alert"><h1>${movie.title}</h1>
      <p>No source of this title plays on this device.</p><a href=${`/movie/${id}`}>Back to the movie</a></div>`;
  }
  return html`<${Player}
    title=${movie.title}
    backHref=${`/movie/${movie.tmdb_id}`}
    backLabel="Back to the movie"
    sources=${sources}
    tmdbId=${movie.tmdb_id}
    requestStream=${(body) => api.stream(movie.tmdb_id, body)}
    loadProgress=${() => api.movieProgress(movie.tmdb_id)}
    saveProgress=${(position, duration, options) => api.saveProgress(movie.tmdb_id, position, duration, options)}
    promptResume=${!resume}
  />`;
}
