// The player: the core state machine (web/src/core/player.js) on a media adapter (media.js),
// the `tv` ranking profile, the buffering overlay, "try next source", resume, progress
// saving, media keys (MediaPlayPause registered only while open), colour keys (red:
// subtitles, green: source, yellow: audio, blue: stats) and the screen saver held off
// while playing. `title` is a movie or an episode (titles.js); for an episode,
// previous/next move between episodes and its end offers the next one (up_next.js).
import { h, fill } from "../dom.js";
import { createPlayer } from "../../../web/src/core/player.js";
import { createProgressSaver, formatClock, WATCHED_SHARE } from "../../../web/src/core/progress.js";
import { createHtml5Media, createSeekAccelerator } from "../media.js";
import { PLAYER_KEYS, registerKeys, unregisterKeys, keepScreenOn } from "../platform.js";
import { upNextPanel } from "./up_next.js";
import { sourceFacts } from "../titles.js";

const STATE_TEXT = { starting: "Starting…", loading: "Loading…", buffering: "Buffering…", paused: "Paused", ended: "Finished", error: "Could not play" };

export function playerScreen(app, { title: item, sources, at = 0, createMedia = createHtml5Media }) {
  const media = createMedia();
  const video = media.element;
  const player = createPlayer({ api: app.api, tmdbId: item.tmdbId, sources, profile: "tv", requestStream: item.requestStream });
  const seek = createSeekAccelerator();
  const saver = createProgressSaver({ save: item.saveProgress });
  const title = item.heading;
  let upNext = null;

  const clock = h("span#clock.clock", { text: "0:00" });
  const bar = h("span.bar-fill");
  const status = h("p#player-status.player-status", { role: "status" });
  const note = h("p#player-note.player-note", { "aria-live": "polite" });
  const stats = h("div#stats.stats.hidden", { "aria-label": "Stream statistics" });
  const btn = (id, text, onclick, colour) =>
    h(`button#${id}`, { type: "button", onclick }, colour && h(`span.key.key-${colour}`, { "aria-hidden": "true" }), text);
  const playPause = btn("pp", "Pause", () => player.togglePlay());
  const controls = h("div#controls.controls.lrud-container", null,
    btn("rw", "« Rewind", () => seekBy(-1)),
    playPause,
    btn("ff", "Forward »", () => seekBy(1)),
    btn("subs", "Subtitles", () => cycleSubtitles(), "red"),
    btn("source", "Next source", () => nextSource(), "green"),
    btn("audio", "Audio", () => cycleAudio(), "yellow"),
    btn("stats-toggle", "Stats", () => toggleStats(), "blue"),
    btn("close-player", "Back", () => app.nav.back()));
  const overlay = h("div#overlay.overlay", null,
    h("h1.player-title", { text: title }),
    h("div.progress", null, h("span.bar", null, bar), clock),
    status, note, controls);
  const root = h("div.player", { "data-state": "idle", "data-title": item.key }, video, stats, overlay);
  let hideTimer = null;
  let snap = player.snapshot();
  let noteTimer = null;

  function say(text) {
    note.textContent = text;
    if (noteTimer) clearTimeout(noteTimer);
    noteTimer = setTimeout(() => (note.textContent = ""), 4000);
  }

  function wake() {
    root.classList.remove("idle-ui");
    if (hideTimer) clearTimeout(hideTimer);
    hideTimer = setTimeout(() => {
      if (snap.state === "playing") root.classList.add("idle-ui");
    }, 5000);
  }

  function seekBy(direction) {
    const delta = seek(direction);
    player.seekBy(delta);
    say(`${delta > 0 ? "+" : "−"}${Math.abs(delta)} s`);
  }

  function nextSource() {
    if (player.hasNextSource()) {
      say("Trying the next source…");
      player.nextSource();
    } else say("No other source for this title.");
  }

  function cycleSubtitles() {
    const tracks = snap.subtitles;
    if (!tracks.length) return say("No subtitles for this stream.");
    const at = tracks.findIndex((t) => t.index === snap.subtitle);
    const next = at + 1 < tracks.length ? tracks[at + 1] : null;
    player.selectSubtitle(next ? next.index : null);
    say(next ? `Subtitles: ${next.label}` : "Subtitles off");
  }

  function cycleAudio() {
    const tracks = media.audioTracks();
    if (tracks.length < 2) return say("This stream has one audio track.");
    const at = tracks.findIndex((t) => t.enabled);
    const next = tracks[(at + 1) % tracks.length];
    media.selectAudio(next.index);
    say(`Audio: ${next.label}`);
  }

  function toggleStats() {
    stats.classList.toggle("hidden");
    render();
  }

  function renderStats() {
    if (stats.classList.contains("hidden")) return;
    const s = snap.source || {};
    const e = snap.engine || {};
    const lines = [
      ["State", snap.state],
      ["Source", `${snap.sourceIndex + 1} of ${sources.length}: ${sourceFacts(s)}`],
      ["Position", `${formatClock(snap.position)} / ${formatClock(snap.duration)}`],
      ["Peers", e.peers != null ? String(e.peers) : "–"],
      ["Download", e.download_rate != null ? `${Math.round(e.download_rate / 1024)} KiB/s` : "–"],
      ["Video", video.videoWidth ? `${video.videoWidth}x${video.videoHeight}` : "–"],
    ];
    fill(stats, h("h2", { text: "Stats" }), lines.map(([k, v]) => h("p", null, h("span.k", { text: k }), " ", h("span.v", { text: v }))));
  }

  function render() {
    root.setAttribute("data-state", snap.state);
    playPause.textContent = snap.state === "paused" || snap.state === "ended" ? "Play" : "Pause";
    clock.textContent = `${formatClock(snap.position)} / ${formatClock(snap.duration)}`;
    const share = snap.duration > 0 ? Math.min(1, snap.position / snap.duration) : 0;
    bar.style.width = `${(share * 100).toFixed(1)}%`;
    const parts = [];
    if (snap.state === "error" && snap.error) parts.push(snap.error.message);
    else if (STATE_TEXT[snap.state] && snap.state !== "paused") parts.push(STATE_TEXT[snap.state]);
    if (snap.waitingFor && ["starting", "loading", "buffering"].includes(snap.state)) parts.push(`Waiting for ${snap.waitingFor}.`);
    if (snap.stalled) parts.push("No data for a while: press green to try the next source.");
    status.textContent = parts.join(" ");
    root.classList.toggle("waiting", ["starting", "loading", "buffering"].includes(snap.state) || snap.state === "error");
    renderStats();
  }

  player.subscribe((next) => {
    const was = snap.state;
    snap = next;
    if (next.state !== was) {
      keepScreenOn(next.state === "playing" || next.state === "buffering");
      if (next.state === "paused") saver.flush();
      if (next.state === "ended" || next.state === "error" || next.state === "paused") wake();
      if (next.state === "ended" && item.episode && !upNext) showUpNext();
      else if (upNext && next.state !== "ended") hideUpNext(); // rewound into the episode
    }
    saver.update(next.position, next.duration);
    render();
  });
  player.attach(video);
  const registered = registerKeys(PLAYER_KEYS);
  player.start(0, at);
  wake();

  const mediaActions = {
    MediaPlay: () => (video.paused ? player.play() : null),
    MediaPause: () => (video.paused ? null : video.pause()),
    MediaPlayPause: () => player.togglePlay(),
    MediaStop: () => app.nav.back(),
    MediaRewind: () => seekBy(-1),
    MediaFastForward: () => seekBy(1),
    MediaTrackPrevious: () => (item.episode ? stepEpisode(-1) : say("No previous episode: this is a movie.")),
    MediaTrackNext: () => (item.episode ? stepEpisode(1) : say("No next episode: this is a movie.")),
    ColorF0Red: () => cycleSubtitles(),
    ColorF1Green: () => nextSource(),
    ColorF2Yellow: () => cycleAudio(),
    ColorF3Blue: () => toggleStats(),
  };

  // Previous / next episode: the player is replaced by the neighbour's (Back still leads to
  // the show page below it).
  let stepping = false;
  async function stepEpisode(direction) {
    if (stepping) return;
    stepping = true;
    say(direction > 0 ? "Next episode…" : "Previous episode…");
    try {
      const target = await app.neighbourEpisode(item.episode, direction);
      if (!target) say(direction > 0 ? "This is the last episode." : "This is the first episode.");
      else await app.playEpisode(item.episode.show, target, { replace: true });
    } catch (error) {
      say(`Could not change episode: ${error.message}`);
    } finally {
      stepping = false;
    }
  }

  function showUpNext() {
    upNext = upNextPanel(app, item.episode, {
      play: (target) => app.playEpisode(item.episode.show, target, { replace: true }),
      leave: () => app.nav.back(),
    });
    overlay.insertBefore(upNext.root, controls);
  }

  function hideUpNext() {
    const hadFocus = upNext.root.contains(document.activeElement);
    upNext.dispose();
    upNext.root.remove();
    upNext = null;
    if (hadFocus) playPause.focus();
  }

  const screen = {
    name: "player",
    root,
    focus: () => (upNext && upNext.focus()) || playPause,
    onBack: () => Boolean(upNext && upNext.cancel()), // Back first stops the countdown
    onKey(name) {
      wake();
      if (mediaActions[name]) {
        mediaActions[name]();
        return true;
      }
      return false;
    },
    close() {
      const watched = snap.duration > 0 && snap.position / snap.duration >= WATCHED_SHARE;
      saver.flush({ keepalive: true });
      if (hideTimer) clearTimeout(hideTimer);
      if (noteTimer) clearTimeout(noteTimer);
      if (upNext) upNext.dispose();
      unregisterKeys(registered);
      keepScreenOn(false);
      player.detach();
      media.destroy();
      app.playerClosed(item, watched);
    },
  };
  return screen;
}
