// What this browser can decode, and the ranking profile ("web" or "tv") that fits it.
// Pure functions over an injectable probe, so the TV shell and tests can reuse them.

const TYPES = {
  h264: 'video/mp4; codecs="avc1.42E01E"',
  h264High10: 'video/mp4; codecs="avc1.6E0028"',
  hevc: 'video/mp4; codecs="hvc1.1.6.L93.B0"',
  hevcMain10: 'video/mp4; codecs="hvc1.2.4.L120.B0"',
};

function browserProbe(type) {
  try {
    if (typeof MediaSource !== "undefined" && MediaSource.isTypeSupported(type)) return true;
  } catch {
    /* fall through to canPlayType */
  }
  if (typeof document === "undefined") return false;
  const video = document.createElement("video");
  return video.canPlayType(type) === "probably" || video.canPlayType(type) === "maybe";
}

/** { h264, hevc, tenBit } as this browser reports them. */
export function detectCapabilities(probe = browserProbe) {
  return {
    h264: probe(TYPES.h264),
    hevc: probe(TYPES.hevc),
    tenBit: probe(TYPES.h264High10) || probe(TYPES.hevcMain10),
  };
}

/** "tv" when HEVC and 10-bit both decode (the tv ranking favours them), else "web". */
export function detectProfile(caps = detectCapabilities()) {
  return caps.hevc && caps.tenBit ? "tv" : "web";
}

/** Why this device cannot play `source`, or null when it can. */
export function unplayableReason(source, caps) {
  const codec = (source.codec || "").toLowerCase();
  const hevc = codec.includes("265") || codec.includes("hevc");
  if (hevc && !caps.hevc) return "HEVC (x265) does not decode in this browser";
  if ((source.bit_depth || 8) > 8 && !caps.tenBit) return "10-bit video does not decode here";
  if (source.available === false) return source.unavailable_reason || "no seeders";
  if (source.playable === false) return "not ranked for this device profile";
  return null;
}
