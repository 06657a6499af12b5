// Hand-drawn SVG charts (no library): horizontal bars and a stacked bar. Each chart is an
// image with a text alternative listing every value.
import { html } from "../html.js";

const ROW = 22;
const LABEL_W = 170;
const WIDTH = 560;

export function BarChart({ title, items, unit = "", format = (v) => String(v), max }) {
  const top = max || Math.max(1, ...items.map((item) => item.value));
  const barSpace = WIDTH - LABEL_W - 70;
  const height = items.length * ROW + 8;
  const summary = `${title}: ${items.map((i) => `${i.label} ${format(i.value)}${unit}`).join(", ")}`;
  return html`<figure class="chart">
    <figcaption>${title}</figcaption>
    <svg viewBox=${`0 0 ${WIDTH} ${height}`} role="img" aria-label=${summary} preserveAspectRatio="xMinYMin meet">
      ${items.map((item, i) => {
        const y = 4 + i * ROW;
        const w = Math.max(1, (item.value / top) * barSpace);
        return html`<g key=${item.label}>
          <text x=${LABEL_W - 8} y=${y + 15} text-anchor="end" class="chart-label">${item.label}</text>
          <rect x=${LABEL_W} y=${y + 3} width=${w} height=${ROW - 8} rx="3" class=${`bar ${item.tone || ""}`} />
          <text x=${LABEL_W + w + 6} y=${y + 15} class="chart-value">${format(item.value)}${unit}</text>
        </g>`;
      })}
    </svg>
  </figure>`;
}

export function StackedBar({ title, parts, format = (v) => v.toFixed(1), unit = "" }) {
  const total = parts.reduce((sum, p) => sum + p.value, 0) || 1;
  let x = 0;
  const summary = `${title}: ${parts.map((p) => `${p.label} ${format(p.value)}${unit}`).join(", ")}; total ${format(total)}${unit}`;
  return html`<figure class="chart">
    <figcaption>${title} (total ${format(total)}${unit})</figcaption>
    <svg viewBox=${`0 0 ${WIDTH} 64`} role="img" aria-label=${summary}>
      ${parts.map((p, i) => {
        const w = (p.value / total) * WIDTH;
        const rect = html`<g key=${p.label}>
          <rect x=${x} y="4" width=${Math.max(w, 1)} height="26" class=${`bar tone-${i % 5}`} />
          ${w > 60 && html`<text x=${x + 4} y="22" class="chart-inbar">${p.label}</text>`}
        </g>`;
        x += w;
        return rect;
      })}
      <text x="0" y="52" class="chart-label">${parts.map((p) => `${p.label} ${format(p.value)}${unit}`).join(" · ")}</text>
    </svg>
  </figure>`;
}
