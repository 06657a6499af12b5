// The Miauflix API client: cookie session + CSRF (browser style), one refresh-and-retry on
// 401, the one JSON error shape turned into ApiError. No view code: the TV shell reuses it
// (a TV can pass mode "token" and keep the tokens itself).

export const CSRF_COOKIE = "miauflix_csrf";
export const CSRF_HEADER = "X-CSRF-Token";

/** An API answer that was not 2xx: HTTP status, machine code and the server's message. */
export class ApiError extends Error {
  constructor(status, code, message, retryAfter = null) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code || "http_" + status;
    this.retryAfter = retryAfter;
  }
}

function readCookie(name) {
  if (typeof document === "undefined") return "";
  for (const part of document.cookie.split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return decodeURIComponent(rest.join("="));
  }
  return "";
}

function buildQuery(query) {
  if (!query) return "";
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== "") params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

async function errorFrom(response) {
  let code = null;
  let message = response.statusText;
  try {
    const body = await response.json();
    if (body && body.error) ({ code, message } = body.error);
  } catch {
    /* not JSON: keep the status text */
  }
  return new ApiError(response.status, code, message, response.headers.get("Retry-After"));
}

/**
 * createApi({ base, fetchImpl, onSignedOut }) -> client.
 * `onSignedOut` runs when a refresh fails: the session is gone, show the sign-in page.
 */
