// What the player plays: a movie or an episode, as one shape the player screen drives
// ({ key, kind, heading, tmdbId, requestStream(body), saveProgress(position, duration, options),
// episode: null | { show, seasonData, season, episode } }), and the ranked sources a TV plays.
import { unplayableReason } from "../../web/src/core/device.js";
import { episodeLabel, episodeRun } from "../../web/src/core/episodes.js";
import { counted } from "../../web/src/core/words.js";

/** "720p · x264 · web · 12 seeds" ("… · E1–E2 · …" for a release holding several episodes) */
export function sourceLabel(s) {
  const run = episodeRun(s);
  return [s.quality, s.codec, s.source_type, run && run.label, s.seeds != null ? counted(s.seeds, "seed") : null].filter(Boolean).join(" · ");
}

/** "1080p x265 web E1–E2": a source in the player's stats. */
export function sourceFacts(s) {
  const run = episodeRun(s);
  return [s.quality, s.codec, s.source_type, run && run.label].filter(Boolean).join(" ");
}

/** Every source with `blocked` (why it does not play here, or null). */
export function annotate(sources, capabilities) {
  return (sources || []).map((s) => Object.assign({}, s, { blocked: unplayableReason(s, capabilities) }));
}

/** The sources this TV plays, best first (`chosen` first when given). */
export function playableSources(sources, capabilities, chosen = null) {
  const playable = annotate(sources, capabilities).filter((s) => !s.blocked);
  const first = chosen ? playable.find((s) => s.source_id === chosen.source_id) : null;
  return first ? [first, ...playable.filter((s) => s !== first)] : playable;
}

export function movieTitle(app, movie) {
  const id = movie.tmdb_id;
  return {
    key: `movie:${id}`,
    kind: "movie",
    heading: movie.title || `Movie ${id}`,
    tmdbId: id,
    requestStream: (body) => app.api.stream(id, body),
    saveProgress: (position, duration, options) => app.api.saveProgress(id, position, duration, options),
    episode: null,
  };
}

export function episodeTitle(app, show, seasonData, season, episode) {
  const id = show.tmdb_id;
  const found = (seasonData.episodes || []).find((e) => e.episode_number === episode) || {};
  const name = found.name ? ` · ${found.name}` : "";
  return {
    key: `episode:${id}:${season}:${episode}`,
    kind: "episode",
    heading: `${show.name || `Show ${id}`} · ${episodeLabel(season, episode)}${name}`,
    tmdbId: id,
    requestStream: (body) => app.api.streamEpisode(id, season, episode, body),
    saveProgress: (position, duration, options) =>
      app.api.saveEpisodeProgress(id, season, episode, position, duration, options),
    episode: { show, seasonData, season, episode, sources: found.sources || [] },
  };
}
