// TV shows: the Shows home (lists, genres, search), paged browsing, and the show page with
// its season picker and episode list (watched marks, progress bars, Play per episode).
import { useEffect, useRef, useState } from "preact/hooks";
import { html } from "../html.js";
import { api, language, profile, navigate, route } from "../state.js";
import { watchedShare, formatClock, resumePoint } from "../core/progress.js";
import { episodeLabel, episodeRun, orderedSeasons } from "../core/episodes.js";
import { sourceLabel } from "../core/explain.js";
import { counted } from "../core/words.js";
import { useAsync, useTitle, Loading, ErrorBox, Row, Pager, MovieCard, rating, Picture, Poster, LIST_TITLES } from "./common.js";
import { annotate } from "./movie.js";

/** A show as a card (a link named by the show's name). */
export function ShowCard({ show, extra, href }) {
  const card = { tmdb_id: show.tmdb_id, title: show.name || `Show ${show.tmdb_id}`, year: show.year,
    poster_url: show.poster_url, vote_average: show.vote_average };
  return html`<${MovieCard} movie=${card} extra=${extra} href=${href || `/show/${show.tmdb_id}`} />`;
}

function ShowList({ shows, grid = false }) {
  return html`<ul class=${grid ? "grid" : "row-list"}>
    ${shows.map((show) => html`<${ShowCard} key=${show.tmdb_id} show=${show} />`)}
  </ul>`;
}

const SHOW_MATCHES = 6;

/** The search page's shows: the first few matching `q` and a link to all of them (the
 * header's one search box finds both kinds). Nothing when none match. */
export function ShowMatches({ q }) {
  const term = q.trim();
  const { data } = useAsync(
    () => (term ? api.shows({ q: term, page: 1, per_page: SHOW_MATCHES, language: language.value }) : null),
    [term, language.value],
  );
  if (!data || !data.total_results) return null;
  const more = data.total_results > data.results.length;
  return html`<section class="row" aria-labelledby="show-matches-title">
    <h2 id="show-matches-title">Shows</h2>
    <p class="muted">${counted(data.total_results, "show")} found${more
      ? html` · <a href=${`/shows?q=${encodeURIComponent(term)}`}>See all</a>`
      : ""}</p>
    <${ShowList} shows=${data.results} />
  </section>`;
}

function ShowRow({ name }) {
  const { data, error, loading, reload } = useAsync(
    () => api.shows({ list: name, per_page: 20, language: language.value }),
    [name, language.value],
  );
  const title = `${LIST_TITLES[name]} shows`;
  const id = `row-shows-${name}`;
  if (loading && !data) return html`<${Row} title=${title} id=${id}><${Loading} label=${`Loading ${title}…`} /><//>`;
  if (error) return html`<${Row} title=${title} id=${id}><${ErrorBox} error=${error} retry=${reload} /><//>`;
  if (!data.results.length) return null;
  return html`<${Row} title=${title} id=${id} href=${`/shows/list/${name}`}><${ShowList} shows=${data.results} /><//>`;
}

function ShowSearch({ q }) {
  const [text, setText] = useState(q);
  const timer = useRef(null);
  function onInput(event) {
    const value = event.currentTarget.value;
    setText(value);
    clearTimeout(timer.current);
    timer.current = setTimeout(
      () => navigate(value ? `/shows?q=${encodeURIComponent(value)}` : "/shows", { replace: true }),
      200,
    );
  }
  return html`<form class="search show-search" role="search" onSubmit=${(e) => e.preventDefault()}>
    <label for="show-search">Search shows</label>
    <input id="show-search" type="search" autocomplete="off" value=${text} onInput=${onInput} />
  </form>`;
}

function TvGenreChips() {
  const { data } = useAsync(() => api.tvGenres(language.value), [language.value]);
  if (!data) return null;
  const genres = data.results.filter((g) => g.show_count > 0);
  if (!genres.length) return null;
  return html`<section class="row" aria-labelledby="tv-genres-title">
    <h2 id="tv-genres-title">Genres</h2>
    <ul class="chips">
      ${genres.map((g) => html`<li key=${g.id}><a class="chip" href=${`/shows/genre/${g.id}`}>${g.name} <span class="muted">${g.show_count}</span></a></li>`)}
    </ul>
  </section>`;
}

/** /shows: list rows and genres, or search results when `q` is set. */
export function ShowsHome({ q = "", page = 1 }) {
  useTitle(q ? `Shows matching “${q}”` : "Shows");
  const results = useAsync(
    () => (q.trim() ? api.shows({ q: q.trim(), page, per_page: 24, language: language.value }) : null),
    [q, page, language.value],
  );
  return html`<div class="page home">
    <h1>Shows</h1>
    <${ShowSearch} q=${q} />
    ${q.trim()
      ? html`${results.data && html`<p role="status" class="muted">${counted(results.data.total_results, "show")} found</p>`}
          <${ErrorBox} error=${results.error} retry=${results.reload} />
          ${results.data && html`<${ShowList} shows=${results.data.results} grid=${true} />`}`
      : html`${Object.keys(LIST_TITLES).map((name) => html`<${ShowRow} key=${name} name=${name} />`)}
          <${TvGenreChips} />`}
  </div>`;
}