export function createApi({ base = "", fetchImpl, onSignedOut = () => {} } = {}) {
  const doFetch = fetchImpl || ((...args) => fetch(...args));
  let csrf = readCookie(CSRF_COOKIE);
  let refreshing = null;

  function headers(body) {
    const out = { Accept: "application/json" };
    if (body !== undefined) out["Content-Type"] = "application/json";
    const token = csrf || readCookie(CSRF_COOKIE);
    if (token) out[CSRF_HEADER] = token;
    return out;
  }

  async function send(method, path, { body, query, keepalive = false } = {}) {
    return doFetch(base + path + buildQuery(query), {
      method,
      headers: headers(body),
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      keepalive,
    });
  }

  async function refresh() {
    if (!refreshing) {
      refreshing = (async () => {
        const response = await doFetch(base + "/api/auth/refresh", {
          method: "POST",
          headers: headers(undefined),
          credentials: "same-origin",
        });
        if (!response.ok) throw await errorFrom(response);
        const data = await response.json();
        if (data.csrf_token) csrf = data.csrf_token;
        return data;
      })().then(
        // not .finally(): Chromium 56 (Tizen 4.0 TVs) has no Promise.prototype.finally
        (data) => {
          refreshing = null;
          return data;
        },
        (error) => {
          refreshing = null;
          throw error;
        },
      );
    }
    return refreshing;
  }

  async function request(method, path, options = {}) {
    let response = await send(method, path, options);
    const isAuth = path.startsWith("/api/auth/login") || path.startsWith("/api/auth/refresh");
    if (response.status === 401 && !isAuth) {
      try {
        await refresh();
      } catch (error) {
        onSignedOut(error);
        throw error;
      }
      response = await send(method, path, options);
      if (response.status === 401) {
        const error = await errorFrom(response);
        onSignedOut(error);
        throw error;
      }
    }
    if (!response.ok) throw await errorFrom(response);
    if (response.status === 204) return null;
    const type = response.headers.get("Content-Type") || "";
    return type.includes("json") ? response.json() : response.text();
  }

  const get = (path, query) => request("GET", path, { query });

  return {
    request,
    get,
    refresh,
    csrfToken: () => csrf || readCookie(CSRF_COOKIE),

    // --- auth --------------------------------------------------------------------------
    async login(email, password) {
      const data = await request("POST", "/api/auth/login", {
        body: { email, password, mode: "cookie" },
      });
      csrf = data.csrf_token || readCookie(CSRF_COOKIE);
      return data;
    },
    async logout() {
      try {
        await request("POST", "/api/auth/logout");
      } finally {
        csrf = "";
      }
    },
    me: () => get("/api/auth/me"),
    sessions: () => get("/api/auth/sessions"),
    revokeSession: (id) => request("DELETE", `/api/auth/sessions/${encodeURIComponent(id)}`),
    changePassword: (oldPassword, newPassword) =>
      request("POST", "/api/auth/password", {
        body: { old_password: oldPassword, new_password: newPassword },
      }),

    // --- catalogue ---------------------------------------------------------------------
    movies: (query) => get("/api/movies", query),
    movie: (id, query) => get(`/api/movies/${id}`, query),
    lists: () => get("/api/lists"),
    genres: (language) => get("/api/genres", { language }),
    status: () => get("/api/status"),
    stream: (id, body) => request("POST", `/api/movies/${id}/stream`, { body }),
    shows: (query) => get("/api/shows", query),
    show: (id, query) => get(`/api/shows/${id}`, query),
    season: (id, season, query) => get(`/api/shows/${id}/seasons/${season}`, query),
    tvGenres: (language) => get("/api/tv-genres", { language }),
    streamEpisode: (id, season, episode, body) =>
      request("POST", `/api/shows/${id}/seasons/${season}/episodes/${episode}/stream`, { body }),
    engineStatus: () => get("/api/engine/status"),

    // --- progress ----------------------------------------------------------------------
    progress: () => get("/api/progress"),
    /** One title's progress record, or null when none is stored. */
    movieProgress: (id) =>
      get(`/api/progress/movie/${id}`).catch((error) => (error.status === 404 ? null : Promise.reject(error))),
    saveProgress: (id, position, duration, { keepalive = false } = {}) =>
      request("PUT", `/api/progress/movie/${id}`, {
        body: { position_s: position, duration_s: duration },
        keepalive,
      }),
    deleteProgress: (id) => request("DELETE", `/api/progress/movie/${id}`),
    /** Every episode record of a show and its up-next item ({items, up_next}). */
    showProgress: (id) =>
      get(`/api/progress/show/${id}`).catch((error) =>
        error.status === 404 ? { items: [], up_next: null } : Promise.reject(error),
      ),
    episodeProgress: (id, season, episode) =>
      get(`/api/progress/episode/${id}/${season}/${episode}`).catch((error) =>
        error.status === 404 ? null : Promise.reject(error),
      ),
    saveEpisodeProgress: (id, season, episode, position, duration, { keepalive = false } = {}) =>
      request("PUT", `/api/progress/episode/${id}/${season}/${episode}`, {
        body: { position_s: position, duration_s: duration },
        keepalive,
      }),

    // --- admin -------------------------------------------------------------------------
    users: (query) => get("/api/admin/users", query),
    createUser: (email, password, role) =>
      request("POST", "/api/admin/users", { body: { email, password, role } }),
    updateUser: (id, patch) => request("PATCH", `/api/admin/users/${id}`, { body: patch }),
    deleteUser: (id) => request("DELETE", `/api/admin/users/${id}`),
    audit: (query) => get("/api/admin/audit", query),
    config: () => get("/api/admin/config"),
    /** Sync run history (newest first), live catalogue, sources by quality, Prefect UI URL. */
    syncHistory: (query) => get("/api/admin/sync", query),
  };
}

// --- the engine's subtitle routes (on the engine's origin, not the API's) -----------------
// GET <stream_url>/subtitles -> {"tracks": [{index, label, language, format, forced, sdh,
// path: "subtitles/<index>.vtt"}]}; GET <stream_url>/subtitles/<index>.vtt -> text/vtt.
// Both are read with CORS and no credentials (the stream key in the URL is the credential).
// Embedded tracks (text tracks inside the video: `embedded: true, window_seconds: 60`) come
// after the files and are served by time window only: `<index>.vtt?from=<s>&to=<e>` holds
// the cues STARTING in [from, to) with absolute times; 504 subtitle_timeout: try again later.

const engineFetch = (url) => fetch(url, { credentials: "omit", mode: "cors" });

