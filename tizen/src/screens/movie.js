// The movie page: backdrop, facts, overview, Play / Resume, and the ranked sources (the
// `tv` profile), each a button choosing the source Play starts with.
import { h, fill } from "../dom.js";
import { resumePoint, formatClock } from "../../../web/src/core/progress.js";
import { annotate, movieTitle, sourceLabel } from "../titles.js";

export function movieScreen(app, tmdbId) {
  const body = h("div.movie-body", null, h("p.message", { text: "Loading…" }));
  const root = h("div.movie.scroll", null, body);
  let chosen = null;

  async function load() {
    let movie;
    let record = null;
    try {
      movie = await app.api.movie(tmdbId, { profile: "tv" });
      record = await app.api.movieProgress(tmdbId).catch(() => null);
    } catch (error) {
      if (error.status === 401) return;
      fill(body, h("p.message", { role: "alert", text: `Could not load this movie: ${error.message}` }));
      return;
    }
    const sources = annotate(movie.sources, app.capabilities);
    const playable = sources.filter((s) => !s.blocked);
    chosen = playable[0] || null;
    const resume = resumePoint(record);
    const backdrop = movie.images && movie.images.backdrop && (movie.images.backdrop.w1280 || movie.images.backdrop.original);
    const chosenNote = h("p#chosen-source.muted", { text: chosen ? `Source: ${sourceLabel(chosen)}` : "" });
    const play = (at) => app.openPlayer({ title: movieTitle(app, movie), sources: [chosen, ...playable.filter((s) => s !== chosen)], at });
    const actions = h("div#actions.actions.lrud-container", null,
      chosen && resume && h("button#resume.primary", { type: "button", text: `Resume from ${formatClock(resume)}`, onclick: () => play(resume) }),
      chosen && h("button#play.primary", { type: "button", text: resume ? "Play from start" : "Play", onclick: () => play(0) }),
      !chosen && h("p.message", { role: "alert", text: sources.length ? "No source of this title plays on this TV." : "No sources for this title yet." }));
    const sourceButtons = sources.map((s, i) =>
      h(`button#source-${i}.source`, {
        type: "button",
        disabled: Boolean(s.blocked),
        "aria-pressed": s === chosen ? "true" : "false",
        onclick: (event) => {
          chosen = s;
          for (const b of root.querySelectorAll(".source")) b.setAttribute("aria-pressed", b === event.currentTarget ? "true" : "false");
          chosenNote.textContent = `Source: ${sourceLabel(s)}`;
        },
      }, h("span.source-rank", { text: s.blocked ? "–" : `#${playable.indexOf(s) + 1}` }), ` ${sourceLabel(s)}`, s.blocked && h("span.muted", { text: ` (${s.blocked})` })));
    const facts = [movie.year, movie.runtime_min ? `${movie.runtime_min} min` : null, movie.vote_average ? `★ ${movie.vote_average.toFixed(1)}` : null].filter(Boolean);
    fill(body,
      backdrop && h("div.backdrop", { "aria-hidden": "true" }, h("img", { src: backdrop, alt: "" })),
      h("h1#movie-title", { text: movie.title || `Movie ${tmdbId}` }),
      movie.tagline && h("p.tagline", { text: movie.tagline }),
      h("p.facts", { text: facts.join(" · ") }),
      h("p.overview", { text: movie.overview || "No overview." }),
      actions,
      chosenNote,
      record && record.watched && h("p.badge", { text: "Watched" }),
      sources.length && h("section#sources.sources.lrud-container", { "aria-label": "Sources" }, h("h2", { text: "Sources" }), sourceButtons));
    if (app.nav.top() && app.nav.top().root === root) {
      const target = root.querySelector("#resume, #play") || root.querySelector("button");
      if (target) target.focus();
    }
  }
  load();
  return { name: "movie", root, focus: () => root.querySelector("#resume, #play") };
}
