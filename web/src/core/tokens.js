// The JSON (bearer) token flow for clients that keep their own tokens (the TV shell):
// login with mode "token", `Authorization: Bearer` on every request, refresh by posting
// {"refresh_token"} (rotating: the answer carries the next pair). The cookie client in
// api.js is untouched: createApi({ fetchImpl: tokenFetch(...) }) reuses its retry-on-401.

const REFRESH_PATH = "/api/auth/refresh";

/** A token store over a Storage-like object (localStorage), under `key`. */
export function tokenStore(storage, key = "miauflix.tokens") {
  return {
    read() {
      try {
        const value = JSON.parse(storage.getItem(key) || "null");
        return value && typeof value.access_token === "string" && typeof value.refresh_token === "string"
          ? value
          : null;
      } catch {
        return null;
      }
    },
    write(tokens) {
      storage.setItem(key, JSON.stringify({ access_token: tokens.access_token, refresh_token: tokens.refresh_token }));
    },
    clear() {
      storage.removeItem(key);
    },
  };
}

function withBearer(init, access) {
  const headers = Object.assign({}, (init && init.headers) || {});
  if (access) headers.Authorization = `Bearer ${access}`;
  return Object.assign({}, init || {}, { headers, credentials: "omit" });
}

/**
 * tokenFetch(store, fetchImpl) -> a fetch for createApi: adds the bearer token, and turns
 * createApi's body-less refresh into the token refresh (storing the rotated pair; a
 * refused refresh clears the store, so the client shows sign-in).
 */
export function tokenFetch(store, fetchImpl = (...args) => fetch(...args)) {
  return async (url, init) => {
    const tokens = store.read();
    if (String(url).split("?")[0].endsWith(REFRESH_PATH)) {
      if (!tokens) {
        const body = JSON.stringify({ error: { code: "signed_out", message: "not signed in" } });
        return new Response(body, { status: 401, headers: { "Content-Type": "application/json" } });
      }
      const init2 = withBearer(init, null);
      init2.headers["Content-Type"] = "application/json";
      init2.body = JSON.stringify({ refresh_token: tokens.refresh_token });
      const response = await fetchImpl(url, init2);
      if (response.ok) store.write(await response.clone().json());
      else if (response.status === 401) store.clear();
      return response;
    }
    return fetchImpl(url, withBearer(init, tokens && tokens.access_token));
  };
}

/** Sign in with the token flow; stores and returns the tokens (ApiError-like on failure). */
export async function tokenLogin(base, email, password, store, { device = "Miauflix TV", fetchImpl = (...a) => fetch(...a) } = {}) {
  const response = await fetchImpl(`${base}/api/auth/login`, {
    method: "POST",
    headers: { Accept: "application/json", "Content-Type": "application/json" },
    body: JSON.stringify({ email, password, mode: "token", device }),
    credentials: "omit",
  });
  let body = null;
  try {
    body = await response.json();
  } catch {
    /* not JSON */
  }
  if (!response.ok || !body || !body.access_token) {
    const error = new Error((body && body.error && body.error.message) || `HTTP ${response.status}`);
    error.status = response.status;
    error.code = (body && body.error && body.error.code) || `http_${response.status}`;
    throw error;
  }
  store.write(body);
  return body;
}

/**
 * The server address typed on a TV, normalised to "http(s)://host[:port]" (no path, no
 * credentials), or null when it is not one. A bare host gets http:// (a home server).
 */
export function normaliseServer(text) {
  const raw = String(text || "").trim();
  if (!raw || raw.length > 200) return null;
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`;
  let url;
  try {
    url = new URL(withScheme);
  } catch {
    return null;
  }
  if (!["http:", "https:"].includes(url.protocol) || !url.hostname || url.username || url.password) return null;
  if ((url.pathname && url.pathname !== "/") || url.search || url.hash) return null;
  return url.origin;
}