/** `<stream_url>/subtitles` (query and fragment dropped), or null for a URL of another shape. */
export function subtitlesUrl(streamUrl) {
  if (!streamUrl || !/\/stream\/[^/?#]+/.test(streamUrl)) return null;
  return streamUrl.replace(/\/stream\/([^/?#]+).*$/, "/stream/$1/subtitles");
}

const windowLength = (seconds) =>
  Number.isFinite(seconds) ? Math.min(600, Math.max(5, Math.round(seconds))) : 60;

/** `src?from=..&to=..` of window `index` (0: the film's first `seconds`) of a windowed track. */
export function subtitleWindowUrl(src, index, seconds = 60) {
  const i = Number.isFinite(index) && index > 0 ? Math.floor(index) : 0;
  const length = windowLength(seconds);
  return `${src}${src.includes("?") ? "&" : "?"}from=${i * length}&to=${(i + 1) * length}`;
}

/**
 * The stream's subtitle tracks, each with an absolute `src`; [] when the engine has none,
 * has no subtitle route yet (404) or cannot be reached: subtitles are never worth an error.
 */
export async function fetchSubtitleTracks(streamUrl, fetchImpl = engineFetch) {
  const url = subtitlesUrl(streamUrl);
  if (!url) return [];
  try {
    const response = await fetchImpl(url);
    if (!response.ok) return [];
    const body = await response.json();
    const tracks = body && Array.isArray(body.tracks) ? body.tracks : [];
    return tracks
      .filter((t) => t && Number.isInteger(t.index) && t.index >= 0)
      .slice(0, 64)
      .map((t) => ({
        index: t.index,
        label: String(t.label || `Track ${t.index + 1}`).slice(0, 80),
        language: /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(t.language || "") ? t.language : "und",
        forced: Boolean(t.forced),
        sdh: Boolean(t.sdh),
        src: `${url}/${t.index}.vtt`,
        ...(t.embedded === true ? { windowed: true, windowSeconds: windowLength(t.window_seconds) } : {}),
      }));
  } catch {
    return [];
  }
}

/** The WebVTT text of one track (ApiError when the engine refuses or it is not WebVTT). */
export async function fetchSubtitleText(src, fetchImpl = engineFetch) {
  const response = await fetchImpl(src);
  if (!response.ok) throw await errorFrom(response);
  const text = await response.text();
  if (!text.startsWith("WEBVTT")) throw new ApiError(502, "subtitle_unreadable", "the engine did not answer WebVTT");
  return text;
}

const VTT_TIME = /^(?:(\d{1,4}):)?([0-5]\d):([0-5]\d)\.(\d{3})$/;

function vttSeconds(text) {
  const m = VTT_TIME.exec(text);
  return m ? Number(m[1] || 0) * 3600 + Number(m[2]) * 60 + Number(m[3]) + Number(m[4]) / 1000 : NaN;
}

/**
 * The cues of a WebVTT text: [{start, end, text}] in seconds. Tolerant: no WEBVTT header
 * gives [], NOTE/STYLE/REGION blocks and cue identifiers are skipped, and so are cues with
 * bad timings, an end not after the start or no text. Cue settings are ignored.
 */
export function parseVttCues(text) {
  if (typeof text !== "string" || !/^\uFEFF?WEBVTT(?:[ \t\r\n]|$)/.test(text)) return [];
  const cues = [];
  for (const block of text.replace(/\r\n?/g, "\n").split(/\n{2,}/)) {
    const lines = block.split("\n");
    const at = lines.findIndex((line) => line.includes("-->"));
    if (at < 0 || at > 1 || (at === 1 && /^(WEBVTT|NOTE|STYLE|REGION)\b/.test(lines[0]))) continue;
    const [from, rest = ""] = lines[at].split("-->");
    const start = vttSeconds(from.trim());
    const end = vttSeconds(rest.trim().split(/[ \t]/)[0]);
    const body = lines.slice(at + 1).join("\n").trim();
    if (start >= 0 && end > start && body) cues.push({ start, end, text: body });
  }
  return cues;
}
