// The movie page: backdrop, poster, facts, overview in the chosen language, ranked sources
// with a reason each (greyed when this device cannot play them), the quality picker, Play.
import { useState, useEffect } from "preact/hooks";
import { html } from "../html.js";
import { api, language, profile, capabilities, navigate } from "../state.js";
import { sourceReason, whyChosen, sourceLabel } from "../core/explain.js";
import { unplayableReason } from "../core/device.js";
import { resumePoint, formatClock } from "../core/progress.js";
import { useAsync, useTitle, Loading, ErrorBox, rating, Picture, Poster } from "./common.js";

let displayNames = null;
export function languageName(code) {
  try {
    displayNames = displayNames || new Intl.DisplayNames(["en"], { type: "language" });
    return displayNames.of(code) || code;
  } catch {
    return code;
  }
}

/** Sources annotated for this device: { ...source, blocked: reason | null }. */
export function annotate(sources) {
  return sources.map((s) => ({ ...s, blocked: unplayableReason(s, capabilities) }));
}

function LanguagePicker({ movie }) {
  const codes = Array.from(
    new Set(["en", movie.original_language, ...movie.translations.map((t) => t.language)].filter(Boolean)),
  ).sort();
  if (codes.length < 2) return null;
  return html`<div class="field-inline">
    <label for="movie-language">Metadata language</label>
    <select id="movie-language" value=${language.value} onChange=${(e) => (language.value = e.currentTarget.value)}>
      ${codes.map((code) => html`<option value=${code}>${languageName(code)}</option>`)}
    </select>
  </div>`;
}

function Sources({ movie, sources, chosen, onChoose }) {
  const playable = sources.filter((s) => !s.blocked);
  const first = playable[0];
  return html`<section class="sources" aria-labelledby="sources-title">
    <h2 id="sources-title">Sources</h2>
    ${first && html`<p class="why">${whyChosen(first, playable)}</p>`}
    <fieldset>
      <legend>Quality</legend>
      <ol class="source-list">
        ${sources.map(
          (s) => html`<li key=${s.source_id} class=${s.blocked ? "source blocked" : "source"}>
            <input type="radio" name="source" id=${`source-${s.source_id}`} value=${s.source_id}
              checked=${chosen === s.source_id} disabled=${!!s.blocked}
              onChange=${() => onChoose(s.source_id)} />
            <label for=${`source-${s.source_id}`}>
              <span class="source-rank">${s.blocked ? "–" : `#${playable.indexOf(s) + 1}`}</span>
              <span class="source-line">${sourceReason(s, movie.runtime_min)}</span>
              ${s.blocked &&
              html`<span class="source-why">${s.available === false ? "Unavailable" : "Cannot play here"}: ${s.blocked}</span>`}
            </label>
          </li>`,
        )}
      </ol>
    </fieldset>
  </section>`;
}

export function MoviePage({ id }) {
  const { data: movie, error, loading, reload } = useAsync(
    () => api.movie(id, { language: language.value, profile: profile.value }),
    [id, language.value, profile.value],
  );
  const progress = useAsync(() => api.movieProgress(id).catch(() => null), [id]);
  const [chosen, setChosen] = useState(null);
  useTitle(movie ? movie.title : "Movie");
  const sources = movie ? annotate(movie.sources) : [];
  const firstPlayable = sources.find((s) => !s.blocked);
  useEffect(() => {
    if (movie && (!chosen || !sources.some((s) => s.source_id === chosen && !s.blocked))) {
      setChosen(firstPlayable ? firstPlayable.source_id : null);
    }
  }, [movie]);
  if (loading && !movie) return html`<div class="page"><${Loading} /></div>`;
  if (error) return html`<div class="page"><${ErrorBox} error=${error} retry=${reload} home /></div>`;
  const record = progress.data || null;
  const resume = resumePoint(record);
  const images = movie.images || {};
  const backdrop = images.backdrop && (images.backdrop.w1280 || images.backdrop.w780 || images.backdrop.original);
  const poster = images.poster && (images.poster.w342 || images.poster.w500 || images.poster.original);
  const facts = [
    movie.year,
    movie.runtime_min ? `${movie.runtime_min} min` : null,
    movie.vote_average != null ? `${rating(movie.vote_average)} (${movie.vote_count} votes)` : null,
  ].filter(Boolean);
  const chosenSource = sources.find((s) => s.source_id === chosen);
  return html`<article class="movie">
    <div class="backdrop" aria-hidden="true">
      <${Picture} src=${backdrop} alt="" />
    </div>
    <div class="movie-body page">
      <div class="movie-poster">
        <${Poster} url=${poster} title=${movie.title} />
      </div>
      <div class="movie-info">
        <h1>${movie.title}</h1>
        ${movie.tagline && html`<p class="tagline">${movie.tagline}</p>`}
        <p class="facts">${facts.join(" · ")}</p>
        <ul class="chips" aria-label="Genres">
          ${movie.genres.map((g) => html`<li key=${g.id}><a class="chip" href=${`/genre/${g.id}`}>${g.name}</a></li>`)}
        </ul>
        <${LanguagePicker} movie=${movie} />
        <p class="overview">${movie.overview || "No overview in this language."}</p>
        <div class="actions">
          <button type="button" class="primary play" disabled=${!chosen}
            onClick=${() => navigate(`/watch/${id}?source=${encodeURIComponent(chosen)}`)}>Play</button>
          ${chosenSource && html`<span class="muted">${sourceLabel(chosenSource)}</span>`}
          ${resume && html`<span class="muted">You stopped at ${formatClock(record.position_s)}; Play offers to resume.</span>`}
          ${record && record.watched && html`<span class="badge">Watched</span>`}
        </div>
        ${!firstPlayable &&
        html`<p class="error-text" role="alert">${sources.length ? "No source of this title plays on this device." : "No sources for this title yet."}</p>`}
        <${Sources} movie=${movie} sources=${sources} chosen=${chosen} onChoose=${setChosen} />
      </div>
    </div>
  </article>`;
}
