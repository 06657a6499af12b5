// Episodes: labels, which episode comes next, and the autoplay countdown. No DOM or view
// code: the TV shell reuses it.

export const AUTOPLAY_SECONDS = 10;

/** "S2 · E5" (specials: "Special · E1"). */
export function episodeLabel(season, episode) {
  return season === 0 ? `Special · E${episode}` : `S${season} · E${episode}`;
}

/**
 * A source whose release holds several episodes (its `episodes`, first to last, from the
 * season answer): { first, last, label: "E1–E2", title } ; null for one episode, a season
 * pack (`episodes` null) or anything that is not an ascending list of episode numbers.
 */
export function episodeRun(source) {
  const held = source && source.episodes;
  if (!Array.isArray(held) || held.length < 2) return null;
  const first = held[0];
  const last = held[held.length - 1];
  if (!Number.isInteger(first) || !Number.isInteger(last) || first < 0 || last <= first) return null;
  return { first, last, label: `E${first}–E${last}`, title: `One release holding episodes ${first} to ${last}` };
}

/** Numbered seasons in order, then the specials (season 0). */
export function orderedSeasons(show) {
  const seasons = (show && show.seasons) || [];
  return [...seasons].sort(
    (a, b) => (a.season_number === 0) - (b.season_number === 0) || a.season_number - b.season_number,
  );
}

/**
 * The episode after (season, episode): the next one of `seasonData.episodes`, else the
 * first episode of the next numbered season (loaded with `loadSeason(n)`); specials run
 * on their own. Resolves to { season, episode, name, seasonData } or null at the end.
 */
export async function nextEpisode({ show, seasonData, season, episode, loadSeason }) {
  const episodes = (seasonData && seasonData.episodes) || [];
  const later = episodes.filter((e) => e.episode_number > episode).sort((a, b) => a.episode_number - b.episode_number);
  if (later.length) return { season, episode: later[0].episode_number, name: later[0].name, seasonData };
  if (season === 0) return null;
  const following = orderedSeasons(show).filter((s) => s.season_number > season && s.episode_count > 0);
  for (const candidate of following) {
    const data = await loadSeason(candidate.season_number);
    const first = ((data && data.episodes) || []).slice().sort((a, b) => a.episode_number - b.episode_number)[0];
    if (first) return { season: candidate.season_number, episode: first.episode_number, name: first.name, seasonData: data };
  }
  return null;
}

/**
 * The episode before (season, episode): the previous one of `seasonData.episodes`, else the
 * last episode of the previous numbered season (loaded with `loadSeason(n)`); specials run
 * on their own. Resolves to { season, episode, name, seasonData } or null at the start.
 */
export async function previousEpisode({ show, seasonData, season, episode, loadSeason }) {
  const episodes = (seasonData && seasonData.episodes) || [];
  const earlier = episodes.filter((e) => e.episode_number < episode).sort((a, b) => b.episode_number - a.episode_number);
  if (earlier.length) return { season, episode: earlier[0].episode_number, name: earlier[0].name, seasonData };
  if (season === 0) return null;
  const preceding = orderedSeasons(show)
    .filter((s) => s.season_number > 0 && s.season_number < season && s.episode_count > 0)
    .reverse();
  for (const candidate of preceding) {
    const data = await loadSeason(candidate.season_number);
    const last = ((data && data.episodes) || []).slice().sort((a, b) => b.episode_number - a.episode_number)[0];
    if (last) return { season: candidate.season_number, episode: last.episode_number, name: last.name, seasonData: data };
  }
  return null;
}

/**
 * createCountdown({ seconds, onTick, onDone, every }) -> { cancel, remaining }.
 * Calls onTick(secondsLeft) once a second (first with `seconds`), then onDone() at 0,
 * unless cancel() came first. `every(fn, ms)` / its returned stop() are injectable.
 */
export function createCountdown({
  seconds = AUTOPLAY_SECONDS,
  onTick = () => {},
  onDone = () => {},
  every = (fn, ms) => {
    const id = setInterval(fn, ms);
    return () => clearInterval(id);
  },
}) {
  let left = seconds;
  let stopped = false;
  onTick(left);
  const stop = every(() => {
    if (stopped) return;
    left -= 1;
    onTick(left);
    if (left <= 0) {
      stopped = true;
      stop();
      onDone();
    }
  }, 1000);
  return {
    cancel() {
      if (!stopped) {
        stopped = true;
        stop();
      }
    },
    remaining: () => left,
  };
}
