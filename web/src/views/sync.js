// Admin sync status: the last pipeline run, data-quality suites, catalogue counts, sources
// by quality, engine storage, and a link to the Prefect UI. Plots are hand-drawn SVG.
import { html } from "../html.js";
import { api } from "../state.js";
import { useAsync, useTitle, Loading, ErrorBox } from "./common.js";
import { BarChart, StackedBar } from "./charts.js";
import { formatBytes } from "../core/explain.js";

/** Suites from last_sync.dq: a `suites` list when present, else parsed from `summary`. */
export function dqSuites(dq) {
  if (!dq) return [];
  if (Array.isArray(dq.suites) && dq.suites.length) {
    return dq.suites.map((s) => ({
      name: s.name || s.suite || "suite",
      passed: s.passed ?? (s.success ? 1 : 0),
      total: s.total ?? 1,
      ok: s.success ?? s.ok ?? s.passed === s.total,
    }));
  }
  const out = [];
  for (const line of String(dq.summary || "").split("\n")) {
    const m = line.match(/^\s*(ok|FAIL|fail|failed)\s+(\S+)\s+\((\d+)\/(\d+)\)/);
    if (m) out.push({ name: m[2], ok: m[1] === "ok", passed: +m[3], total: +m[4] });
  }
  return out;
}

async function moviesByQuality() {
  const counts = {};
  let page = 1;
  let pages = 1;
  do {
    const data = await api.movies({ page, per_page: 100 });
    for (const movie of data.results) {
      const key = movie.best_quality || "no source";
      counts[key] = (counts[key] || 0) + 1;
    }
    pages = Math.min(data.total_pages, 20);
    page += 1;
  } while (page <= pages);
  return counts;
}

async function load() {
  const settled = await Promise.allSettled([
    api.status(),
    api.engineStatus(),
    api.lists(),
    api.genres("en"),
    api.config(),
    moviesByQuality(),
  ]);
  const [status, engine, lists, genres, config, quality] = settled.map((r) => (r.status === "fulfilled" ? r.value : null));
  const engineError = settled[1].status === "rejected" ? settled[1].reason : null;
  return { status, engine, engineError, lists, genres, config, quality };
}

function prefectUrl(config) {
  const port = config && config.settings && config.settings.prefect_ui_port;
  return port ? `${location.protocol}//${location.hostname}:${port}` : null;
}

export function AdminSync() {
  useTitle("Sync status");
  const { data, error, loading, reload } = useAsync(load, []);
  if (loading && !data) return html`<${Loading} />`;
  if (error) return html`<${ErrorBox} error=${error} retry=${reload} />`;
  const { status, engine, engineError, lists, genres, config, quality } = data;
  const last = status && status.last_sync;
  const catalog = status && status.catalog;
  const suites = dqSuites(last && last.dq);
  const prefect = prefectUrl(config);
  const phases = last && last.seconds && typeof last.seconds === "object"
    ? Object.entries(last.seconds).map(([label, value]) => ({ label, value: Number(value) || 0 }))
    : [];
  return html`<div class="sync">
    <div class="panel">
      <h2>Last sync</h2>
      ${last
        ? html`<p><span class=${`badge ${last.status === "succeeded" ? "ok" : "bad"}`}>${last.status}</span>
            scope ${last.scope || "all"} · started ${last.started_at} · finished ${last.finished_at || "–"}
            ${last.error ? html` · <span class="error-text">${last.error}</span>` : ""}</p>`
        : html`<p>No sync has run yet.</p>`}
      ${phases.length > 0 && html`<${StackedBar} title="Duration by phase" parts=${phases} unit=" s" />`}
      ${catalog && html`<p class="muted">Catalogue published ${catalog.published_at} (run ${String(catalog.run_id).slice(0, 8)}).</p>`}
      <p>${prefect ? html`<a href=${prefect} rel="noopener">Open the Prefect UI</a> for every flow run, its logs and schedules.` : "Prefect UI address unknown."}</p>
    </div>
    <div class="chart-grid">
      ${suites.length > 0 &&
      html`<div class="panel"><${BarChart} title="Data-quality expectations passed, per suite"
        items=${suites.map((s) => ({ label: s.name, value: s.passed, tone: s.ok ? "good" : "bad" }))}
        format=${(v) => v} /></div>`}
      ${catalog && catalog.counts &&
      html`<div class="panel"><${BarChart} title="Catalogue rows per table"
        items=${Object.entries(catalog.counts).map(([label, value]) => ({ label, value }))} /></div>`}
      ${quality &&
      html`<div class="panel"><${BarChart} title="Movies by best source quality"
        items=${Object.entries(quality).sort().map(([label, value]) => ({ label, value }))} /></div>`}
      ${lists &&
      html`<div class="panel"><${BarChart} title="Movies per list" items=${lists.results.map((l) => ({ label: l.name, value: l.count }))} /></div>`}
      ${genres &&
      html`<div class="panel"><${BarChart} title="Movies per genre"
        items=${genres.results.filter((g) => g.movie_count).map((g) => ({ label: g.name, value: g.movie_count }))} /></div>`}
      <div class="panel">
        <h3>Engine</h3>
        ${engine
          ? html`<p>${engine.active_torrents} active torrent(s) · disk ${formatBytes(engine.disk.used_bytes)} of ${formatBytes(engine.disk.quota_bytes)} · VPN: ${engine.vpn.reason}</p>
              ${engine.sources.length > 0 &&
              html`<${BarChart} title="Downloaded share per source" max=${100}
                items=${engine.sources.slice(0, 12).map((s) => ({ label: String(s.name || s.source_id).slice(0, 22), value: Math.round(s.progress * 100) }))}
                unit="%" />`}`
          : html`<p class="error-text">Engine status unavailable${engineError ? `: ${engineError.message}` : ""}.</p>`}
      </div>
    </div>
    <p class="muted note">Not in the API yet: a history of sync runs (durations and outcomes over
      time) and catalogue counts over time. <code>/api/status</code> exposes only the last run, so
      these plots show the latest run; the Prefect UI keeps the full history.</p>
  </div>`;
}