function setPage(page) {
  const query = new URLSearchParams({ ...route.value.query, page: String(page) });
  navigate(`${route.value.path}?${query}`);
}

/** /shows/list/<name> and /shows/genre/<id>: a paged grid. */
export function ShowsBrowse({ kind, list, genre, page }) {
  const genres = useAsync(() => (kind === "genre" ? api.tvGenres(language.value) : null), [kind, language.value]);
  const { data, error, loading, reload } = useAsync(() => {
    const query = { page, per_page: 24, language: language.value };
    if (kind === "list") query.list = list;
    else query.genre = genre;
    return api.shows(query);
  }, [kind, list, genre, page, language.value]);
  const genreName = genres.data && (genres.data.results.find((g) => g.id === genre) || {}).name;
  const title = kind === "list" ? `${LIST_TITLES[list]} shows` : `${genreName || "Genre"} shows`;
  useTitle(title);
  return html`<div class="page">
    <h1>${title}</h1>
    <${ErrorBox} error=${error} retry=${reload} />
    ${loading && !data && html`<${Loading} />`}
    ${data && html`<${ShowList} shows=${data.results} grid=${true} />`}
    ${data && html`<${Pager} page=${data.page} totalPages=${data.total_pages} onPage=${setPage} label=${`${title} pages`} />`}
  </div>`;
}

// --- the show page ----------------------------------------------------------------------------

function watchHref(showId, season, episode, sourceId) {
  const tail = sourceId ? `?source=${encodeURIComponent(sourceId)}` : "";
  return `/watch/show/${showId}/${season}/${episode}${tail}`;
}

function SeasonPicker({ show, season }) {
  const seasons = orderedSeasons(show);
  if (!seasons.length) return null;
  return html`<div class="field-inline">
    <label for="season-picker">Season</label>
    <select id="season-picker" value=${String(season)}
      onChange=${(e) => navigate(`/show/${show.tmdb_id}?season=${e.currentTarget.value}`, { replace: true })}>
      ${seasons.map(
        (s) => html`<option value=${String(s.season_number)}>${s.season_number === 0 ? "Specials" : s.name || `Season ${s.season_number}`} (${counted(s.episode_count, "episode")})</option>`,
      )}
    </select>
  </div>`;
}

function EpisodeItem({ show, season, episode, record }) {
  const sources = annotate(episode.sources || []);
  const best = sources.find((s) => !s.blocked);
  const run = best ? episodeRun(best) : null;  // e.g. S01E01E02: "E1–E2"
  const watched = Boolean(record && record.watched);
  const share = record && !watched ? watchedShare(record) : 0;
  const resume = resumePoint(record);
  const label = episodeLabel(season, episode.episode_number);
  const name = episode.name || `Episode ${episode.episode_number}`;
  const facts = [episode.air_date, episode.runtime_min ? `${episode.runtime_min} min` : null,
    best ? sourceLabel(best) : null].filter(Boolean);  // prettier-ignore
  return html`<li class=${watched ? "episode watched-episode" : "episode"} id=${`episode-${season}-${episode.episode_number}`}>
    <div class="episode-still" aria-hidden="true">
      <${Picture} src=${episode.still} alt="" loading="lazy" width="300" height="169"
        fallback=${html`<span class="still-none">${episode.episode_number}</span>`} />
    </div>
    <div class="episode-body">
      <h3><span class="muted">${label}</span> ${name}
        ${watched && html` <span class="badge ok">✓ Watched</span>`}</h3>
      <p class="facts">${facts.join(" · ")}${run && html` <span class="badge episode-run" title=${run.title}>${run.label}</span>`}</p>
      ${episode.overview && html`<p class="episode-overview">${episode.overview}</p>`}
      ${share > 0 &&
      html`<progress class="watched" max="1" value=${share} aria-label=${`${name}: ${Math.round(share * 100)}% watched`}></progress>
        <span class="card-meta">Stopped at ${formatClock(record.position_s)}</span>`}
    </div>
    <div class="episode-actions">
      ${best
        ? html`<button type="button" class=${resume ? "primary" : ""} aria-label=${`${resume ? "Resume" : "Play"} ${label}: ${name}`}
            onClick=${() => navigate(watchHref(show.tmdb_id, season, episode.episode_number, best.source_id))}>${resume ? "Resume" : "Play"}</button>`
        : html`<span class="muted">${sources.length ? "No source plays here" : "No source yet"}</span>`}
    </div>
  </li>`;
}

