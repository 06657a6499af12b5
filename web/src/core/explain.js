// Human explanations of the ranked sources (see docs/ranking.md): one line per source and
// why the first was chosen. Pure functions: the TV shell shows the same words.

export const BITRATE_BANDS = {
  480: [0.5, 2.5],
  720: [0.8, 4],
  1080: [1.5, 8],
  2160: [4, 25],
};

const COMPONENT_NAMES = {
  resolution: "resolution",
  codec: "codec",
  source: "release source",
  bit_depth: "bit depth",
  audio: "audio channels",
  bitrate: "bitrate fit",
  health: "swarm health",
  repack: "repack",
  "3d": "3D",
  age: "age",
  reliability: "reliability",
};

export function formatBytes(bytes) {
  if (bytes == null) return "size unknown";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value.toFixed(unit >= 3 ? 1 : 0)} ${units[unit]}`;
}

export function bandOf(resolution) {
  return BITRATE_BANDS[resolution] || (resolution > 1080 ? BITRATE_BANDS[2160] : null);
}

/** "in band", "below band (starved)", "above band (heavy)" or null. */
export function bitrateFit(source) {
  const band = bandOf(source.resolution);
  const rate = source.bitrate_mbps;
  if (!band || rate == null) return null;
  if (rate < band[0]) return "below band, starved";
  if (rate > band[1]) return "above band, heavy to stream";
  return "in band";
}

export function sourceLabel(source) {
  const type = { bluray: "BluRay", web: "WEB" }[(source.source_type || "").toLowerCase()];
  const parts = [source.quality, type || source.source_type, source.codec];
  if ((source.bit_depth || 8) > 8) parts.push(`${source.bit_depth}-bit`);
  if (source.is_3d) parts.push("3D");
  if (source.is_repack) parts.push("repack");
  return parts.filter(Boolean).join(" ");
}

/** "1080p BluRay x264 · 2.0 GB for 142 min (1.9 Mbit/s, in band) · 100 seeders" */
export function sourceReason(source, runtimeMin) {
  let size = formatBytes(source.size_bytes);
  if (runtimeMin) size += ` for ${runtimeMin} min`;
  if (source.bitrate_mbps != null) {
    const fit = bitrateFit(source);
    size += ` (${source.bitrate_mbps.toFixed(1)} Mbit/s${fit ? ", " + fit : ""})`;
  }
  const seeds =
    source.seeds == null ? "seeders unknown" : source.seeds === 0 ? "no seeders" : `${source.seeds} seeder${source.seeds === 1 ? "" : "s"}`;
  // what the engine saw this week, e.g. "stalled twice this week"
  return [sourceLabel(source), size, seeds, source.reliability_note].filter(Boolean).join(" · ");
}

function topComponents(components, limit) {
  return Object.entries(components || {})
    .filter(([, points]) => points > 0)
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([name, points]) => `${COMPONENT_NAMES[name] || name} +${+points.toFixed(1)}`);
}

/** Why `chosen` ranks first among `sources` (the playable ones, best first). */
export function whyChosen(chosen, sources) {
  if (!chosen) return "";
  const score = chosen.score == null ? "" : ` (score ${chosen.score.toFixed(1)})`;
  const lead = `Chosen: the best score for this device${score}`;
  const strengths = topComponents(chosen.components, 3);
  const runnerUp = sources.find((s) => s !== chosen && s.playable !== false);
  let versus = "";
  if (runnerUp && runnerUp.score != null && chosen.score != null) {
    const gains = Object.keys(chosen.components || {})
      .map((name) => [name, (chosen.components[name] || 0) - ((runnerUp.components || {})[name] || 0)])
      .filter(([, delta]) => delta > 0.05)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 2)
      .map(([name, delta]) => `${COMPONENT_NAMES[name] || name} +${+delta.toFixed(1)}`);
    const margin = (chosen.score - runnerUp.score).toFixed(1);
    versus = `; ${margin} points ahead of ${sourceLabel(runnerUp)}`;
    if (gains.length) versus += ` (${gains.join(", ")})`;
  }
  const health =
    chosen.seeds != null && chosen.seeds >= 20 ? "; healthy swarm" : chosen.seeds ? "; thin swarm" : "";
  const main = strengths.length ? `: ${strengths.join(", ")}` : "";
  const note = chosen.reliability_note ? `; ${chosen.reliability_note}` : "";
  return `${lead}${main}${health}${note}${versus}.`;
}
