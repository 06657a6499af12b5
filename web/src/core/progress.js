// Resume logic and the progress saver (every few seconds, on pause, on leave). No DOM code:
// the caller feeds positions in and wires page events to flush().

export const WATCHED_SHARE = 0.9;
export const RESUME_BACKOFF_S = 5;
export const MIN_RESUME_S = 10;
export const SAVE_EVERY_MS = 5000;

/** Where to resume a record from GET /api/progress, or null to start at the beginning. */
export function resumePoint(record) {
  if (!record || record.watched) return null;
  const { position_s: position, duration_s: duration } = record;
  if (duration && position / duration >= WATCHED_SHARE) return null;
  const at = record.resume_at_s != null ? record.resume_at_s : Math.max(0, position - RESUME_BACKOFF_S);
  return at >= MIN_RESUME_S ? at : null;
}

/** The share watched, 0..1. */
export function watchedShare(record) {
  if (!record || !record.duration_s) return 0;
  return Math.min(1, record.position_s / record.duration_s);
}

/** "1:02:03" or "4:05". */
export function formatClock(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) return "0:00";
  const s = Math.floor(seconds % 60);
  const m = Math.floor(seconds / 60) % 60;
  const h = Math.floor(seconds / 3600);
  const two = (n) => (n < 10 ? "0" : "") + n; // no padStart: Chromium 56 (Tizen 4.0) lacks it
  return h ? `${h}:${two(m)}:${two(s)}` : `${m}:${two(s)}`;
}

/**
 * createProgressSaver({ save, everyMs, now }) -> { update, flush }.
 * `save(position, duration, { keepalive })` returns a promise; failures are reported via
 * `onError` and never stop playback.
 */
export function createProgressSaver({ save, everyMs = SAVE_EVERY_MS, now = Date.now, onError = () => {} }) {
  let lastSavedAt = 0;
  let lastSaved = null;
  let position = null;
  let duration = null;

  function flush({ keepalive = false } = {}) {
    if (position == null || !duration || !Number.isFinite(duration)) return Promise.resolve(null);
    if (lastSaved !== null && Math.abs(position - lastSaved) < 0.5) return Promise.resolve(null);
    lastSaved = position;
    lastSavedAt = now();
    const pos = Math.min(position, duration);
    return Promise.resolve(save(pos, duration, { keepalive })).catch((error) => {
      onError(error);
      return null;
    });
  }

  return {
    update(newPosition, newDuration) {
      if (!Number.isFinite(newPosition)) return;
      position = newPosition;
      if (Number.isFinite(newDuration) && newDuration > 0) duration = newDuration;
      if (now() - lastSavedAt >= everyMs) flush();
    },
    flush,
  };
}
