// Human explanations of the ranked sources (see docs/ranking.md): one line per source and
// why the first was chosen. Pure functions: the TV shell shows the same words.

import { counted } from "./words.js";

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
  bitrate: "bitrate",
  health: "seeders",
  repack: "repack",
  "3d": "3D",
  age: "age",
  reliability: "track record",
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

/** How the bitrate sits for the resolution, in plain words ("usual for 1080p", "low for
 * 1080p: may look soft", "high for 1080p: needs a fast swarm"), or null. */
export function bitrateFit(source) {
  const band = bandOf(source.resolution);
  const rate = source.bitrate_mbps;
  if (!band || rate == null) return null;
  const quality = source.quality || `${source.resolution}p`;
  if (rate < band[0]) return `low for ${quality}: may look soft`;
  if (rate > band[1]) return `high for ${quality}: needs a fast swarm`;
  return `usual for ${quality}`;
}

export function sourceLabel(source) {
  const type = { bluray: "BluRay", web: "WEB" }[(source.source_type || "").toLowerCase()];
  const parts = [source.quality, type || source.source_type, source.codec];
  if ((source.bit_depth || 8) > 8) parts.push(`${source.bit_depth}-bit`);
  if (source.is_3d) parts.push("3D");
  if (source.is_repack) parts.push("repack");
  return parts.filter(Boolean).join(" ");
}

/** "1080p BluRay x264 · 2.0 GB for 142 min (1.9 Mbit/s, usual for 1080p) · 100 seeders" */
export function sourceReason(source, runtimeMin) {
  let size = formatBytes(source.size_bytes);
  if (runtimeMin) size += ` for ${runtimeMin} min`;
  if (source.bitrate_mbps != null) {
    const fit = bitrateFit(source);
    size += ` (${source.bitrate_mbps.toFixed(1)} Mbit/s${fit ? ", " + fit : ""})`;
  }
  const seeds =
    source.seeds == null ? "seeders unknown" : source.seeds === 0 ? "no seeders" : counted(source.seeds, "seeder");
  // what the engine saw this week, e.g. "stalled twice this week"
  return [sourceLabel(source), size, seeds, source.reliability_note].filter(Boolean).join(" · ");
}

function topComponents(components, limit) {
  return Object.entries(components || {})
    .filter(([, points]) => points > 0)
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([name]) => COMPONENT_NAMES[name] || name);
}

/** "a, b and c" */
function listed(words) {
  return words.length < 2 ? words.join("") : `${words.slice(0, -1).join(", ")} and ${words[words.length - 1]}`;
}

/** What the seeder count means for starting and playing. */
function swarmWords(seeds) {
  if (seeds == null) return "";
  if (seeds === 0) return "no seeders right now";
  if (seeds >= 20) return "many seeders";
  return `only ${counted(seeds, "seeder")}, so it may start slowly`;
}

/** Why `chosen` ranks first among `sources` (the playable ones, best first), in plain words:
 * "Picked as the best for this device: its resolution, release source and seeders stand
 * out; many seeders. Ahead of 720p WEB x264 on resolution." (The scores are in the API.) */
export function whyChosen(chosen, sources) {
  if (!chosen) return "";
  // the seeders get their own words below; listed as a strength only with many of them
  const components = { ...(chosen.components || {}) };
  if (!(chosen.seeds >= 20)) delete components.health;
  const strengths = topComponents(components, 3);
  const parts = [
    `Picked as the best for this device${strengths.length ? `: its ${listed(strengths)} stand${strengths.length === 1 ? "s" : ""} out` : ""}`,
  ];
  const swarm = swarmWords(chosen.seeds);
  if (swarm) parts.push(swarm);
  if (chosen.reliability_note) parts.push(chosen.reliability_note);
  const runnerUp = sources.find((s) => s !== chosen && s.playable !== false);
  let versus = "";
  if (runnerUp && runnerUp.score != null && chosen.score != null) {
    const gains = Object.keys(chosen.components || {})
      .map((name) => [name, (chosen.components[name] || 0) - ((runnerUp.components || {})[name] || 0)])
      .filter(([, delta]) => delta > 0.05)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 2)
      .map(([name]) => COMPONENT_NAMES[name] || name);
    versus = ` Ahead of ${sourceLabel(runnerUp)}${gains.length ? ` on ${listed(gains)}` : ""}.`;
  }
  return `${parts.join("; ")}.${versus}`;
}
