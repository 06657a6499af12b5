// Hand-drawn SVG charts (no library): horizontal bars, a stacked bar, bars over time coloured
// by outcome, a pass/fail grid and lines over time. Each SVG is an image with a <title> and a
// <desc> summing it up; the time charts also offer their numbers as a table. Colours come from
// CSS classes or SVG presentation attributes (the CSP forbids inline style attributes).
import { html } from "../html.js";

const ROW = 22;
const LABEL_W = 170;
const WIDTH = 560;

export const OUTCOMES = [
  { status: "succeeded", label: "succeeded", tone: "good" },
  { status: "failed", label: "failed", tone: "bad" },
  { status: "blocked", label: "blocked by checks", tone: "tone-2" },
];
const OTHER = { label: "other", tone: "tone-3" };

export function outcomeOf(status) {
  return OUTCOMES.find((o) => o.status === status) || { ...OTHER, status };
}

/** A viewBox width near the space the chart gets, so its text stays readable on a phone. */
export function fitWidth(preferred) {
  const room = typeof window === "undefined" ? preferred : window.innerWidth - 80;
  return Math.round(Math.max(300, Math.min(preferred, room)));
}

/** A round upper bound for an axis (1, 2, 2.5 or 5 times a power of ten). */
export function niceMax(value) {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

export function formatSeconds(seconds) {
  if (seconds == null || !isFinite(seconds)) return "–";
  if (seconds === 0) return "0 s";
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

export function formatWhen(iso) {
  if (!iso) return "–";
  const date = new Date(iso);
  if (isNaN(date)) return String(iso);
  return date.toLocaleString(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
}

function Labelled({ id, title, desc, width, height, children }) {
  return html`<svg viewBox=${`0 0 ${width} ${height}`} role="img" aria-labelledby=${`${id}-t ${id}-d`}
    preserveAspectRatio="xMinYMin meet">
    <title id=${`${id}-t`}>${title}</title>
    <desc id=${`${id}-d`}>${desc}</desc>
    ${children}
  </svg>`;
}

/** The chart's numbers as a table, folded away (the SVG's text alternative in full). */
export function NumbersTable({ caption, columns, rows }) {
  if (!rows.length) return null;
  return html`<details class="chart-numbers">
    <summary>Show the numbers</summary>
    <div class="table-wrap">
      <table>
        <caption class="visually-hidden">${caption}</caption>
        <thead><tr>${columns.map((c) => html`<th scope="col">${c}</th>`)}</tr></thead>
        <tbody>${rows.map((row, i) => html`<tr key=${i}>${row.map((cell) => html`<td>${cell}</td>`)}</tr>`)}</tbody>
      </table>
    </div>
  </details>`;
}

/** Legend entries laid out in rows that fit `width`; returns { marks, rows }. */
function legend(x, y, width, items) {
  let offset = x;
  let row = 0;
  const marks = items.map((item) => {
    const size = 24 + item.label.length * 6.6;
    if (offset > x && offset + size > width) {
      offset = x;
      row += 1;
    }
    const at = offset;
    const base = y + row * 18;
    offset += size;
    return html`<g key=${item.label}>
      ${item.color
        ? html`<rect x=${at} y=${base - 7} width="12" height="4" rx="1" fill=${item.color} />`
        : html`<rect x=${at} y=${base - 10} width="12" height="12" rx="2" class=${`bar ${item.tone}`} />`}
      <text x=${at + 17} y=${base} class="chart-label">${item.label}</text>
    </g>`;
  });
  return { marks, rows: row + 1 };
}

export function BarChart({ title, items, unit = "", format = (v) => String(v), max, width = WIDTH }) {
  const labelW = Math.min(LABEL_W, Math.round(width * 0.34));
  const top = max || Math.max(1, ...items.map((item) => item.value));
  const barSpace = width - labelW - 70;
  const height = items.length * ROW + 8;
  const summary = `${title}: ${items.map((i) => `${i.label} ${format(i.value)}${unit}`).join(", ")}`;
  return html`<figure class="chart">
    <figcaption>${title}</figcaption>
    <svg viewBox=${`0 0 ${width} ${height}`} role="img" aria-label=${summary} preserveAspectRatio="xMinYMin meet">
      ${items.map((item, i) => {
        const y = 4 + i * ROW;
        const w = Math.max(1, (item.value / top) * barSpace);
        return html`<g key=${item.label}>
          <text x=${labelW - 8} y=${y + 15} text-anchor="end" class="chart-label">${item.label}</text>
          <rect x=${labelW} y=${y + 3} width=${w} height=${ROW - 8} rx="3" class=${`bar ${item.tone || ""}`} />
          <text x=${labelW + w + 6} y=${y + 15} class="chart-value">${format(item.value)}${unit}</text>
        </g>`;
      })}
    </svg>
  </figure>`;
}

export function StackedBar({ title, parts, format = (v) => v.toFixed(1), unit = "", width = 900 }) {
  const total = parts.reduce((sum, p) => sum + p.value, 0) || 1;
  let x = 0;
  const summary = `${title}: ${parts.map((p) => `${p.label} ${format(p.value)}${unit}`).join(", ")}; total ${format(total)}${unit}`;
  return html`<figure class="chart">
    <figcaption>${title} (total ${format(total)}${unit})</figcaption>
    <svg viewBox=${`0 0 ${width} 26`} role="img" aria-label=${summary}>
      ${parts.map((p, i) => {
        const w = (p.value / total) * width;
        const rect = html`<g key=${p.label}>
          <rect x=${x} y="2" width=${Math.max(w, 1)} height="22" class=${`bar tone-${i % 5}`} />
          ${w > 60 && html`<text x=${x + 5} y="17" class="chart-inbar">${p.label}</text>`}
        </g>`;
        x += w;
        return rect;
      })}
    </svg>
    <p class="muted" aria-hidden="true">${parts.map((p) => `${p.label} ${format(p.value)}${unit}`).join(" · ")}</p>
  </figure>`;
}

/** Sync runs over time (oldest left): one bar per run, its height the duration, its colour
 * the outcome. `runs`: [{ when, seconds, status }]. */
export function RunBars({ id, title, runs, width = 900, plotH = 160 }) {
  const left = 56;
  const right = 8;
  const bottom = 26;
  const plotW = width - left - right;
  const slot = plotW / Math.max(runs.length, 1);
  const maxY = niceMax(Math.max(0, ...runs.map((r) => r.seconds || 0)));
  const barW = Math.max(2, Math.min(32, slot * 0.72));
  const tally = OUTCOMES.map((o) => ({ ...o, count: runs.filter((r) => r.status === o.status).length }));
  const others = runs.filter((r) => !OUTCOMES.some((o) => o.status === r.status)).length;
  const durations = runs.map((r) => r.seconds).filter((s) => s != null).sort((a, b) => a - b);
  const median = durations.length ? durations[Math.floor((durations.length - 1) / 2)] : null;
  const desc = runs.length
    ? `${runs.length} runs from ${formatWhen(runs[0].when)} to ${formatWhen(runs[runs.length - 1].when)}: ` +
      tally.map((o) => `${o.count} ${o.label}`).join(", ") + (others ? `, ${others} other` : "") +
      `. Median duration ${formatSeconds(median)}, longest ${formatSeconds(durations[durations.length - 1])}.`
    : "No runs yet.";
  const keys = tally.map((o) => ({ tone: o.tone, label: `${o.label} (${o.count})` }));
  if (others) keys.push({ tone: OTHER.tone, label: `other (${others})` });
  const key = legend(left, 14, width, keys);
  const top = 16 + key.rows * 18;
  const height = top + plotH + bottom;
  return html`<figure class="chart">
    <figcaption>${title}</figcaption>
    <${Labelled} id=${id} title=${title} desc=${desc} width=${width} height=${height}>
      ${key.marks}
      ${[0, 0.5, 1].map((f) => {
        const y = top + plotH - f * plotH;
        return html`<g key=${f}>
          <line x1=${left} x2=${width - right} y1=${y} y2=${y} stroke="#3a404d" stroke-width="1" />
          <text x=${left - 6} y=${y + 4} text-anchor="end" class="chart-label">${formatSeconds(f * maxY)}</text>
        </g>`;
      })}
      ${runs.map((run, i) => {
        const h = Math.max(2, ((run.seconds || 0) / maxY) * plotH);
        const x = left + i * slot + (slot - barW) / 2;
        return html`<rect key=${i} x=${x} y=${top + plotH - h} width=${barW} height=${h} rx="2"
          class=${`bar ${outcomeOf(run.status).tone}`}>
          <title>${`${formatWhen(run.when)}: ${outcomeOf(run.status).label}, ${formatSeconds(run.seconds)}`}</title>
        </rect>`;
      })}
      ${runs.length > 0 &&
      html`<text x=${left} y=${height - 6} class="chart-label">${formatWhen(runs[0].when)}</text>
        ${runs.length > 1 && html`<text x=${width - right} y=${height - 6} text-anchor="end" class="chart-label">${formatWhen(runs[runs.length - 1].when)}</text>`}`}
    <//>
  </figure>`;
}

/** Data-quality suites (rows) over runs (columns, oldest left): a cell per suite and run,
 * green when the suite passed, red when it failed, hollow when it did not run. */
export function SuiteGrid({ id, title, suites, runs: all, width = 560 }) {
  const labelW = Math.min(190, Math.round(width * 0.42));
  const room = width - labelW - 48;
  const runs = all.slice(-Math.max(1, Math.floor(room / 8)));
  const cell = Math.min(22, room / Math.max(runs.length, 1));
  const rowH = 20;
  const height = suites.length * rowH + 8;
  const failing = suites.filter((s) => s.failures > 0);
  const desc = `${suites.length} suites over the last ${runs.length} checked runs. ` +
    (failing.length
      ? `Failed: ${failing.map((s) => `${s.name} in ${s.failures} run${s.failures > 1 ? "s" : ""}`).join(", ")}.`
      : "Every suite passed in every run.");
  return html`<figure class="chart">
    <figcaption>${title}</figcaption>
    <${Labelled} id=${id} title=${title} desc=${desc} width=${width} height=${height}>
      ${suites.map((suite, row) => {
        const y = 4 + row * rowH;
        const latest = suite.latest;
        return html`<g key=${suite.name}>
          <text x=${labelW - 8} y=${y + 13} text-anchor="end" class="chart-label">${suite.name}</text>
          ${runs.map((run, col) => {
            const result = run.results[suite.name];
            const x = labelW + col * cell;
            return result
              ? html`<rect key=${col} x=${x + 1} y=${y + 2} width=${cell - 2} height=${rowH - 5} rx="2"
                  class=${`bar ${result.success ? "good" : "bad"}`}>
                  <title>${`${suite.name}, ${formatWhen(run.when)}: ${result.success ? "passed" : "failed"}` +
                    (result.evaluated != null ? ` (${result.passed}/${result.evaluated})` : "")}</title>
                </rect>`
              : html`<rect key=${col} x=${x + 1.5} y=${y + 2.5} width=${cell - 3} height=${rowH - 6} rx="2"
                  fill="none" stroke="#3a404d" />`;
          })}
          ${latest && latest.evaluated != null &&
          html`<text x=${labelW + runs.length * cell + 6} y=${y + 13} class="chart-value">${latest.passed}/${latest.evaluated}</text>`}
        </g>`;
      })}
    <//>
  </figure>`;
}

/** Lines over runs (oldest left), from zero. `series`: [{ label, color, values }], values
 * aligned with `when` (null: no point). */
export function LineChart({ id, title, series, when, width = 560, plotH = 146, format = (v) => String(v) }) {
  const left = 48;
  const right = 12;
  const bottom = 24;
  const plotW = width - left - right;
  const all = series.flatMap((s) => s.values).filter((v) => v != null);
  const maxY = niceMax(Math.max(0, ...all));
  const x = (i) => left + (when.length > 1 ? (i / (when.length - 1)) * plotW : plotW / 2);
  const y = (v) => top + plotH - (v / maxY) * plotH;
  const last = (values) => [...values].reverse().find((v) => v != null);
  const first = (values) => values.find((v) => v != null);
  const key = legend(left, 14, width, series.map((s) => ({ color: s.color, label: `${s.label} (${format(last(s.values) ?? 0)})` })));
  const top = 12 + key.rows * 18;
  const height = top + plotH + bottom;
  const desc = when.length
    ? `From ${formatWhen(when[0])} to ${formatWhen(when[when.length - 1])}: ` +
      series.map((s) => `${s.label} ${format(first(s.values) ?? 0)} to ${format(last(s.values) ?? 0)}`).join("; ") + "."
    : "No data yet.";
  return html`<figure class="chart">
    <figcaption>${title}</figcaption>
    <${Labelled} id=${id} title=${title} desc=${desc} width=${width} height=${height}>
      ${key.marks}
      ${[0, 0.5, 1].map((f) => html`<g key=${f}>
        <line x1=${left} x2=${width - right} y1=${y(f * maxY)} y2=${y(f * maxY)} stroke="#3a404d" stroke-width="1" />
        <text x=${left - 6} y=${y(f * maxY) + 4} text-anchor="end" class="chart-label">${format(f * maxY)}</text>
      </g>`)}
      ${series.map((s) => {
        const points = s.values.map((v, i) => (v == null ? null : [x(i), y(v)])).filter(Boolean);
        return html`<g key=${s.label}>
          ${points.length > 1 && html`<polyline points=${points.map((p) => p.join(",")).join(" ")} fill="none"
            stroke=${s.color} stroke-width="2.5" stroke-linejoin="round" />`}
          ${points.length <= 40 && points.map((p, i) => html`<circle key=${i} cx=${p[0]} cy=${p[1]} r="3.5" fill=${s.color} />`)}
        </g>`;
      })}
      ${when.length > 0 &&
      html`<text x=${left} y=${height - 6} class="chart-label">${formatWhen(when[0])}</text>
        ${when.length > 1 && html`<text x=${width - right} y=${height - 6} text-anchor="end" class="chart-label">${formatWhen(when[when.length - 1])}</text>`}`}
    <//>
  </figure>`;
}
