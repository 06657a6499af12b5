// Watching an episode: the shared player on the episode's stream, its progress saved per
// episode, and when it ends the next episode with a visible, cancellable countdown
// (focus on "Play now", Esc cancels, announced once to screen readers).
import { useEffect, useRef, useState } from "preact/hooks";
import { html } from "../html.js";
import { api, profile, navigate, announce } from "../state.js";
import { AUTOPLAY_SECONDS, createCountdown, episodeLabel, nextEpisode } from "../core/episodes.js";
import { Player, orderedSources } from "./watch.js";
import { useTitle, Loading, ErrorBox } from "./common.js";

function watchHref(showId, season, episode, autoplay) {
  return `/watch/show/${showId}/${season}/${episode}${autoplay ? "?autoplay=1" : ""}`;
}

/** Shown over the finished episode: the next one starts when the countdown reaches 0. */
function NextUp({ show, next, onPlay, backHref }) {
  const [left, setLeft] = useState(AUTOPLAY_SECONDS);
  const [cancelled, setCancelled] = useState(false);
  const playRef = useRef(null);
  const countdown = useRef(null);
  const stopped = useRef(false); // cancelled: Esc goes back to acting as the player's "exit"
  const label = `${episodeLabel(next.season, next.episode)}${next.name ? `: ${next.name}` : ""}`;
  function cancel() {
    stopped.current = true;
    if (countdown.current) countdown.current.cancel();
    setCancelled(true);
    announce("Autoplay cancelled");
  }
  useEffect(() => {
    countdown.current = createCountdown({ seconds: AUTOPLAY_SECONDS, onTick: setLeft, onDone: onPlay });
    announce(`Episode finished. Next: ${show.name}, ${label}, starts in ${AUTOPLAY_SECONDS} seconds. Press Escape to cancel.`);
    if (playRef.current) playRef.current.focus();
    function onKey(event) {
      if (event.key !== "Escape" || stopped.current || !countdown.current) return;
      if (countdown.current.remaining() <= 0) return;
      event.preventDefault(); // the player leaves the page on Esc; here it cancels autoplay
      event.stopImmediatePropagation();
      cancel();
    }
    addEventListener("keydown", onKey, true);
    return () => {
      countdown.current.cancel();
      removeEventListener("keydown", onKey, true);
    };
  }, []);
  useEffect(() => {
    if (cancelled && playRef.current) playRef.current.focus();
  }, [cancelled]);
  if (cancelled) {
    return html`<div class="overlay overlay-next" role="dialog" aria-modal="false" aria-labelledby="next-title">
      <h2 id="next-title">Up next: ${label}</h2>
      <p>Autoplay cancelled.</p>
      <div class="actions">
        <button type="button" class="primary" ref=${playRef} onClick=${onPlay}>Play next episode</button>
        <a href=${backHref}>Back to the show</a>
      </div>
    </div>`;
  }
  return html`<div class="overlay overlay-next" role="dialog" aria-modal="false" aria-labelledby="next-title"
      aria-describedby="next-count">
    <h2 id="next-title">Up next: ${label}</h2>
    <p id="next-count" class="countdown">Starts in <strong>${left}</strong> ${left === 1 ? "second" : "seconds"}</p>
    <progress class="countdown-bar" max=${AUTOPLAY_SECONDS} value=${AUTOPLAY_SECONDS - left} aria-hidden="true"></progress>
    <div class="actions">
      <button type="button" class="primary" ref=${playRef} onClick=${onPlay}>Play now</button>
      <button type="button" onClick=${cancel}>Cancel autoplay</button>
    </div>
  </div>`;
}

function Finished({ backHref }) {
  return html`<div class="overlay overlay-next" role="status">
    <h2>That was the last episode</h2>
    <div class="actions"><a href=${backHref}>Back to the show</a></div>
  </div>`;
}

export function EpisodeWatchPage({ showId, season, episode, sourceId, autoplay, resume = false }) {
  const [loaded, setLoaded] = useState(null);
  const [error, setError] = useState(null);
  const [next, setNext] = useState(undefined); // undefined: not known yet; null: none
  useEffect(() => {
    Promise.all([api.show(showId), api.season(showId, season, { profile: profile.value })]).then(
      ([show, seasonData]) => {
        setLoaded({ show, seasonData });
        nextEpisode({
          show,
          seasonData,
          season,
          episode,
          loadSeason: (n) => api.season(showId, n, { profile: profile.value }),
        }).then(setNext, () => setNext(null));
      },
      setError,
    );
  }, [showId, season, episode]);
  const show = loaded && loaded.show;
  const found = loaded && loaded.seasonData.episodes.find((e) => e.episode_number === episode);
  const label = episodeLabel(season, episode);
  const title = show ? `${show.name} · ${label}${found && found.name ? ` · ${found.name}` : ""}` : "Player";
  useTitle(show ? `Watching ${title}` : "Player");
  const backHref = `/show/${showId}?season=${season}`;
  if (error) return html`<div class="page"><${ErrorBox} error=${error} home /></div>`;
  if (!loaded) return html`<div class="page"><${Loading} /></div>`;
  if (!found) {
    return html`<div class="page" role="alert"><h1>${show.name} · ${label}</h1>
      <p>This episode is not in the catalog.</p><a href=${backHref}>Back to the show</a></div>`;
  }
  const sources = orderedSources(found, sourceId);
  if (!sources.length) {
    return html`<div class="page" role="alert"><h1>${title}</h1>
      <p>No source of this episode plays on this device.</p><a href=${backHref}>Back to the show</a></div>`;
  }
  const playNext = () => next && navigate(watchHref(showId, next.season, next.episode, true));
  return html`<${Player}
    key=${`${season}:${episode}`}
    title=${title}
    backHref=${backHref}
    backLabel="Back to the show"
    sources=${sources}
    tmdbId=${showId}
    requestStream=${(body) => api.streamEpisode(showId, season, episode, body)}
    loadProgress=${() => api.episodeProgress(showId, season, episode)}
    saveProgress=${(position, duration, options) =>
      api.saveEpisodeProgress(showId, season, episode, position, duration, options)}
    promptResume=${!autoplay && !resume}
    ended=${() =>
      next === undefined
        ? null
        : next
          ? html`<${NextUp} show=${show} next=${next} onPlay=${playNext} backHref=${backHref} />`
          : html`<${Finished} backHref=${backHref} />`}
  />`;
}
