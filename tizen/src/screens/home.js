// Home: a top bar (Settings) and rows of posters: Continue watching (movies and episodes),
// then the server's lists, each for movies and for TV shows.
import { h, fill } from "../dom.js";
import { episodeLabel } from "../../../web/src/core/episodes.js";

const LISTS = [
  ["popular", "Popular"],
  ["top_rated", "Top rated"],
  ["trending", "Trending"],
];

function card(app, rowId, movie, note) {
  const poster = movie.poster_url
    ? h("img", { src: movie.poster_url, alt: "" })
    : h("span.poster-none", { text: (movie.title || "?").slice(0, 1) });
  return h(`button#card-${rowId}-${movie.tmdb_id}.card`, {
    type: "button",
    "data-tmdb-id": String(movie.tmdb_id),
    "aria-label": movie.title || `Movie ${movie.tmdb_id}`,
    onclick: () => app.openMovie(movie.tmdb_id),
  }, h("span.poster", null, poster), h("span.card-title", { text: movie.title || `Movie ${movie.tmdb_id}` }), note && h("span.card-note", { text: note }));
}

// A show (or an episode of continue watching): opens the show page (at the item's season).
function showCard(app, rowId, show, note) {
  const name = show.name || show.title || `Show ${show.tmdb_id}`;
  const poster = show.poster_url ? h("img", { src: show.poster_url, alt: "" }) : h("span.poster-none", { text: name.slice(0, 1) });
  return h(`button#card-${rowId}-show-${show.tmdb_id}.card.show-card`, {
    type: "button",
    "data-show-id": String(show.tmdb_id),
    "aria-label": note ? `${name}, ${note}` : name,
    onclick: () => app.openShow(show.tmdb_id, show.season != null ? show.season : null),
  }, h("span.poster", null, poster), h("span.card-title", { text: name }), note && h("span.card-note", { text: note }));
}

function row(app, id, title, items, note) {
  const make = (item) => (item.kind === "episode" || item.kind === "show" ? showCard : card)(app, id, item, note && note(item));
  return h(`section#row-${id}.row.lrud-container`, { "aria-label": title },
    h("h2", { text: title }),
    h("div.row-track", null, items.map(make)));
}

const percent = (i) => (i.duration_s ? `${Math.round((100 * i.position_s) / i.duration_s)} % watched` : null);

function continueNote(item) {
  if (item.kind !== "episode") return percent(item);
  const where = episodeLabel(item.season, item.episode);
  return item.up_next && !item.position_s ? `${where} · Up next` : [where, percent(item)].filter(Boolean).join(" · ");
}

export function homeScreen(app) {
  const rows = h("div.rows", null, h("p.message", { text: "Loading…" }));
  const root = h("div.home.scroll", null,
    h("nav#topbar.topbar.lrud-container", null,
      h("span.brand", { text: "Miauflix" }),
      h("button#open-settings", { type: "button", text: "Settings", onclick: () => app.openSettings() })),
    rows);

  async function continueRow() {
    const progress = await app.api.progress().catch(() => ({ items: [] }));
    const items = ((progress && progress.items) || [])
      .filter((i) => !i.watched && (i.kind === "movie" || i.kind === "episode"))
      .map((i) => Object.assign({}, i, { poster_url: i.poster }));
    return items.length ? row(app, "continue", "Continue watching", items, continueNote) : null;
  }

  async function load() {
    const parts = [];
    try {
      parts.push(await continueRow());
      for (const [name, title] of LISTS) {
        const page = await app.api.movies({ list: name, per_page: 20 });
        if (page.results.length) parts.push(row(app, name, title, page.results));
        const shows = await app.api.shows({ list: name, per_page: 20 });
        const asShows = shows.results.map((show) => Object.assign({ kind: "show" }, show));
        if (asShows.length) parts.push(row(app, `shows-${name}`, `${title} shows`, asShows));
      }
    } catch (error) {
      if (error.status === 401) return;
      fill(rows, h("p.message", { role: "alert", text: `Could not load the catalogue: ${error.message}` }),
        h("button#home-retry", { type: "button", text: "Retry", onclick: () => load() }));
      return;
    }
    const shown = parts.filter(Boolean);
    fill(rows, shown.length ? shown : h("p.message", { text: "The catalogue is empty: run a sync on the server." }));
    // Focus sat on Settings (the only button) while the rows loaded: on to the first card.
    const first = rows.querySelector(".card");
    const waiting = !root.contains(document.activeElement) || document.activeElement.id === "open-settings";
    if (first && waiting && app.nav.top() && app.nav.top().root === root) first.focus();
  }

  // Back on home (after watching): refresh "Continue watching", keeping the focused card.
  async function refreshContinue() {
    let fresh;
    try {
      fresh = await continueRow();
    } catch {
      return;
    }
    const old = rows.querySelector("#row-continue");
    if (!old && !fresh) return;
    const focusedId = old && old.contains(document.activeElement) ? document.activeElement.id : null;
    if (old && fresh) rows.replaceChild(fresh, old);
    else if (old) old.remove();
    else rows.insertBefore(fresh, rows.firstChild);
    const onTop = app.nav.top() && app.nav.top().root === root;
    if (focusedId && onTop) {
      const again = document.getElementById(focusedId) || rows.querySelector(".card");
      if (again) again.focus();
    }
  }
  load();
  return {
    name: "home",
    root,
    shown: () => refreshContinue(),
    focus: () => root.querySelector(".card") || root.querySelector("#open-settings"),
  };
}
