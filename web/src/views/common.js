// Small shared view pieces: async loading, error boxes, movie cards, rows, pagers.
import { useEffect, useState, useCallback, useRef } from "preact/hooks";
import { html } from "../html.js";

/** Run `load()` when `deps` change; { data, error, loading, reload }. */
export function useAsync(load, deps) {
  const [state, setState] = useState({ data: undefined, error: null, loading: true });
  const generation = useRef(0);
  const run = useCallback(() => {
    const mine = ++generation.current;
    setState((old) => ({ ...old, loading: true, error: null }));
    Promise.resolve()
      .then(load)
      .then(
        (data) => mine === generation.current && setState({ data, error: null, loading: false }),
        (error) => mine === generation.current && setState({ data: undefined, error, loading: false }),
      );
  }, deps);
  useEffect(run, [run]);
  return { ...state, reload: run };
}

export function useTitle(text) {
  useEffect(() => {
    document.title = text ? `${text} · Miauflix` : "Miauflix";
  }, [text]);
}

export function Loading({ label = "Loading…" }) {
  return html`<p class="loading" role="status">${label}</p>`;
}

export const LIST_TITLES = { popular: "Popular", top_rated: "Top rated", trending: "Trending" };

/** Whether asking again may help: not when the request itself is refused (a title not in
 * the catalog, a bad parameter); a conflict, a timeout or a rate limit may pass. */
function retryable(error) {
  return ![400, 404, 410, 422].includes(error && error.status);
}

/** An error in words, "Try again" when that may help, and (`home`: a whole page failed) the
 * way back home. */
export function ErrorBox({ error, retry, home = false }) {
  if (!error) return null;
  const again = retry && retryable(error);
  return html`<div class="error-box" role="alert">
    <p>${error.message || String(error)}</p>
    ${(again || home) &&
    html`<p class="error-actions">
      ${again && html`<button type="button" onClick=${retry}>Try again</button>`}
      ${home && html`<a href="/">Back to Home</a>`}
    </p>`}
  </div>`;
}

export function rating(value) {
  return value == null ? "" : `★ ${Number(value).toFixed(1)}`;
}

/** An image that gives way to `fallback` (nothing by default) when it does not load (an
 * offline machine, a moved TMDB path): never the browser's broken-image icon. */
export function Picture({ src, fallback = null, ...attrs }) {
  const [failedSrc, setFailedSrc] = useState(null); // remembered by URL: a new src gets a try
  if (!src || failedSrc === src) return fallback;
  // the handler before the src: an image already known broken may fail as src is set
  return html`<img onError=${() => setFailedSrc(src)} src=${src} ...${attrs} />`;
}

/** A poster, or the title's first letter while it loads or when it cannot. */
export function Poster({ url, title }) {
  const [state, setState] = useState(url ? "loading" : "none");
  return html`<span class=${`poster poster-${state}`}>
    <span class="poster-placeholder" aria-hidden="true">${(title || "?").slice(0, 1)}</span>
    ${url &&
    state !== "failed" &&
    html`<img
      onLoad=${() => setState("loaded")}
      onError=${() => setState("failed")}
      src=${url}
      alt=${`Poster of ${title}`}
      loading="lazy"
      decoding="async"
      width="342"
      height="513"
    />`}
  </span>`;
}

/** A movie card: one link whose accessible name starts with the title (`href`: elsewhere). */
export function MovieCard({ movie, extra, href }) {
  const year = movie.year || (movie.release_date || "").slice(0, 4);
  return html`<li class="card">
    <a href=${href || `/movie/${movie.tmdb_id}`} class="card-link">
      <${Poster} url=${movie.poster_url} title=${movie.title} />
      <span class="card-title">${movie.title}</span>
      <span class="card-meta">${[year, rating(movie.vote_average), movie.best_quality].filter(Boolean).join(" · ")}</span>
      ${extra}
    </a>
  </li>`;
}

export function Row({ title, movies, href, id, children }) {
  return html`<section class="row" aria-labelledby=${id}>
    <div class="row-head">
      <h2 id=${id}>${title}</h2>
      ${href && html`<a class="row-more" href=${href}>See all<span class="visually-hidden"> ${title}</span></a>`}
    </div>
    ${children ||
    html`<ul class="row-list">
      ${movies.map((movie) => html`<${MovieCard} key=${movie.tmdb_id} movie=${movie} />`)}
    </ul>`}
  </section>`;
}

export function Grid({ movies }) {
  return html`<ul class="grid">
    ${movies.map((movie) => html`<${MovieCard} key=${movie.tmdb_id} movie=${movie} />`)}
  </ul>`;
}

/** Previous / next paging with "page x of y". */
export function Pager({ page, totalPages, onPage, label = "Pages" }) {
  if (!totalPages || totalPages <= 1) return null;
  return html`<nav class="pager" aria-label=${label}>
    <button type="button" disabled=${page <= 1} onClick=${() => onPage(page - 1)}>Previous page</button>
    <span aria-live="polite">Page ${page} of ${totalPages}</span>
    <button type="button" disabled=${page >= totalPages} onClick=${() => onPage(page + 1)}>Next page</button>
  </nav>`;
}
