// Admin sync status, from GET /api/admin/sync (the run history, the live catalogue, sources by
// quality, the Prefect UI address) and the engine's status: the last run, then durations and
// outcomes over time, data quality per suite over time, catalogue counts over time, sources by
// quality. Plots are hand-drawn SVG (charts.js), each with a text alternative.
import { html } from "../html.js";
import { api } from "../state.js";
import { useAsync, useTitle, Loading, ErrorBox } from "./common.js";
import {
  BarChart,
  LineChart,
  NumbersTable,
  RunBars,
  StackedBar,
  SuiteGrid,
  fitWidth,
  formatSeconds,
  formatWhen,
  outcomeOf,
} from "./charts.js";
import { formatBytes } from "../core/explain.js";

const RUNS = 100;
const GRID_RUNS = 30;
const MOVIES = "#5b8def";
const SOURCES = "#f5a524";

/** Suites over the last runs that ran checks (oldest first): rows and columns of the grid. */
export function suiteMatrix(runs, limit = GRID_RUNS) {
  const checked = runs.filter((r) => r.dq && r.dq.suites && r.dq.suites.length).slice(-limit);
  const columns = checked.map((r) => ({
    when: r.started_at,
    results: Object.fromEntries(r.dq.suites.map((s) => [s.name, s])),
  }));
  const names = [];
  for (const run of [...checked].reverse()) {
    for (const suite of run.dq.suites) if (!names.includes(suite.name)) names.push(suite.name);
  }
  const suites = names.map((name) => ({
    name,
    failures: columns.filter((c) => c.results[name] && !c.results[name].success).length,
    latest: [...columns].reverse().map((c) => c.results[name]).find(Boolean),
  }));
  return { suites, columns };
}

async function load() {
  const [history, engine] = await Promise.allSettled([api.syncHistory({ limit: RUNS }), api.engineStatus()]);
  if (history.status === "rejected") throw history.reason;
  return {
    ...history.value,
    engine: engine.status === "fulfilled" ? engine.value : null,
    engineError: engine.status === "rejected" ? engine.reason : null,
  };
}

function LastRun({ run, catalog, prefect }) {
  const phases = Object.entries(run ? run.phases || {} : {}).map(([label, value]) => ({ label, value: Number(value) || 0 }));
  const outcome = run && outcomeOf(run.status);
  const counts = (catalog && catalog.counts) || {};
  return html`<div class="panel">
    <h2>Last sync</h2>
    ${run
      ? html`<p>
          <span class=${`badge ${run.status === "succeeded" ? "ok" : run.status === "blocked" ? "warn" : "bad"}`}>${outcome.label}</span>${" "}
          · scope ${run.scope || "all"} · started ${formatWhen(run.started_at)} · took ${formatSeconds(run.seconds)}
        </p>
        ${run.error && html`<p class="error-text">${run.error}</p>`}
        ${phases.length > 0 && html`<${StackedBar} title="Duration by phase" parts=${phases} unit=" s" width=${fitWidth(900)} />`}`
      : html`<p>No sync has run yet.</p>`}
    <p class="muted">
      ${catalog
        ? `Serving the catalogue published ${formatWhen(catalog.published_at)} (run ${String(catalog.run_id).slice(0, 8)}): ` +
          `${counts.movies ?? 0} movies, ${counts.sources ?? 0} sources.`
        : "No catalogue has been published yet."}
    </p>
    <p>
      ${prefect
        ? html`<a href=${prefect} rel="noopener">Open the Prefect UI</a> for every flow run, its logs and schedules.`
        : "No Prefect UI link (set MIAUFLIX_PREFECT_UI_URL)."}
    </p>
  </div>`;
}

function Engine({ engine, engineError }) {
  return html`<div class="panel">
    <h3>Engine</h3>
    ${engine
      ? html`<p>${engine.active_torrents} active torrent(s) · disk ${formatBytes(engine.disk.used_bytes)} of ${formatBytes(engine.disk.quota_bytes)} · VPN: ${engine.vpn.reason}</p>
          ${engine.sources.length > 0 &&
          html`<${BarChart} title="Downloaded share per source" max=${100}
            items=${engine.sources.slice(0, 12).map((s) => ({ label: String(s.name || s.source_id).slice(0, 22), value: Math.round(s.progress * 100) }))}
            unit="%" />`}`
      : html`<p class="error-text">Engine status unavailable${engineError ? `: ${engineError.message}` : ""}.</p>`}
  </div>`;
}

export function AdminSync() {
  useTitle("Sync status");
  const { data, error, loading, reload } = useAsync(load, []);
  if (loading && !data) return html`<${Loading} />`;
  if (error) return html`<${ErrorBox} error=${error} retry=${reload} />`;
  const runs = [...data.runs].reverse(); // oldest first, left to right
  const { suites, columns } = suiteMatrix(runs);
  const counted = runs.filter((r) => r.catalog && r.catalog.counts);
  const quality = Object.entries(data.sources_by_quality || {});
  return html`<div class="sync">
    <${LastRun} run=${data.runs[0]} catalog=${data.catalog} prefect=${data.prefect_ui_url} />
    ${runs.length > 0 &&
    html`<div class="panel">
      <${RunBars} id="chart-runs" width=${fitWidth(900)} title=${runs.length > 1 ? `Sync duration and outcome, last ${runs.length} runs` : "Sync duration and outcome, first run"}
        runs=${runs.map((r) => ({ when: r.started_at, seconds: r.seconds, status: r.status }))} />
      <${NumbersTable} caption="Sync runs, newest first" columns=${["Started", "Scope", "Outcome", "Duration", "Error"]}
        rows=${data.runs.map((r) => [formatWhen(r.started_at), r.scope || "all", outcomeOf(r.status).label, formatSeconds(r.seconds), r.error || ""])} />
    </div>`}
    <div class="chart-grid">
      ${suites.length > 0 &&
      html`<div class="panel">
        <${SuiteGrid} id="chart-dq" title="Data-quality suites per run (latest: expectations held)"
          suites=${suites} runs=${columns} width=${fitWidth(560)} />
        <${NumbersTable} caption="Data-quality suites" columns=${["Suite", "Runs failed", "Latest"]}
          rows=${suites.map((s) => [s.name, `${s.failures} of ${columns.length}`,
            s.latest ? `${s.latest.success ? "passed" : "failed"} ${s.latest.passed ?? "?"}/${s.latest.evaluated ?? "?"}` : "–"])} />
      </div>`}
      ${counted.length > 0 &&
      html`<div class="panel">
        <${LineChart} id="chart-catalog" width=${fitWidth(560)} title="Catalogue size after each run" when=${counted.map((r) => r.started_at)}
          series=${[
            { label: "movies", color: MOVIES, values: counted.map((r) => r.catalog.counts.movies ?? null) },
            { label: "sources", color: SOURCES, values: counted.map((r) => r.catalog.counts.sources ?? null) },
          ]} />
        <${NumbersTable} caption="Catalogue size after each run, newest first" columns=${["Run started", "Movies", "Sources"]}
          rows=${[...counted].reverse().map((r) => [formatWhen(r.started_at), r.catalog.counts.movies ?? "–", r.catalog.counts.sources ?? "–"])} />
      </div>`}
      ${quality.length > 0 &&
      html`<div class="panel"><${BarChart} title="Sources by quality (live catalogue)" width=${fitWidth(560)}
        items=${quality.map(([label, value]) => ({ label, value }))} /></div>`}
      <${Engine} engine=${data.engine} engineError=${data.engineError} />
    </div>
  </div>`;
}