function EpisodeList({ show, season, data, records }) {
  if (!data.episodes.length) return html`<p class="muted">No episodes in this season yet.</p>`;
  return html`<ol class="episodes" aria-label=${`Episodes of ${data.name || `season ${season}`}`}>
    ${data.episodes.map(
      (episode) => html`<${EpisodeItem} key=${episode.episode_number} show=${show} season=${season}
        episode=${episode} record=${records.get(`${season}:${episode.episode_number}`)} />`,
    )}
  </ol>`;
}

function firstSeason(show) {
  const seasons = orderedSeasons(show);
  return seasons.length ? seasons[0].season_number : 1;
}

export function ShowPage({ id, season: asked }) {
  const { data: show, error, loading, reload } = useAsync(
    () => api.show(id, { language: language.value }),
    [id, language.value],
  );
  const progress = useAsync(() => api.showProgress(id).catch(() => ({ items: [], up_next: null })), [id]);
  const upNext = progress.data && progress.data.up_next;
  const season = asked != null ? asked : upNext ? upNext.season : show ? firstSeason(show) : null;
  const seasonData = useAsync(
    () => (show && season != null ? api.season(id, season, { profile: profile.value }) : null),
    [id, show && show.tmdb_id, season, profile.value],
  );
  useTitle(show ? show.name : "Show");
  useEffect(() => {
    if (asked == null || !upNext || upNext.season !== asked) return;
    const row = document.getElementById(`episode-${asked}-${upNext.episode}`);
    if (row) row.scrollIntoView({ block: "nearest" });
  }, [seasonData.data]);
  if (loading && !show) return html`<div class="page"><${Loading} /></div>`;
  if (error) return html`<div class="page"><${ErrorBox} error=${error} retry=${reload} home /></div>`;
  const records = new Map(((progress.data && progress.data.items) || []).map((r) => [`${r.season}:${r.episode}`, r]));
  const images = show.images || {};
  const backdrop = images.backdrop && (images.backdrop.w1280 || images.backdrop.w780 || images.backdrop.original);
  const poster = images.poster && (images.poster.w342 || images.poster.w500 || images.poster.original);
  const years = show.first_air_date ? show.first_air_date.slice(0, 4) + (show.last_air_date && show.last_air_date.slice(0, 4) !== show.first_air_date.slice(0, 4) ? `–${show.last_air_date.slice(0, 4)}` : "") : null;
  const facts = [years, show.number_of_seasons ? counted(show.number_of_seasons, "season") : null,
    show.vote_average != null ? `${rating(show.vote_average)} (${show.vote_count} votes)` : null].filter(Boolean);  // prettier-ignore
  // The big button: the up-next episode, else the first playable one of this season.
  const firstPlayable = !upNext && seasonData.data && seasonData.data.episodes.find(
    (e) => annotate(e.sources || []).some((s) => !s.blocked),
  );
  const target = upNext
    ? { season: upNext.season, episode: upNext.episode, name: upNext.episode_name, resume: upNext.resume_at_s > 0,
        note: upNext.up_next ? "Up next" : "In progress" }
    : firstPlayable && { season, episode: firstPlayable.episode_number, name: firstPlayable.name, resume: false, note: "" };
  const next = target && html`<button type="button" class="primary play"
      onClick=${() => navigate(watchHref(id, target.season, target.episode))}>
      ${target.resume ? "Resume" : "Play"} ${episodeLabel(target.season, target.episode)}</button>
    <span class="muted">${target.note}${target.note && target.name ? ": " : ""}${target.name || ""}</span>`;
  return html`<article class="movie show">
    <div class="backdrop" aria-hidden="true"><${Picture} src=${backdrop} alt="" /></div>
    <div class="movie-body page">
      <div class="movie-poster">
        <${Poster} url=${poster} title=${show.name} />
      </div>
      <div class="movie-info">
        <h1>${show.name}</h1>
        ${show.tagline && html`<p class="tagline">${show.tagline}</p>`}
        <p class="facts">${facts.join(" · ")}</p>
        <ul class="chips" aria-label="Genres">
          ${show.genres.map((g) => html`<li key=${g.id}><a class="chip" href=${`/shows/genre/${g.id}`}>${g.name}</a></li>`)}
        </ul>
        <p class="overview">${show.overview || "No overview in this language."}</p>
        ${next && html`<div class="actions">${next}</div>`}
        <section class="seasons" aria-labelledby="episodes-title">
          <h2 id="episodes-title">Episodes</h2>
          <${SeasonPicker} show=${show} season=${season} />
          <${ErrorBox} error=${seasonData.error} retry=${seasonData.reload} />
          ${seasonData.loading && !seasonData.data && html`<${Loading} label="Loading episodes…" />`}
          ${seasonData.data && html`<${EpisodeList} show=${show} season=${season} data=${seasonData.data} records=${records} />`}
        </section>
      </div>
    </div>
  </article>`;
}
