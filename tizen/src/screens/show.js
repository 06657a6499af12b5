// The show page: backdrop, facts, overview, the "up next" episode's button (focus lands on
// it), a row of seasons (OK shows one) and that season's episodes, each with its watched mark
// or progress; OK plays it (from its resume point). Back from the player lands on the
// episode last played, with fresh marks.
import { h, fill } from "../dom.js";
import { reveal } from "../nav.js";
import { episodeLabel, orderedSeasons } from "../../../web/src/core/episodes.js";
import { formatClock, resumePoint, watchedShare } from "../../../web/src/core/progress.js";
import { playableSources } from "../titles.js";
import { counted } from "../../../web/src/core/words.js";

const seasonName = (s) => (s.season_number === 0 ? "Specials" : s.name || `Season ${s.season_number}`);

export function showScreen(app, showId, askedSeason = null) {
  const body = h("div.movie-body.show-body", null, h("p.message", { text: "Loading…" }));
  const root = h("div.show.scroll", null, body);
  const message = h("p#show-message.message", { role: "status" });
  const list = h("section#episodes.episodes.lrud-container", { "aria-label": "Episodes" });
  let show = null;
  let season = null;
  let seasonData = null;
  let records = new Map();
  let upNext = null;

  const onTop = () => Boolean(app.nav.top() && app.nav.top().root === root);
  const focusHere = (el) => {
    if (el && onTop()) {
      el.focus();
      reveal(el);
    }
  };

  async function loadProgress() {
    const progress = await app.api.showProgress(showId).catch(() => ({ items: [], up_next: null }));
    records = new Map((progress.items || []).map((r) => [`${r.season}:${r.episode}`, r]));
    upNext = progress.up_next || null;
  }

  function episodeContent(episode) {
    const record = records.get(`${season}:${episode.episode_number}`);
    const watched = Boolean(record && record.watched);
    const share = record && !watched ? watchedShare(record) : 0;
    const playable = playableSources(episode.sources, app.capabilities).length > 0;
    const meta = [
      episode.runtime_min ? `${episode.runtime_min} min` : null,
      watched ? "✓ Watched" : null,
      share > 0 ? `${Math.round(share * 100)} % watched · stopped at ${formatClock(record.position_s)}` : null,
      playable ? null : "no source plays on this TV",
    ].filter(Boolean);
    return [
      h("span.episode-label", { text: episodeLabel(season, episode.episode_number) }),
      h("span.episode-name", { text: episode.name || `Episode ${episode.episode_number}` }),
      h("span.episode-meta", { text: meta.join(" · ") }),
      share > 0 && h("span.bar.episode-bar", null, h("span.bar-fill", { style: `width: ${(share * 100).toFixed(1)}%` })),
    ];
  }

  function playEpisode(episode) {
    if (!playableSources(episode.sources, app.capabilities).length) {
      message.textContent = episode.sources && episode.sources.length
        ? "No source of this episode plays on this TV."
        : "No sources for this episode yet.";
      return;
    }
    const record = records.get(`${season}:${episode.episode_number}`);
    const target = { season, episode: episode.episode_number, seasonData };
    app.playEpisode(show, target, { at: resumePoint(record) || 0 }).catch((error) => {
      message.textContent = `Could not play this episode: ${error.message}`;
    });
  }

  function renderEpisodes() {
    const episodes = (seasonData && seasonData.episodes) || [];
    if (!episodes.length) {
      fill(list, h("p.muted", { text: "No episodes in this season yet." }));
      return;
    }
    fill(list, episodes.map((episode) => {
      const record = records.get(`${season}:${episode.episode_number}`);
      const classes = record && record.watched ? ".episode.watched" : ".episode";
      return h(`button#episode-${season}-${episode.episode_number}${classes}`, {
        type: "button",
        "data-episode": String(episode.episode_number),
        onclick: () => playEpisode(episode),
      }, episodeContent(episode));
    }));
  }

  /** Fresh watched marks in place (the focused button stays the same element). */
  function updateMarks() {
    for (const episode of (seasonData && seasonData.episodes) || []) {
      const button = list.querySelector(`#episode-${season}-${episode.episode_number}`);
      if (!button) continue;
      fill(button, episodeContent(episode));
      const record = records.get(`${season}:${episode.episode_number}`);
      button.classList.toggle("watched", Boolean(record && record.watched));
    }
  }

  async function selectSeason(number) {
    season = number;
    for (const b of root.querySelectorAll(".season")) b.setAttribute("aria-pressed", b.id === `season-${number}` ? "true" : "false");
    fill(list, h("p.message", { text: "Loading episodes…" }));
    try {
      seasonData = await app.loadSeason(showId, number);
    } catch (error) {
      if (error.status !== 401) fill(list, h("p.message", { role: "alert", text: `Could not load the episodes: ${error.message}` }));
      return;
    }
    if (season === number) renderEpisodes();
  }

  function nextButton() {
    let target = null;
    if (upNext) {
      target = { season: upNext.season, episode: upNext.episode, name: upNext.episode_name, at: upNext.resume_at_s || 0 };
    } else {
      const first = ((seasonData && seasonData.episodes) || []).find((e) => playableSources(e.sources, app.capabilities).length);
      if (first) target = { season, episode: first.episode_number, name: first.name, at: 0 };
    }
    if (!target) return null;
    const label = `${target.at > 0 ? "Resume" : "Play"} ${episodeLabel(target.season, target.episode)}`;
    return h("div#show-actions.actions.lrud-container", null,
      h("button#play-next.primary", {
        type: "button",
        text: label,
        onclick: () => app.playEpisode(show, { season: target.season, episode: target.episode }, { at: target.at })
          .catch((error) => (message.textContent = `Could not play: ${error.message}`)),
      }),
      h("span.muted", { text: `${upNext ? (upNext.up_next ? "Up next" : "In progress") : "First episode"}${target.name ? `: ${target.name}` : ""}` }));
  }

  async function load() {
    try {
      show = await app.api.show(showId);
      await loadProgress();
      const seasons = orderedSeasons(show);
      season = askedSeason != null ? askedSeason : upNext ? upNext.season : seasons.length ? seasons[0].season_number : 1;
      seasonData = await app.loadSeason(showId, season);
    } catch (error) {
      if (error.status === 401) return;
      fill(body, h("p.message", { role: "alert", text: `Could not load this show: ${error.message}` }));
      return;
    }
    const images = show.images || {};
    const backdrop = images.backdrop && (images.backdrop.w1280 || images.backdrop.original);
    const first = show.first_air_date ? show.first_air_date.slice(0, 4) : null;
    const last = show.last_air_date ? show.last_air_date.slice(0, 4) : null;
    const facts = [
      first && (last && last !== first ? `${first}–${last}` : first),
      show.number_of_seasons ? counted(show.number_of_seasons, "season") : null,
      show.vote_average ? `★ ${show.vote_average.toFixed(1)}` : null,
    ].filter(Boolean);
    const seasons = orderedSeasons(show);
    fill(body,
      backdrop && h("div.backdrop", { "aria-hidden": "true" }, h("img", { src: backdrop, alt: "" })),
      h("h1#show-title", { text: show.name || `Show ${showId}` }),
      h("p.facts", { text: facts.join(" · ") }),
      h("p.overview", { text: show.overview || "No overview." }),
      nextButton(),
      message,
      seasons.length > 0 && h("section#seasons.season-row.lrud-container", { "aria-label": "Seasons" },
        seasons.map((s) => h(`button#season-${s.season_number}.season`, {
          type: "button",
          "aria-pressed": s.season_number === season ? "true" : "false",
          onclick: () => selectSeason(s.season_number),
        }, seasonName(s), h("span.muted", { text: ` (${s.episode_count})` })))),
      list);
    renderEpisodes();
    focusHere(root.querySelector("#play-next") || list.querySelector(".episode") || root.querySelector("button"));
  }

  // Back from the player: the episode last played gets the focus (its season shown), and
  // the marks are refreshed.
  function shown() {
    const last = app.lastPlayed;
    const mine = last && last.episode && last.tmdbId === showId ? last.episode : null;
    if (mine && mine.season === season) {
      const button = list.querySelector(`#episode-${mine.season}-${mine.episode}`);
      if (button) screen.lastFocus = button;
    }
    (async () => {
      await loadProgress();
      if (mine && mine.season !== season && show) {
        await selectSeason(mine.season);
        focusHere(list.querySelector(`#episode-${mine.season}-${mine.episode}`));
      } else updateMarks();
    })().catch(() => {});
  }

  load();
  const screen = {
    name: "show",
    root,
    shown,
    focus: () => root.querySelector("#play-next") || list.querySelector(".episode"),
  };
  return screen;
}
