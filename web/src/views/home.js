// Home (continue watching + one row per list), paged browsing (list, genre, search), genres.
import { html } from "../html.js";
import { api, language, navigate, route } from "../state.js";
import { watchedShare, formatClock } from "../core/progress.js";
import { episodeLabel } from "../core/episodes.js";
import { counted } from "../core/words.js";
import { useAsync, useTitle, Loading, ErrorBox, Row, Grid, Pager, MovieCard, LIST_TITLES } from "./common.js";
import { ShowMatches } from "./shows.js";
import { WatchlistRow } from "./trakt.js";

const TMDB_POSTER = "https://image.tmdb.org/t/p/w342";

function progressMovie(item) {
  const poster = item.poster || item.poster_url || (item.poster_path ? TMDB_POSTER + item.poster_path : null);
  return { tmdb_id: item.tmdb_id, title: item.title || `Movie ${item.tmdb_id}`, year: item.year, poster_url: poster };
}

/** Titles in progress; a card plays on from where the person stopped (the next episode, for
 * a show), with no stop at the title's page or the resume question. */
function ContinueWatching() {
  const { data } = useAsync(
    () => api.progress().catch((error) => (error.status === 404 ? { items: [], missing: true } : Promise.reject(error))),
    [],
  );
  const items = ((data && data.items) || []).filter((item) => !item.watched);
  if (!items.length) return null;
  return html`<${Row} title="Continue watching" id="row-continue">
    <ul class="row-list">
      ${items.map((item) =>
        item.kind === "episode"
          ? html`<${MovieCard}
              key=${`show-${item.tmdb_id}`}
              movie=${{ ...progressMovie(item), title: item.title || `Show ${item.tmdb_id}` }}
              href=${`/watch/show/${item.tmdb_id}/${item.season}/${item.episode}?resume=1`}
              extra=${html`<span class="card-episode">${episodeLabel(item.season, item.episode)}${item.episode_name ? html`<span class="visually-hidden">: ${item.episode_name}</span>` : ""}</span>
                ${item.up_next && item.position_s === 0
                  ? html`<span class="card-meta">Up next</span>`
                  : html`<progress class="watched" max="1" value=${watchedShare(item)}
                        aria-label=${`${Math.round(watchedShare(item) * 100)}% watched`}></progress>
                      <span class="card-meta">Stopped at ${formatClock(item.position_s)}</span>`}`}
            />`
          : html`<${MovieCard}
              key=${item.tmdb_id}
              movie=${progressMovie(item)}
              href=${`/watch/${item.tmdb_id}?resume=1`}
              extra=${html`<progress class="watched" max="1" value=${watchedShare(item)}
                  aria-label=${`${Math.round(watchedShare(item) * 100)}% watched`}></progress>
                <span class="card-meta">Stopped at ${formatClock(item.position_s)}</span>`}
            />`,
      )}
    </ul>
  <//>`;
}

function ListRow({ name }) {
  const { data, error, loading, reload } = useAsync(
    () => api.movies({ list: name, per_page: 20, language: language.value }),
    [name, language.value],
  );
  const title = LIST_TITLES[name];
  if (loading && !data) return html`<${Row} title=${title} id=${`row-${name}`}><${Loading} label=${`Loading ${title}…`} /><//>`;
  if (error) return html`<${Row} title=${title} id=${`row-${name}`}><${ErrorBox} error=${error} retry=${reload} /><//>`;
  if (!data.results.length) return null;
  return html`<${Row} title=${title} id=${`row-${name}`} movies=${data.results} href=${`/list/${name}`} />`;
}

export function Home() {
  useTitle("Home");
  return html`<div class="page home">
    <h1 class="visually-hidden">Home</h1>
    <${ContinueWatching} />
    <${WatchlistRow} />
    ${Object.keys(LIST_TITLES).map((name) => html`<${ListRow} key=${name} name=${name} />`)}
  </div>`;
}

function setPage(page) {
  const query = new URLSearchParams({ ...route.value.query, page: String(page) });
  navigate(`${route.value.path}?${query}`);
}

/** A paged grid: a list, a genre or search results. */
export function Browse({ kind, list, genre, q, page }) {
  const genres = useAsync(() => (kind === "genre" ? api.genres(language.value) : null), [kind, language.value]);
  const { data, error, loading, reload } = useAsync(() => {
    if (kind === "search" && !q.trim()) return { results: [], total_results: 0, total_pages: 0, page: 1 };
    const query = { page, per_page: 24, language: language.value };
    if (kind === "list") query.list = list;
    if (kind === "genre") query.genre = genre;
    if (kind === "search") query.q = q.trim();
    return api.movies(query);
  }, [kind, list, genre, q, page, language.value]);
  const genreName =
    genres.data && (genres.data.results.find((g) => g.id === genre) || {}).name;
  const title =
    kind === "list" ? LIST_TITLES[list] : kind === "genre" ? genreName || "Genre" : q ? `Results for “${q}”` : "Search";
  useTitle(title);
  return html`<div class="page">
    <h1>${title}</h1>
    ${kind === "search" &&
    data &&
    html`<p role="status" class="muted">${q ? `${counted(data.total_results, "movie")} found` : "Type in the search box to find a movie or a show."}</p>`}
    <${ErrorBox} error=${error} retry=${reload} />
    ${loading && !data && html`<${Loading} />`}
    ${data && html`<${Grid} movies=${data.results} />`}
    ${data && html`<${Pager} page=${data.page} totalPages=${data.total_pages} onPage=${setPage} label=${`${title} pages`} />`}
    ${kind === "search" && page === 1 && html`<${ShowMatches} q=${q} />`}
  </div>`;
}

export function Genres() {
  useTitle("Genres");
  const { data, error, loading, reload } = useAsync(() => api.genres(language.value), [language.value]);
  return html`<div class="page">
    <h1>Genres</h1>
    <${ErrorBox} error=${error} retry=${reload} />
    ${loading && !data && html`<${Loading} />`}
    ${data &&
    html`<ul class="chips">
      ${data.results
        .filter((g) => g.movie_count > 0)
        .map(
          (g) => html`<li key=${g.id}><a class="chip" href=${`/genre/${g.id}`}>${g.name} <span class="muted">${g.movie_count}</span></a></li>`,
        )}
    </ul>`}
  </div>`;
}
